//! The state table (issue 12) on bucket-guard, against moto's DynamoDB: a
//! delivery handled once, the audit record of every change with its exact
//! before-state, a crash between the intent and the result settled by the
//! next run, the circuit breaker, and CloudFormation's changes notified.

// Tests: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fixture/mod.rs"]
mod fixture;

use fixture::*;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use warden_shared::state::{ChangeRecord, ChangeStatus};
use warden_tests::alerts::Alerts;
use warden_tests::faults::{Effect, FaultProxy};
use warden_tests::fixtures::{handle, unique, unique_id};
use warden_tests::kit::Fixture;
use warden_tests::runtime_api::{run_function, run_function_with_timeout};

const BINARY: &str = env!("CARGO_BIN_EXE_bucket-guard");

/// A fresh state table on the shared moto.
async fn state_table(emu: &Emulator) -> String {
    warden_tests::state::create_table(&emu.config, &unique("state")).await
}

/// The emulator, a fresh state table and a new bucket `tag-…` seeded as
/// `seed`: the emulator, the table's name and the bucket's.
async fn with_table(tag: &str, seed: Seed) -> (Emulator, String, String) {
    let emu = emulator().await;
    let table = state_table(&emu).await;
    let bucket = unique(tag);
    fixture::seed(&emu.s3, &bucket, seed, &Value::Null).await;
    (emu, table, bucket)
}

/// `event` as another delivery of another call: its own event id.
fn redelivered(mut event: Value) -> Value {
    event["detail"]["eventID"] = json!(format!("e-{}", unique_id()));
    event
}

async fn records(emu: &Emulator, table: &str, bucket: &str) -> Vec<ChangeRecord> {
    warden_tests::state::table(&emu.config, table)
        .changes_of(&arn(bucket))
        .await
        .unwrap()
}

/// The rules of an outcome's findings, in outcome order.
fn rules_of(outcome: &Value) -> Vec<&str> {
    outcome["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect()
}

fn statuses(records: &[ChangeRecord]) -> Vec<(String, ChangeStatus)> {
    let mut statuses: Vec<(String, ChangeStatus)> =
        records.iter().map(|r| (r.rule.clone(), r.status)).collect();
    statuses.sort_by(|a, b| a.0.cmp(&b.0));
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_delivered_twice_is_handled_and_alerted_once() {
    let (emu, table, bucket) = with_table("twice", Seed::Bare).await;
    let alerts = Alerts::subscribe(&emu.config, &unique("alerts")).await;
    let event = event("create-bucket.json", &bucket);
    let mut env = warden_tests::aws::lambda_env(&emu.endpoint);
    env.extend(settings(
        "notify",
        &[
            ("WARDEN_STATE_TABLE", table.as_str()),
            ("WARDEN_TOPIC_ARN", alerts.topic_arn.as_str()),
        ],
    ));

    let run = run_function(Path::new(BINARY), &env, &[event.clone(), event.clone()])
        .await
        .unwrap();

    let first = run.invocations[0].expect_response();
    let second = run.invocations[1].expect_response();
    assert_eq!(first["status"], "notified", "{first}");
    let findings = first["findings"].as_array().unwrap().len();
    assert_eq!(findings, 4, "{first}");
    let reason = reason_starting(second, "skipped", "already handled at 20");
    assert!(reason.ends_with(" (notified)"), "{reason}");
    assert_eq!(second["findings"], json!([]));
    // One alert per finding of the first delivery, none for the second.
    let received = alerts.all().await;
    assert_eq!(received.len(), findings, "{received:?}");
    // Notify mode records what it would have changed, each change with its id.
    let recorded = records(&emu, &table, &bucket).await;
    assert_eq!(recorded.len(), 4);
    assert!(
        recorded
            .iter()
            .all(|r| r.status == ChangeStatus::WouldApply)
    );
    for finding in first["findings"].as_array().unwrap() {
        let id = finding["changes"][0]["change_id"].as_str().unwrap();
        assert!(recorded.iter().any(|r| r.change_id == id), "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_recorded_with_its_exact_before_and_after_and_its_change_id() {
    let (emu, table, bucket) = with_table("audit", Seed::Bare).await;
    let own = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Mine", "Effect": "Deny",
        "Principal": "*", "Action": "s3:DeleteBucket", "Resource": arn(&bucket)}]});
    set_policy(&emu.s3, &bucket, &own).await;
    let policy_as_read = policy_text(&emu.s3, &bucket).await.unwrap();
    let own_settings = [("WARDEN_STATE_TABLE", table.as_str())];

    let outcome = remediate(&emu, &own_settings, event("create-bucket.json", &bucket)).await;

    assert_eq!(outcome["status"], "remediated", "{outcome}");
    let recorded = records(&emu, &table, &bucket).await;
    assert_eq!(
        statuses(&recorded),
        vec![
            ("default-encryption".into(), ChangeStatus::Applied),
            ("public-access-block".into(), ChangeStatus::Applied),
            ("tls-required".into(), ChangeStatus::Applied),
            ("tls-version".into(), ChangeStatus::Applied),
        ]
    );
    for finding in outcome["findings"].as_array().unwrap() {
        let record = recorded.iter().find(|r| r.rule == finding["rule"]).unwrap();
        for change in finding["changes"].as_array().unwrap() {
            assert_eq!(change["change_id"], json!(record.change_id), "{finding}");
        }
        assert_eq!(record.resource, arn(&bucket));
        assert_eq!(record.guard, "bucket-guard");
        assert_eq!(record.account, "123456789012");
        assert_eq!(record.mode, warden_shared::Mode::Remediate);
        assert_eq!(
            record.principal.as_deref(),
            outcome_principal(&event("create-bucket.json", &bucket))
        );
        assert!(record.completed_at.is_some());
    }
    let policy = recorded.iter().find(|r| r.rule == "tls-required").unwrap();
    assert_eq!(
        policy.before,
        json!({"Policy": policy_as_read}),
        "the policy text as read, byte for byte"
    );
    let now = policy_text(&emu.s3, &bucket).await.unwrap();
    assert_eq!(policy.after, json!({"Policy": now}));
    let encryption = recorded
        .iter()
        .find(|r| r.rule == "default-encryption")
        .unwrap();
    assert_ne!(encryption.before, encryption.after);
}

fn outcome_principal(event: &Value) -> Option<&str> {
    event["detail"]["userIdentity"]["arn"].as_str()
}

/// The function dies (killed by the harness) while it waits on a write:
/// its intents stay `pending`; the next check of the bucket reads what the
/// writes left and settles each one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_intent_and_result_is_settled_by_the_next_run() {
    let (emu, table, bucket) = with_table("crash", Seed::Bare).await;
    let proxy = FaultProxy::start(&emu.endpoint).await.unwrap();
    // Encryption and the policy are written; Block Public Access never
    // answers, and the process is killed while it waits.
    proxy.inject(
        "PutPublicAccessBlock",
        Effect::Hang(Duration::from_secs(60)),
    );
    let mut env = warden_tests::aws::lambda_env(proxy.endpoint());
    env.extend(settings(
        "remediate",
        &[("WARDEN_STATE_TABLE", table.as_str())],
    ));
    let event = event("create-bucket.json", &bucket);

    let run = run_function_with_timeout(
        Path::new(BINARY),
        &env,
        std::slice::from_ref(&event),
        Duration::from_secs(6),
    )
    .await;

    assert!(run.is_err(), "the harness stops the hung function: {run:?}");
    let left = records(&emu, &table, &bucket).await;
    assert_eq!(left.len(), 4, "{left:?}");
    assert!(
        left.iter().all(|r| r.status == ChangeStatus::Pending),
        "{left:?}"
    );

    let next = remediate(
        &emu,
        &[("WARDEN_STATE_TABLE", table.as_str())],
        redelivered(event.clone()),
    )
    .await;

    assert_eq!(next["status"], "remediated", "{next}");
    let settled: Vec<ChangeRecord> = records(&emu, &table, &bucket)
        .await
        .into_iter()
        .filter(|r| left.iter().any(|l| l.change_id == r.change_id))
        .collect();
    assert_eq!(
        statuses(&settled),
        vec![
            ("default-encryption".into(), ChangeStatus::Applied),
            ("public-access-block".into(), ChangeStatus::NotApplied),
            ("tls-required".into(), ChangeStatus::Applied),
            ("tls-version".into(), ChangeStatus::Applied),
        ]
    );
    // The next run fixed only what the dead one had not.
    assert_eq!(rules_of(&next), ["public-access-block"], "{next}");
    assert_eq!(view(&emu.s3, &bucket).await.public_access_block, ALL_ON());
}

mod brakes;
