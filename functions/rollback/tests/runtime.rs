//! The built `rollback` binary through a Lambda Runtime API: the production
//! path (settings read once, clients built once, one answer per
//! invocation), a bad setting refused at start with the variable named, and
//! an AWS failure a retry may help returned as an invocation error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod world;

use bucket_guard::{Bucket, rule};
use serde_json::{Value, json};
use std::path::Path;
use warden_shared::state::StateSettings;
use warden_tests::runtime_api::run_function;
use world::{BUCKET_EVENTS, REGION, ROLLBACK_EVENTS, world};

const BINARY: &str = env!("CARGO_BIN_EXE_rollback");

#[tokio::test]
async fn the_binary_answers_each_invocation() {
    let w = world().await;
    let (bucket, arn) = w.bare_bucket("rb-bin").await;
    let target = Bucket::new(&bucket, REGION);
    let event = BUCKET_EVENTS.load("delete-bucket-public-access-block.json", &bucket);
    let fix = (rule::PUBLIC_ACCESS_BLOCK, "put-public-access-block");
    let mut records = w
        .fixed(&w.bucket_pipeline(&[]), &target, &event, &[fix])
        .await;
    let record = records.remove(0);

    let mut env = warden_tests::aws::lambda_env(warden_tests::moto().endpoint());
    env.push(("WARDEN_STATE_TABLE".into(), w.table.clone()));
    env.push(("WARDEN_QUARANTINE_POLICY_ARN".into(), w.quarantine.clone()));
    let run = run_function(
        Path::new(BINARY),
        &env,
        &[
            json!({"change_id": record.change_id, "dry_run": true}),
            json!({"change_id": record.change_id}),
            json!({"change_id": record.change_id}),
            json!({"resource": arn}),
            ROLLBACK_EVENTS.as_shipped("rollback.json"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(run.init_error, None, "{}", run.stderr);
    let answers: Vec<&Value> = run
        .invocations
        .iter()
        .map(|i| i.expect_response())
        .collect();
    assert_eq!(answers[0]["status"], "would-roll-back", "{:#}", answers[0]);
    assert_eq!(answers[1]["status"], "rolled-back", "{:#}", answers[1]);
    assert_eq!(
        answers[1]["writes"],
        json!([{"call": "DeletePublicAccessBlock"}])
    );
    // The rollback's own record names the invocation that made it.
    let rollback_id = answers[1]["rollback_change_id"].as_str().unwrap();
    let rolled = w.state.change(rollback_id).await.unwrap().unwrap();
    assert_eq!(
        rolled.trigger,
        warden_shared::Trigger::Event {
            event_id: Some(run.invocations[1].request_id.clone()),
            event_name: Some("Rollback".into()),
        }
    );
    assert_eq!(answers[2]["status"], "refused");
    assert_eq!(
        answers[2]["reason"],
        json!(format!(
            "{} was already rolled back (by {rollback_id})",
            record.change_id
        ))
    );
    assert_eq!(answers[3]["changes"].as_array().unwrap().len(), 2);
    assert_eq!(answers[3]["suppressions"][0]["rule"], "public-access-block");
    assert_eq!(
        answers[4],
        &json!({"status": "error", "reason": format!(
            "no change chg-6756a1c0a3f09e2b7c41d58e in the state table {}: list a resource's changes with {{\"resource\": \"<arn>\"}}", w.table)})
    );
    assert!(
        w.s3.get_public_access_block()
            .bucket(&bucket)
            .send()
            .await
            .is_err(),
        "the binary's rollback deleted the configuration again"
    );
}

#[tokio::test]
async fn a_bad_setting_stops_the_start_with_the_variable_named() {
    let mut env = warden_tests::aws::lambda_env(warden_tests::moto().endpoint());
    env.push(("WARDEN_STATE_TABLE".into(), "t".into()));
    env.push(("WARDEN_SUPPRESSION_DAYS".into(), "a week".into()));
    let run = run_function(Path::new(BINARY), &env, &[json!({"change_id": "c"})])
        .await
        .unwrap();
    assert_eq!(
        run.init_error,
        Some(json!({
            "errorType": "Warden.InvalidConfiguration",
            "errorMessage": StateSettings::from_env(&[
                ("WARDEN_STATE_TABLE", "t"),
                ("WARDEN_SUPPRESSION_DAYS", "a week")
            ][..])
            .unwrap_err()
            .to_string()
        }))
    );
    assert!(run.invocations.is_empty());
}

#[tokio::test]
async fn an_unreachable_state_table_is_an_invocation_error_lambda_retries() {
    // Nothing listens on this port: every call fails to connect.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut env = warden_tests::aws::lambda_env(&endpoint);
    env.push(("WARDEN_STATE_TABLE".into(), "warden-state".into()));
    let run = run_function(
        Path::new(BINARY),
        &env,
        &[json!({"change_id": "chg-1"}), json!({"changeId": "chg-1"})],
    )
    .await
    .unwrap();
    let (error_type, message) = run.invocations[0].expect_error();
    assert_eq!(error_type, "Warden.AwsError", "{message}");
    assert!(
        message.starts_with("dynamodb:Query on warden-state failed"),
        "{message}"
    );
    // A request it cannot read needs no AWS: an answer, not an error.
    assert_eq!(run.invocations[1].expect_response()["status"], "error");
}
