//! The built `bucket-guard` binary, driven through a local Lambda Runtime
//! API exactly as Lambda drives it, over every file in `events/bucket-guard`
//! against moto: the outcome JSON each invocation returns and the state
//! each bucket is left in.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use warden_tests::fixtures::{
    assert_failed_call, function_env, malformed_event, malformed_outcome, process_groups,
    unapplied, unique, unreachable_aws,
};
use warden_tests::run_function;

const BINARY: &str = env!("CARGO_BIN_EXE_bucket-guard");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_through_the_runtime_loop() {
    let emu = emulator().await;
    // Cases that need their own settings run in their own process; the rest
    // share one warm process, as consecutive events would in Lambda.
    let all = cases();
    for group in process_groups(&all, |case| !case.env.is_empty()) {
        let mut events = Vec::new();
        let mut befores = Vec::new();
        for case in &group {
            let (bucket, event, before) = prepare(&emu, case, "loop").await;
            events.push((bucket, event));
            befores.push(before);
        }
        // A malformed event mid-stream: answered, and the process carries on.
        let mut payloads: Vec<Value> = events.iter().map(|(_, e)| e.clone()).collect();
        payloads.insert(1, malformed_event());

        let run = run_function(
            Path::new(BINARY),
            &function_env(&emu.endpoint, settings("remediate", &group[0].env)),
            &payloads,
        )
        .await
        .expect("the function ran");

        assert_eq!(
            run.exit_status, None,
            "the process must not exit; stderr:\n{}",
            run.stderr
        );
        let mut outcomes = run.responses();
        assert_eq!(outcomes.remove(1), malformed_outcome("bucket-guard"));
        assert_eq!(outcomes.len(), group.len());
        for (((case, (bucket, event)), before), outcome) in
            group.iter().zip(&events).zip(&befores).zip(&outcomes)
        {
            assert_eq!(outcome, &(case.expect)(bucket, event), "{}", case.file);
            if let Some(before) = before {
                assert_eq!(
                    view(&emu.s3, bucket).await,
                    (case.after)(bucket, before),
                    "{}",
                    case.file
                );
            }
        }

        // One EMF metric line per finding and a JSON log line per event,
        // on stdout where Lambda reads them.
        run.assert_metrics_and_logs("bucket-guard", &outcomes);
    }
}

#[tokio::test]
async fn observe_mode_through_the_runtime_loop_changes_nothing() {
    let emu = emulator().await;
    let bucket = unique("loop-observe");
    let event = event("create-bucket.json", &bucket);
    create(&emu.s3, &bucket).await;
    let before = view(&emu.s3, &bucket).await;

    let run = run_function(
        Path::new(BINARY),
        &function_env(&emu.endpoint, settings("observe", &[])),
        std::slice::from_ref(&event),
    )
    .await
    .expect("the function ran");

    let expected = unapplied((cases()[0].expect)(&bucket, &event), "observed");
    assert_eq!(run.responses(), vec![expected]);
    assert_eq!(view(&emu.s3, &bucket).await, before);
}

#[tokio::test]
async fn a_bad_setting_stops_the_start_and_names_the_variable() {
    let emu = emulator().await;
    let mut env = function_env(&emu.endpoint, settings("remediate", &[]));
    env.push(("WARDEN_MIN_ENCRYPTION".into(), "aes".into()));

    let run = run_function(
        Path::new(BINARY),
        &env,
        &[event("create-bucket.json", "never-created")],
    )
    .await
    .expect("the harness ran");

    run.assert_refused_start(
        r#"WARDEN_MIN_ENCRYPTION="aes" is not valid: use one of sse-s3, sse-kms, dsse-kms"#,
    );
}

#[tokio::test]
async fn an_unreachable_aws_endpoint_is_an_invocation_error_naming_the_call() {
    let emu = emulator().await;
    let env = unreachable_aws(function_env(&emu.endpoint, settings("remediate", &[])));

    let run = run_function(
        Path::new(BINARY),
        &env,
        &[event("delete-bucket-policy.json", "unreachable")],
    )
    .await
    .expect("the harness ran");

    assert_failed_call(
        &run,
        &[
            "GetBucketEncryption",
            "GetBucketPolicy",
            "GetPublicAccessBlock",
            "GetBucketTagging",
        ],
        "arn:aws:s3:::unreachable",
    );
}

#[tokio::test]
async fn access_denied_is_an_invocation_error_naming_the_missing_permission() {
    // A private moto that enforces IAM after the set-up calls below.
    let set_up = warden_tests::aws::USER_SETUP_CALLS + 1;
    let moto = warden_tests::start_private_enforcing_iam_after(set_up).expect("moto started");
    let config = warden_tests::aws::sdk_config(moto.endpoint()).await;
    // Every call bucket-guard makes but PutBucketPolicy. moto authorises the
    // `?encryption` and `?publicAccessBlock` sub-resources under its default
    // bucket actions (GET as s3:ListBucket, PUT as s3:CreateBucket), so those
    // stand in for IAM's s3:GetEncryptionConfiguration and friends here.
    let everything_but_put_policy = [
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPolicy",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketTagging",
        "s3:PutEncryptionConfiguration",
        "s3:PutBucketPublicAccessBlock",
        "s3:ListBucket",
        "s3:CreateBucket",
    ];
    let mut env = warden_tests::aws::lambda_env_as_user(
        moto.endpoint(),
        &aws_sdk_iam::Client::new(&config),
        "bucket-guard",
        &everything_but_put_policy,
    )
    .await;
    env.extend(settings("remediate", &[]));
    let bucket = unique("denied");
    create(&warden_tests::aws::s3(&config), &bucket).await;

    let run = run_function(
        Path::new(BINARY),
        &env,
        &[event("delete-bucket-policy.json", &bucket)],
    )
    .await
    .expect("the harness ran");

    let (error_type, error_message) = run.invocations[0].expect_error();
    assert_eq!(error_type, "Warden.AccessDenied");
    assert_eq!(
        error_message,
        format!(
            "PutBucketPolicy on arn:aws:s3:::{bucket} was denied: grant the function's role `s3:PutBucketPolicy` on it (Access Denied)"
        )
    );
}
