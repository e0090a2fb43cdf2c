//! The built `trail-guard` binary, driven through a local Lambda Runtime API
//! exactly as Lambda drives it, over every file in `events/trail-guard`
//! against moto: the outcome JSON each invocation returns and the state each
//! trail is left in.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use warden_tests::fixtures::{
    assert_failed_call, function_env, malformed_event, malformed_outcome, observed, process_groups,
    unique, unreachable_aws,
};
use warden_tests::run_function;

const BINARY: &str = env!("CARGO_BIN_EXE_trail-guard");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_through_the_runtime_loop() {
    let emu = emulator().await;
    // Cases that need their own settings run in their own process; the rest
    // share one warm process, as consecutive events would in Lambda.
    let all = cases();
    for group in process_groups(&all, |case| !case.env.is_empty()) {
        let prepared = prepare_all(&emu, &group, "loop").await;
        // A malformed event mid-stream: answered, and the process carries on.
        let mut payloads: Vec<Value> = prepared.iter().map(|(_, e, _)| e.clone()).collect();
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
        assert_eq!(outcomes.remove(1), malformed_outcome("trail-guard"));
        assert_eq!(outcomes.len(), group.len());
        for ((case, (trail, event, before)), outcome) in group.iter().zip(&prepared).zip(&outcomes)
        {
            assert_eq!(outcome, &(case.expect)(trail, event), "{}", case.file);
            if case.seed != Seed::Nothing {
                let (region, _) = home(event);
                assert_eq!(
                    view(&emu, &region, trail).await,
                    (case.after)(before.clone()),
                    "{}",
                    case.file
                );
            }
        }

        // One EMF metric line per finding and a JSON log line per event,
        // on stdout where Lambda reads them.
        run.assert_metrics_and_logs("trail-guard", &outcomes);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_mode_through_the_runtime_loop_changes_nothing() {
    let emu = emulator().await;
    let all = cases();
    let group: Vec<&Case> = all.iter().filter(|c| c.env.is_empty()).collect();
    let prepared = prepare_all(&emu, &group, "loop-observe").await;
    let payloads: Vec<Value> = prepared.iter().map(|(_, e, _)| e.clone()).collect();

    let run = run_function(
        Path::new(BINARY),
        &function_env(&emu.endpoint, settings("observe", &[])),
        &payloads,
    )
    .await
    .expect("the function ran");

    let outcomes = run.responses();
    assert_eq!(outcomes.len(), group.len());
    for ((case, (trail, event, before)), outcome) in group.iter().zip(&prepared).zip(&outcomes) {
        assert_eq!(
            outcome,
            &observed((case.expect)(trail, event)),
            "{}",
            case.file
        );
        if case.seed != Seed::Nothing {
            let (region, _) = home(event);
            assert_eq!(&view(&emu, &region, trail).await, before, "{}", case.file);
        }
    }
}

#[tokio::test]
async fn a_bad_setting_stops_the_start_and_names_the_variable() {
    let emu = emulator().await;
    let mut env = function_env(&emu.endpoint, settings("remediate", &[]));
    env.push(("WARDEN_REQUIRE_TRAIL_KMS_KEY".into(), "maybe".into()));

    let run = run_function(
        Path::new(BINARY),
        &env,
        &[event("stop-logging-by-name.json", "never-created")],
    )
    .await
    .expect("the harness ran");

    run.assert_refused_start(
        r#"WARDEN_REQUIRE_TRAIL_KMS_KEY="maybe" is not valid: use one of true, false"#,
    );
}

#[tokio::test]
async fn an_unreachable_aws_endpoint_is_an_invocation_error_naming_the_call() {
    let emu = emulator().await;
    let env = unreachable_aws(function_env(&emu.endpoint, settings("remediate", &[])));

    let run = run_function(
        Path::new(BINARY),
        &env,
        &[event("stop-logging-by-name.json", "unreachable")],
    )
    .await
    .expect("the harness ran");

    assert_failed_call(
        &run,
        &[
            "GetTrail",
            "GetTrailStatus",
            "GetEventSelectors",
            "ListTags",
        ],
        "arn:aws:cloudtrail:us-east-1:123456789012:trail/unreachable",
    );
}

#[tokio::test]
async fn a_denied_call_is_an_invocation_error_naming_it() {
    // A private moto that enforces IAM after the set-up calls below.
    let set_up = warden_tests::aws::USER_SETUP_CALLS + 2;
    let moto = warden_tests::start_private_enforcing_iam_after(set_up).expect("moto started");
    let config = warden_tests::aws::sdk_config(moto.endpoint()).await;
    // Every call trail-guard makes but StartLogging.
    let everything_but_start = [
        "cloudtrail:GetTrail",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:ListTags",
        "cloudtrail:UpdateTrail",
    ];
    let mut env = warden_tests::aws::lambda_env_as_user(
        moto.endpoint(),
        &aws_sdk_iam::Client::new(&config),
        "trail-guard",
        &everything_but_start,
    )
    .await;
    env.extend(settings("remediate", &[]));
    // A trail that was never started: as good as stopped.
    let trail = unique("denied");
    warden_tests::aws::s3(&config)
        .create_bucket()
        .bucket(format!("{trail}-logs"))
        .send()
        .await
        .expect("CreateBucket");
    cloudtrail(&config, "us-east-1")
        .create_trail()
        .name(&trail)
        .s3_bucket_name(format!("{trail}-logs"))
        .kms_key_id(kms_key("us-east-1"))
        .send()
        .await
        .expect("CreateTrail");

    let run = run_function(
        Path::new(BINARY),
        &env,
        &[event("stop-logging-by-name.json", &trail)],
    )
    .await
    .expect("the harness ran");

    // The four reads were allowed; the write that is not is named, with the
    // IAM action. moto answers IAM denials of JSON-protocol services with an
    // XML body (AWS sends `{"__type": "AccessDeniedException", ...}`), which
    // the SDK cannot read a code from, so here the error is classified as a
    // plain AWS error; the AccessDeniedException mapping is unit-tested in
    // `trail_guard::cloudtrail`.
    let (error_type, error_message) = run.invocations[0].expect_error();
    assert_eq!(error_type, "Warden.AwsError", "{error_message}");
    let expected = format!("StartLogging on {} failed: ", arn("us-east-1", &trail));
    assert!(error_message.starts_with(&expected), "{error_message}");
    assert!(
        error_message.contains(
            "User: arn:aws:iam::123456789012:user/trail-guard is not authorized to perform: cloudtrail:StartLogging"
        ),
        "{error_message}"
    );
}
