//! The findings sinks against moto over HTTP (issue 13): bucket-guard's
//! real pipeline, adapter and SDK clients, with `WARDEN_SECURITY_HUB` and
//! `WARDEN_EVENT_BUS` set as the template sets them, and everything read
//! back from the emulator: EventBridge with the SDK, Security Hub with
//! `GetFindings` unfiltered through Warden's signed client (Warden links no
//! Security Hub SDK), each finding's JSON as Security Hub returns it.
//!
//! moto's `GetFindings` ignores filters (it returns every finding of the
//! account and region), so each read-back here picks its findings by id, and
//! the sink itself applies its filter to the answer too.

// Helpers unwrap as the tests do: a failed call is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "sinks/eventbridge.rs"]
mod eventbridge;
#[path = "sinks/retries.rs"]
mod retries;
#[path = "sinks/security_hub.rs"]
mod security_hub;
#[path = "sinks/sns.rs"]
mod sns;

use aws_sdk_eventbridge as eventbridge_sdk;
use bucket_guard::{Bucket, BucketGuard};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use warden_shared::sinks::SinkSettings;
use warden_shared::sinks::securityhub::SecurityHub;
use warden_shared::{Config, Context, GuardError, Outcome, Pipeline};
use warden_tests::aws::REGION;
use warden_tests::faults::FaultProxy;

const ACCOUNT: &str = "123456789012";
const GUARD: &str = "bucket-guard";

async fn aws() -> aws_config::SdkConfig {
    warden_tests::sdk_config(warden_tests::moto().endpoint()).await
}

fn pipeline(aws: &aws_config::SdkConfig, env: &[(&str, &str)]) -> Pipeline<BucketGuard> {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    warden_tests::kit::pipeline(&env, aws)
}

/// A bucket with SSE-S3 default encryption (so `default-encryption` holds),
/// no policy and no Block Public Access configuration.
async fn bucket(s3: &aws_sdk_s3::Client, name: &str) -> Bucket {
    warden_tests::buckets::create(s3, name).await;
    warden_tests::buckets::set_encryption(s3, name, "AES256", None).await;
    Bucket::new(name, REGION)
}

/// Every finding Security Hub holds with this id.
async fn findings(hub: &SecurityHub, id: &str) -> Vec<Value> {
    let all = hub.findings(REGION, &json!({})).await.unwrap();
    all.into_iter().filter(|f| f["Id"] == id).collect()
}

/// The one finding with this id; fails on none or a duplicate.
async fn the_finding(hub: &SecurityHub, id: &str) -> Value {
    let mut found = findings(hub, id).await;
    assert_eq!(found.len(), 1, "exactly one finding {id}: {found:#?}");
    found.remove(0)
}

/// (Compliance.Status, Workflow.Status, RecordState)
fn states(f: &Value) -> (&str, &str, &str) {
    fn text<'a>(f: &'a Value, v: &'a Value) -> &'a str {
        v.as_str().unwrap_or_else(|| panic!("not a string in {f}"))
    }
    (
        text(f, &f["Compliance"]["Status"]),
        text(f, &f["Workflow"]["Status"]),
        text(f, &f["RecordState"]),
    )
}

fn product_field<'a>(f: &'a Value, key: &str) -> Option<&'a str> {
    f["ProductFields"][key].as_str()
}

/// One check of `target` by `pipeline`, as a sweep makes it.
async fn check(
    pipeline: &Pipeline<BucketGuard>,
    target: &Bucket,
    context: &Context,
) -> Result<Outcome, GuardError> {
    Box::pin(pipeline.check_resource(target, context)).await
}

/// moto behind a fault proxy, and an SDK configuration that calls it
/// through the proxy.
async fn behind_a_fault_proxy() -> (FaultProxy, aws_config::SdkConfig) {
    let proxy = FaultProxy::start(warden_tests::moto().endpoint())
        .await
        .unwrap();
    let aws = warden_tests::sdk_config(proxy.endpoint()).await;
    (proxy, aws)
}

/// How many `BatchImportFindings` calls went through `proxy` to moto.
fn imports_through(proxy: &FaultProxy) -> usize {
    proxy
        .seen()
        .iter()
        .filter(|op| *op == "POST /findings/import")
        .count()
}

/// The events on `queue_url`, waiting up to `wait` for `count` of them.
async fn received(
    aws: &aws_config::SdkConfig,
    queue_url: &str,
    count: usize,
    wait: Duration,
) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(aws);
    let deadline = Instant::now() + wait;
    let mut out = Vec::new();
    while out.len() < count && Instant::now() < deadline {
        let answer = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for message in answer.messages() {
            out.push(serde_json::from_str(message.body().unwrap()).unwrap());
        }
    }
    out
}

#[test]
fn a_setting_typo_fails_the_start_naming_the_variable() {
    let err = Config::from_env(&[("WARDEN_SECURITY_HUB", "yes")][..]).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"WARDEN_SECURITY_HUB="yes" is not valid: use one of true, false"#
    );
    let err = Config::from_env(&[("WARDEN_EVENT_BUS", "warden findings")][..]).unwrap_err();
    assert!(
        err.to_string().starts_with(
            r#"WARDEN_EVENT_BUS="warden findings" is not valid: use an event bus name"#
        ),
        "{err}"
    );
    let config = Config::from_env(
        &[
            ("WARDEN_SECURITY_HUB", "true"),
            ("WARDEN_EVENT_BUS", "default"),
        ][..],
    )
    .unwrap();
    assert_eq!(
        config.sinks,
        SinkSettings {
            security_hub: true,
            event_bus: Some("default".into())
        }
    );
    let off = Config::from_env(&[("WARDEN_MODE", "observe")][..]).unwrap();
    assert!(!off.sinks.any());
}
