//! The built `bucket-guard` binary, driven through a local Lambda Runtime
//! API exactly as Lambda drives it, over every file in `events/bucket-guard`
//! against moto: the outcome JSON each invocation returns and the state
//! each bucket is left in.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;
use warden_tests::{FunctionRun, InvocationResult, run_function};

const BINARY: &str = env!("CARGO_BIN_EXE_bucket-guard");

fn process_env(emu: &Emulator, settings: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut env = warden_tests::aws::lambda_env(&emu.endpoint);
    env.extend(settings);
    env.push(("AWS_LAMBDA_LOG_LEVEL".into(), "debug".into()));
    env
}

fn responses(run: &FunctionRun) -> Vec<Value> {
    run.invocations
        .iter()
        .map(|invocation| match &invocation.result {
            InvocationResult::Response(value) => value.clone(),
            InvocationResult::Error {
                error_type,
                error_message,
            } => {
                panic!(
                    "invocation failed: {error_type}: {error_message}\nstderr:\n{}",
                    run.stderr
                )
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_through_the_runtime_loop() {
    let emu = emulator().await;
    // Cases that need their own settings run in their own process; the rest
    // share one warm process, as consecutive events would in Lambda.
    let all = cases();
    let (shared, own): (Vec<_>, Vec<_>) = all.iter().partition(|case| case.env.is_empty());
    let mut groups: Vec<Vec<&Case>> = vec![shared];
    groups.extend(own.into_iter().map(|case| vec![case]));

    for group in groups {
        let mut events = Vec::new();
        let mut befores = Vec::new();
        for case in &group {
            let bucket = unique("loop");
            let event = event(case.file, &bucket);
            seed(&emu.s3, &bucket, case.seed, &event).await;
            let before = if case.seed == Seed::Nothing {
                None
            } else {
                Some(view(&emu.s3, &bucket).await)
            };
            events.push((bucket, event));
            befores.push(before);
        }
        // A malformed event mid-stream: answered, and the process carries on.
        let mut payloads: Vec<Value> = events.iter().map(|(_, e)| e.clone()).collect();
        payloads.insert(1, json!({"id": "not-cloudtrail", "detail": "nonsense"}));

        let run = run_function(
            Path::new(BINARY),
            &process_env(&emu, settings("remediate", &group[0].env)),
            &payloads,
        )
        .await
        .expect("the function ran");

        assert_eq!(
            run.exit_status, None,
            "the process must not exit; stderr:\n{}",
            run.stderr
        );
        let mut outcomes = responses(&run);
        assert_eq!(
            outcomes.remove(1),
            json!({"guard": "bucket-guard", "event_id": "not-cloudtrail", "event_name": null, "status": "failed",
                   "reason": "malformed event: event field `detail` is a string, expected a JSON object", "findings": []})
        );
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

        // One EMF metric line per finding, on stdout where Lambda reads it.
        let logs = run.log_lines();
        let metrics: Vec<&Value> = logs
            .iter()
            .filter(|line| line.get("_aws").is_some())
            .collect();
        let findings: usize = outcomes
            .iter()
            .map(|o| o["findings"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(metrics.len(), findings);
        for metric in metrics {
            assert_eq!(
                metric["_aws"]["CloudWatchMetrics"][0]["Namespace"],
                "Warden"
            );
            assert_eq!(metric["guard"], "bucket-guard");
            assert_eq!(metric["outcome"], "remediated");
            assert_eq!(metric["Findings"], 1);
        }
        // JSON logs through lambda_runtime's subscriber: one per handled event.
        let handled = logs
            .iter()
            .filter(|line| line["fields"]["message"] == "handled event")
            .count();
        assert_eq!(handled, group.len(), "logs:\n{}", run.stdout);
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
        &process_env(&emu, settings("observe", &[])),
        std::slice::from_ref(&event),
    )
    .await
    .expect("the function ran");

    let expected = unapplied((cases()[0].expect)(&bucket, &event), "observed");
    assert_eq!(responses(&run), vec![expected]);
    assert_eq!(view(&emu.s3, &bucket).await, before);
}

#[tokio::test]
async fn a_bad_setting_stops_the_start_and_names_the_variable() {
    let emu = emulator().await;
    let mut env = process_env(&emu, settings("remediate", &[]));
    env.push(("WARDEN_MIN_ENCRYPTION".into(), "aes".into()));

    let run = run_function(
        Path::new(BINARY),
        &env,
        &[event("create-bucket.json", "never-created")],
    )
    .await
    .expect("the harness ran");

    assert!(run.invocations.is_empty(), "no event may be handled");
    assert_eq!(
        run.init_error,
        Some(json!({"errorType": "Warden.InvalidConfiguration",
                    "errorMessage": r#"WARDEN_MIN_ENCRYPTION="aes" is not valid: use one of sse-s3, sse-kms, dsse-kms"#}))
    );
    assert!(run.exit_status.is_some_and(|status| !status.success()));
}

#[tokio::test]
async fn an_unreachable_aws_endpoint_is_an_invocation_error_naming_the_call() {
    let emu = emulator().await;
    let mut env = process_env(&emu, settings("remediate", &[]));
    // A closed loopback port: every S3 call fails to connect.
    env.retain(|(k, _)| k != "AWS_ENDPOINT_URL");
    env.push(("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9".into()));
    env.push(("AWS_MAX_ATTEMPTS".into(), "1".into()));

    let run = run_function(
        Path::new(BINARY),
        &env,
        &[event("delete-bucket-policy.json", "unreachable")],
    )
    .await
    .expect("the harness ran");

    match &run.invocations[0].result {
        InvocationResult::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, "Warden.AwsError");
            assert!(
                error_message.contains("on arn:aws:s3:::unreachable failed"),
                "{error_message}"
            );
            let operation = [
                "GetBucketEncryption",
                "GetBucketPolicy",
                "GetPublicAccessBlock",
                "GetBucketTagging",
            ];
            assert!(
                operation.iter().any(|op| error_message.starts_with(op)),
                "{error_message}"
            );
        }
        other => panic!("expected an invocation error, got {other:?}"),
    }
}

#[tokio::test]
async fn access_denied_is_an_invocation_error_naming_the_missing_permission() {
    // A private moto that enforces IAM after the four set-up calls below.
    let moto = warden_tests::start_private_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "4")])
        .expect("moto started");
    let config = warden_tests::aws::sdk_config(moto.endpoint()).await;
    let iam = aws_sdk_iam::Client::new(&config);
    iam.create_user()
        .user_name("bucket-guard")
        .send()
        .await
        .expect("CreateUser");
    // Every call bucket-guard makes but PutBucketPolicy. moto authorises the
    // `?encryption` and `?publicAccessBlock` sub-resources under its default
    // bucket actions (GET as s3:ListBucket, PUT as s3:CreateBucket), so those
    // stand in for IAM's s3:GetEncryptionConfiguration and friends here.
    let everything_but_put_policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "s3:GetEncryptionConfiguration", "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging",
        "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock", "s3:ListBucket", "s3:CreateBucket"]}]});
    iam.put_user_policy()
        .user_name("bucket-guard")
        .policy_name("bucket-guard")
        .policy_document(everything_but_put_policy.to_string())
        .send()
        .await
        .expect("PutUserPolicy");
    let key = iam
        .create_access_key()
        .user_name("bucket-guard")
        .send()
        .await
        .expect("CreateAccessKey");
    let key = key.access_key().expect("an access key");
    let bucket = unique("denied");
    create(&warden_tests::aws::s3(&config), &bucket).await;

    let mut env = warden_tests::aws::lambda_env(moto.endpoint());
    env.retain(|(k, _)| {
        !k.starts_with("AWS_ACCESS_KEY_ID") && !k.starts_with("AWS_SECRET_ACCESS_KEY")
    });
    env.push(("AWS_ACCESS_KEY_ID".into(), key.access_key_id().into()));
    env.push((
        "AWS_SECRET_ACCESS_KEY".into(),
        key.secret_access_key().into(),
    ));
    env.extend(settings("remediate", &[]));

    let run = run_function(
        Path::new(BINARY),
        &env,
        &[event("delete-bucket-policy.json", &bucket)],
    )
    .await
    .expect("the harness ran");

    match &run.invocations[0].result {
        InvocationResult::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, "Warden.AccessDenied");
            assert_eq!(
                error_message,
                &format!(
                    "PutBucketPolicy on arn:aws:s3:::{bucket} was denied: grant the function's role `s3:PutBucketPolicy` on it (Access Denied)"
                )
            );
        }
        other => panic!("expected an invocation error, got {other:?}"),
    }
}
