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

use aws_sdk_eventbridge as eventbridge_sdk;
use bucket_guard::s3::S3Buckets;
use bucket_guard::{Bucket, BucketGuard};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use warden_shared::config::Mode;
use warden_shared::outcome::Status;
use warden_shared::record::FindingRecord;
use warden_shared::sinks::SinkSettings;
use warden_shared::sinks::securityhub::{SecurityHub, finding_id};
use warden_shared::{CloudTrailEvent, Config, Context, Pipeline};
use warden_tests::alerts::queue;
use warden_tests::aws::REGION;
use warden_tests::fixtures::unique;

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
    warden_tests::kit::pipeline(&env, BucketGuard::from_env, S3Buckets::new(aws), aws)
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

/// Security Hub enabled in the emulator's account, as a person does once.
async fn enabled_hub(aws: &aws_config::SdkConfig) -> SecurityHub {
    let hub = SecurityHub::new(aws);
    hub.client()
        .post_json(REGION, "/accounts", &json!({}))
        .await
        .unwrap();
    hub
}

/// A new bucket from [`bucket`] on an emulator with Security Hub enabled,
/// to be checked in sweep `sweep_id` by an observe pipeline that imports
/// its findings.
struct HubCase {
    aws: aws_config::SdkConfig,
    s3: aws_sdk_s3::Client,
    hub: SecurityHub,
    name: String,
    target: Bucket,
    arn: String,
    context: Context,
    observe: Pipeline<BucketGuard>,
}

async fn hub_case(tag: &str, sweep_id: &str) -> HubCase {
    let aws = aws().await;
    let s3 = warden_tests::s3(&aws);
    let hub = enabled_hub(&aws).await;
    let name = unique(tag);
    let target = bucket(&s3, &name).await;
    let arn = format!("arn:aws:s3:::{name}");
    let context = Context::sweep(sweep_id, ACCOUNT, REGION);
    let observe = pipeline(&aws, &[("WARDEN_SECURITY_HUB", "true")]);
    HubCase {
        aws,
        s3,
        hub,
        name,
        target,
        arn,
        context,
        observe,
    }
}

#[tokio::test]
async fn findings_are_imported_updated_resolved_and_archived() {
    let HubCase {
        aws,
        s3,
        hub,
        name,
        target,
        arn,
        context,
        observe,
    } = hub_case("warden-sink-hub", "sweep-hub-1").await;

    // 1. Observe: every finding goes to Security Hub (see README), FAILED.
    let outcome = Box::pin(observe.check_resource(&target, &context))
        .await
        .unwrap();
    assert_eq!(outcome.status, Status::Observed);
    let tls_id = finding_id(GUARD, "tls-required", &arn);
    let version_id = finding_id(GUARD, "tls-version", &arn);
    let pab_id = finding_id(GUARD, "public-access-block", &arn);
    let tls = the_finding(&hub, &tls_id).await;
    let evidence = &outcome
        .findings
        .iter()
        .find(|f| f.rule == "tls-required")
        .unwrap()
        .evidence;
    // Every field Warden sends, exactly; then those Security Hub adds.
    let sent: serde_json::Map<String, Value> = [
        "SchemaVersion",
        "ProductArn",
        "GeneratorId",
        "AwsAccountId",
        "Types",
        "Severity",
        "Title",
        "Description",
        "Resources",
        "Compliance",
        "Workflow",
        "RecordState",
    ]
    .into_iter()
    .map(|key| (key.to_string(), tls[key].clone()))
    .collect();
    assert_eq!(
        Value::Object(sent),
        json!({
            "SchemaVersion": "2018-10-08",
            "ProductArn": "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
            "GeneratorId": "warden/bucket-guard/tls-required",
            "AwsAccountId": ACCOUNT,
            "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
            "Severity": {"Label": "MEDIUM", "Original": "medium"},
            "Title": format!("Warden bucket-guard: tls-required on {name}"),
            "Description": format!("{evidence} (outcome: observed)"),
            "Resources": [{"Type": "AwsS3Bucket", "Id": arn, "Partition": "aws", "Region": REGION}],
            "Compliance": {"Status": "FAILED", "SecurityControlId": "S3.5", "RelatedRequirements": ["S3.5"]},
            "Workflow": {"Status": "NEW"},
            "RecordState": "ACTIVE"
        })
    );
    assert_eq!(product_field(&tls, "warden/mode"), Some("observe"));
    assert_eq!(product_field(&tls, "warden/sweep_id"), Some("sweep-hub-1"));
    let pab = the_finding(&hub, &pab_id).await;
    assert_eq!(pab["Compliance"]["SecurityControlId"], "S3.8");
    assert_eq!(pab["Severity"]["Label"], "HIGH");
    the_finding(&hub, &version_id).await;
    // The rule that holds has no finding at all.
    assert!(
        findings(&hub, &finding_id(GUARD, "default-encryption", &arn))
            .await
            .is_empty()
    );

    // 2. A re-check updates the same finding: still one, updated later.
    tokio::time::sleep(Duration::from_millis(5)).await;
    Box::pin(observe.check_resource(&target, &context))
        .await
        .unwrap();
    let again = the_finding(&hub, &tls_id).await;
    assert!(
        again["UpdatedAt"].as_str() > tls["UpdatedAt"].as_str(),
        "{again}"
    );
    assert_eq!(again["CreatedAt"], tls["CreatedAt"], "first seen stays");

    // 3. Someone else turns Block Public Access on: the next check finds
    // the rule holds, and the FAILED finding becomes PASSED and RESOLVED.
    s3.put_public_access_block()
        .bucket(&name)
        .public_access_block_configuration(
            aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    Box::pin(observe.check_resource(&target, &context))
        .await
        .unwrap();
    let pab = the_finding(&hub, &pab_id).await;
    assert_eq!(states(&pab), ("PASSED", "RESOLVED", "ACTIVE"));
    assert_eq!(product_field(&pab, "warden/outcome"), Some("compliant"));
    assert_eq!(pab["Compliance"]["SecurityControlId"], "S3.8");
    assert_eq!(states(&the_finding(&hub, &tls_id).await).0, "FAILED");

    // 4. Remediate: the fix is confirmed on read-back, so PASSED, RESOLVED.
    let remediate = pipeline(
        &aws,
        &[
            ("WARDEN_SECURITY_HUB", "true"),
            ("WARDEN_MODE", "remediate"),
        ],
    );
    let fixed = Box::pin(remediate.check_resource(&target, &context))
        .await
        .unwrap();
    assert_eq!(fixed.status, Status::Remediated, "{fixed:?}");
    for id in [&tls_id, &version_id] {
        let f = the_finding(&hub, id).await;
        assert_eq!(states(&f), ("PASSED", "RESOLVED", "ACTIVE"), "{id}");
        assert_eq!(product_field(&f, "warden/outcome"), Some("remediated"));
    }

    // 5. The bucket is deleted: its findings are archived, not duplicated.
    s3.delete_bucket_policy()
        .bucket(&name)
        .send()
        .await
        .unwrap();
    s3.delete_bucket().bucket(&name).send().await.unwrap();
    let gone = Box::pin(remediate.check_resource(&target, &context))
        .await
        .unwrap();
    assert_eq!(gone.status, Status::Skipped);
    for id in [&tls_id, &version_id, &pab_id] {
        let f = the_finding(&hub, id).await;
        assert_eq!(f["RecordState"], "ARCHIVED", "{id}");
    }
}

/// A rule an exemption tag switches off is not assessed, so its silence is
/// no pass: its FAILED finding stays FAILED (the exemption is a decision
/// about the finding, not a fix), while a rule that really holds now turns
/// PASSED.
#[tokio::test]
async fn an_exempted_rule_leaves_its_finding_failed() {
    let HubCase {
        s3,
        hub,
        name,
        target,
        arn,
        context,
        observe,
        ..
    } = hub_case("warden-sink-exempt", "sweep-exempt-1").await;
    Box::pin(observe.check_resource(&target, &context))
        .await
        .unwrap();
    let tls_id = finding_id(GUARD, "tls-required", &arn);
    let pab_id = finding_id(GUARD, "public-access-block", &arn);
    assert_eq!(states(&the_finding(&hub, &tls_id).await).0, "FAILED");
    assert_eq!(states(&the_finding(&hub, &pab_id).await).0, "FAILED");

    // The TLS rules exempted; Block Public Access fixed by someone.
    warden_tests::buckets::set_public_access_block(&s3, &name, [true; 4]).await;
    warden_tests::buckets::set_tags(&s3, &name, &[("warden:exempt", "tls-required+tls-version")])
        .await;
    let outcome = Box::pin(observe.check_resource(&target, &context))
        .await
        .unwrap();
    assert_eq!(outcome.status, Status::Compliant, "{outcome:?}");
    let tls = the_finding(&hub, &tls_id).await;
    assert_eq!(
        states(&tls),
        ("FAILED", "NEW", "ACTIVE"),
        "an exempted rule's finding is left as it was"
    );
    assert_eq!(
        states(&the_finding(&hub, &finding_id(GUARD, "tls-version", &arn)).await).0,
        "FAILED"
    );
    assert_eq!(
        states(&the_finding(&hub, &pab_id).await),
        ("PASSED", "RESOLVED", "ACTIVE"),
        "a rule that holds now is passed"
    );
}

#[tokio::test]
async fn imports_are_batched_and_a_refused_finding_is_an_error() {
    use warden_tests::faults::FaultProxy;
    let proxy = FaultProxy::start(warden_tests::moto().endpoint())
        .await
        .unwrap();
    let aws = warden_tests::sdk_config(proxy.endpoint()).await;
    let sink = SecurityHub::new(&aws);
    let product = warden_shared::sinks::securityhub::product_arn(REGION, ACCOUNT);
    let run = unique("batch");
    let finding = |i: usize, with_resource: bool| {
        let mut f = json!({
            "SchemaVersion": "2018-10-08",
            "Id": format!("warden/test/{run}/{i}"),
            "ProductArn": product,
            "GeneratorId": format!("warden/test/{run}"),
            "AwsAccountId": ACCOUNT,
            "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
            "CreatedAt": "2026-12-02T08:00:00.000Z",
            "UpdatedAt": "2026-12-02T08:00:00.000Z",
            "Title": "t",
            "Description": "d"
        });
        if with_resource {
            f["Resources"] = json!([{
                "Type": "Other",
                "Id": format!("arn:aws:sns:us-east-1:123456789012:t{i}")
            }]);
        }
        f
    };
    // 150 findings: two calls (100 + 50), every one imported.
    let many: Vec<Value> = (0..150).map(|i| finding(i, true)).collect();
    sink.import(REGION, &product, many).await.unwrap();
    let imports = proxy
        .seen()
        .iter()
        .filter(|op| *op == "POST /findings/import")
        .count();
    assert_eq!(imports, 2, "{:?}", proxy.seen());
    let prefix = format!("warden/test/{run}/");
    let imported = sink
        .findings(REGION, &json!({}))
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f["Id"].as_str().is_some_and(|id| id.starts_with(&prefix)))
        .count();
    assert_eq!(imported, 150);

    // One finding Security Hub refuses (no resource) fails the delivery,
    // naming it: the invocation fails and Lambda retries the event.
    let err = sink
        .import(
            REGION,
            &product,
            vec![finding(1000, true), finding(1001, false)],
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Warden.Refused", "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "BatchImportFindings on {product} was refused: 1 of 2 entries failed; the first: InvalidInput: "
        )),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("(finding warden/test/{run}/1001)")),
        "{text}"
    );
}

/// A queue that an EventBridge rule on `bus` with `pattern` sends to.
async fn rule_to_queue(
    aws: &aws_config::SdkConfig,
    bus: &str,
    name: &str,
    pattern: &Value,
) -> String {
    let events = eventbridge_sdk::Client::new(aws);
    let (queue_url, queue_arn) = queue(&aws_sdk_sqs::Client::new(aws), name).await;
    events
        .put_rule()
        .name(name)
        .event_bus_name(bus)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(name)
        .event_bus_name(bus)
        .targets(
            eventbridge_sdk::types::Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    queue_url
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

#[tokio::test]
async fn findings_reach_an_eventbridge_rule() {
    let aws = aws().await;
    let s3 = warden_tests::s3(&aws);
    let events = eventbridge_sdk::Client::new(&aws);
    let bus = unique("warden-findings");
    events.create_event_bus().name(&bus).send().await.unwrap();
    let all = rule_to_queue(
        &aws,
        &bus,
        &unique("warden-all"),
        &json!({"source": ["warden"]}),
    )
    .await;
    // README's "only critical" pattern: nothing here is critical.
    let critical = rule_to_queue(
        &aws,
        &bus,
        &unique("warden-critical"),
        &json!({"source": ["warden"], "detail-type": ["Warden Finding"], "detail": {"severity": ["critical"]}}),
    )
    .await;

    let name = unique("warden-sink-bus");
    bucket(&s3, &name).await;
    let arn = format!("arn:aws:s3:::{name}");
    let text = include_str!("../../events/bucket-guard/delete-bucket-policy.json")
        .replace("warden-demo-bucket", &name);
    let raw: Value = serde_json::from_str(&text).unwrap();
    let observe = pipeline(&aws, &[("WARDEN_EVENT_BUS", bus.as_str())]);
    let outcome = Box::pin(observe.handle(raw.clone())).await.unwrap();
    assert_eq!(outcome.status, Status::Observed);
    let mut rules: Vec<&str> = outcome.findings.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    assert_eq!(
        rules,
        ["public-access-block", "tls-required", "tls-version"]
    );

    let delivered = received(&aws, &all, 3, Duration::from_secs(20)).await;
    assert_eq!(delivered.len(), 3, "{delivered:#?}");
    // Each detail is exactly the finding record SNS and the logs carry.
    let event = CloudTrailEvent::parse(&raw).unwrap();
    let context = Context::of_event(&event);
    for finding in &outcome.findings {
        let expected = serde_json::to_value(FindingRecord::new(
            GUARD,
            finding,
            &context,
            Mode::Observe,
            (outcome.status, None),
        ))
        .unwrap();
        let got = delivered
            .iter()
            .find(|e| e["detail"]["rule"] == json!(finding.rule))
            .unwrap_or_else(|| panic!("no event for {}", finding.rule));
        assert_eq!(got["source"], json!("warden"));
        assert_eq!(got["detail-type"], json!("Warden Finding"));
        assert_eq!(got["resources"], json!([arn]));
        assert_eq!(got["detail"], expected);
    }
    let tls = delivered
        .iter()
        .find(|e| e["detail"]["rule"] == json!("tls-required"))
        .unwrap();
    assert_eq!(tls["detail"]["guard"], json!("bucket-guard"));
    assert_eq!(tls["detail"]["event_name"], json!("DeleteBucketPolicy"));
    assert_eq!(
        tls["detail"]["event_id"],
        json!("4f0d8a5c-6e1b-4c9d-8a57-0b3d6c1e8f54")
    );
    assert_eq!(tls["detail"]["outcome"], json!("observed"));
    assert_eq!(tls["detail"]["mode"], json!("observe"));
    assert_eq!(tls["detail"]["severity"], json!("medium"));
    assert_eq!(tls["detail"]["applied"], json!(false));

    // The shipped sample is what Warden puts, down to the byte: only
    // the bucket, the mode and the outcome differ.
    let sample: Value = serde_json::from_str(
        &include_str!("../../events/findings/tls-required-notified.json")
            .replace("warden-demo-bucket", &name),
    )
    .unwrap();
    let mut detail = sample["detail"].clone();
    detail["mode"] = json!("observe");
    detail["outcome"] = json!("observed");
    assert_eq!(tls["detail"], detail);
    for key in ["version", "detail-type", "source", "resources"] {
        assert_eq!(tls[key], sample[key], "{key}");
    }

    assert!(
        received(&aws, &critical, 1, Duration::from_secs(2))
            .await
            .is_empty()
    );
}

/// The remediated sample is the notified one with the fix made and
/// confirmed: the rule patterns in README tell them apart by these fields.
#[test]
fn the_sample_events_differ_by_their_outcome() {
    let notified: Value = serde_json::from_str(include_str!(
        "../../events/findings/tls-required-notified.json"
    ))
    .unwrap();
    let remediated: Value = serde_json::from_str(include_str!(
        "../../events/findings/tls-required-remediated.json"
    ))
    .unwrap();
    let mut expected = notified["detail"].clone();
    expected["mode"] = json!("remediate");
    expected["outcome"] = json!("remediated");
    expected["applied"] = json!(true);
    assert_eq!(remediated["detail"], expected);
    for sample in [&notified, &remediated] {
        assert_eq!(sample["source"], json!("warden"));
        assert_eq!(sample["detail-type"], json!("Warden Finding"));
        assert_eq!(sample["resources"], json!([sample["detail"]["resource"]]));
    }
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

/// Throttling or a 5xx from Security Hub or EventBridge never loses a
/// finding: the SDK retries, then the invocation fails with an error Lambda
/// retries (and the dead-letter queue keeps the event after that); the
/// retried check delivers it. A partial `PutEvents` failure is an error too.
#[tokio::test]
async fn throttling_and_partial_failures_fail_the_invocation_retryably() {
    use warden_tests::faults::{Effect, FaultProxy};
    let proxy = FaultProxy::start(warden_tests::moto().endpoint())
        .await
        .unwrap();
    let aws = warden_tests::sdk_config(proxy.endpoint()).await;
    let s3 = warden_tests::s3(&aws);
    let hub = SecurityHub::new(&aws);
    let name = unique("warden-sink-faults");
    let target = bucket(&s3, &name).await;
    let arn = format!("arn:aws:s3:::{name}");
    let context = Context::sweep("sweep-faults", ACCOUNT, REGION);
    let bus = unique("warden-faults");
    eventbridge_sdk::Client::new(&aws)
        .create_event_bus()
        .name(&bus)
        .send()
        .await
        .unwrap();
    let sinks = pipeline(
        &aws,
        &[("WARDEN_SECURITY_HUB", "true"), ("WARDEN_EVENT_BUS", &bus)],
    );

    // Security Hub throttles every attempt: three, then the error.
    proxy.inject_times("POST /findings/import", Effect::Throttle, u32::MAX);
    let err = Box::pin(sinks.check_resource(&target, &context))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Warden.Throttled", "{err}");
    assert!(err.retryable());
    assert_eq!(
        err.to_string(),
        "BatchImportFindings on arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default was still throttled after the SDK's retries; Lambda will retry the event"
    );
    let imports = proxy
        .seen()
        .iter()
        .filter(|op| *op == "POST /findings/import")
        .count();
    assert_eq!(imports, 3, "{:?}", proxy.seen());
    proxy.clear();

    // A 500 from EventBridge: retryable too, naming the call.
    proxy.inject_times("PutEvents", Effect::ServerError, u32::MAX);
    let err = Box::pin(sinks.check_resource(&target, &context))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Warden.AwsError", "{err}");
    assert!(err.retryable());
    assert!(
        err.to_string()
            .starts_with(&format!("PutEvents on {bus} failed")),
        "{err}"
    );
    proxy.clear();

    // One entry EventBridge could not take fails the delivery, naming it.
    proxy.inject(
        "PutEvents",
        Effect::Respond {
            content_type: "application/x-amz-json-1.1".into(),
            body: json!({"FailedEntryCount": 1, "Entries": [
                {"EventId": "e-1"},
                {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"},
                {"EventId": "e-3"}
            ]})
            .to_string(),
        },
    );
    let err = Box::pin(sinks.check_resource(&target, &context))
        .await
        .unwrap_err();
    assert!(err.retryable(), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "PutEvents on {bus} failed: 1 of 3 entries failed; the first: InternalFailure: try again"
        )
    );

    // Lambda's retry, with the services answering again, delivers it.
    let outcome = Box::pin(sinks.check_resource(&target, &context))
        .await
        .unwrap();
    assert_eq!(outcome.status, Status::Observed);
    let tls = the_finding(&hub, &finding_id(GUARD, "tls-required", &arn)).await;
    assert_eq!(states(&tls).0, "FAILED");
}

/// A queue subscribed to `topic` with `filter` as its filter policy on the
/// message attributes; raw delivery, so the body is the finding record.
async fn filtered_queue(
    aws: &aws_config::SdkConfig,
    topic: &str,
    name: &str,
    filter: &Value,
) -> String {
    let (queue_url, queue_arn) = queue(&aws_sdk_sqs::Client::new(aws), name).await;
    aws_sdk_sns::Client::new(aws)
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("RawMessageDelivery", "true")
        .attributes("FilterPolicy", filter.to_string())
        .send()
        .await
        .unwrap();
    queue_url
}

/// README's SNS filter policies work on the message attributes every
/// finding carries: `guard`, `rule`, `outcome` and `severity`.
#[tokio::test]
async fn sns_filter_policies_pick_findings_by_their_attributes() {
    let aws = aws().await;
    let s3 = warden_tests::s3(&aws);
    let topic = aws_sdk_sns::Client::new(&aws)
        .create_topic()
        .name(unique("warden-filters"))
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    let queue = |filter: Value| {
        let (aws, topic) = (aws.clone(), topic.clone());
        async move { filtered_queue(&aws, &topic, &unique("warden-filter"), &filter).await }
    };
    let one_guard = queue(json!({"guard": ["bucket-guard"]})).await;
    let other_guard = queue(json!({"guard": ["mfa-guard"]})).await;
    let critical = queue(json!({"severity": ["critical"]})).await;
    let high = queue(json!({"severity": ["high", "critical"]})).await;
    let tls_to_act_on =
        queue(json!({"rule": ["tls-required"], "outcome": ["notified", "failed"]})).await;

    let name = unique("warden-sink-sns");
    let target = bucket(&s3, &name).await;
    let notify = pipeline(
        &aws,
        &[("WARDEN_MODE", "notify"), ("WARDEN_TOPIC_ARN", &topic)],
    );
    let context = Context::sweep("sweep-sns", ACCOUNT, REGION);
    let outcome = Box::pin(notify.check_resource(&target, &context))
        .await
        .unwrap();
    assert_eq!(outcome.status, Status::Notified);

    let rules = |messages: Vec<Value>| {
        let mut rules: Vec<String> = messages
            .iter()
            .map(|m| m["rule"].as_str().unwrap().to_string())
            .collect();
        rules.sort();
        rules
    };
    let wait = Duration::from_secs(10);
    // Waiting for more than should come: a filter that lets too much
    // through fails.
    let quiet = Duration::from_secs(3);
    assert_eq!(
        rules(received(&aws, &one_guard, 3, wait).await),
        ["public-access-block", "tls-required", "tls-version"]
    );
    assert_eq!(
        rules(received(&aws, &high, 3, quiet).await),
        ["public-access-block"]
    );
    assert_eq!(
        rules(received(&aws, &tls_to_act_on, 3, quiet).await),
        ["tls-required"]
    );
    assert!(received(&aws, &critical, 1, quiet).await.is_empty());
    assert!(received(&aws, &other_guard, 1, quiet).await.is_empty());
}
