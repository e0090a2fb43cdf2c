//! The built `mfa-guard` binary, driven through a local Lambda Runtime API
//! exactly as Lambda drives it, over every file in `events/mfa-guard`
//! against moto: the outcome JSON each invocation returns and the state each
//! user is left in.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use warden_tests::fixtures::{function_env, malformed_event, malformed_outcome, unique};
use warden_tests::run_function;

const BINARY: &str = env!("CARGO_BIN_EXE_mfa-guard");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_through_the_runtime_loop() {
    let emu = emulator().await;
    let all = cases();
    let mut events = Vec::new();
    let mut befores = Vec::new();
    for case in &all {
        let (user, event, before) = prepare(&emu, case, "loop").await;
        events.push((user, event));
        befores.push(before);
    }
    // A malformed event mid-stream: answered, and the process carries on.
    let mut payloads: Vec<Value> = events.iter().map(|(_, e)| e.clone()).collect();
    payloads.insert(1, malformed_event());

    // One warm process for every file, as consecutive events would be in Lambda.
    let run = run_function(
        Path::new(BINARY),
        &function_env(&emu.endpoint, settings("remediate", &emu.quarantine, &[])),
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
    assert_eq!(outcomes.remove(1), malformed_outcome("mfa-guard"));
    assert_eq!(outcomes.len(), all.len());
    for (((case, (user, event)), before), outcome) in
        all.iter().zip(&events).zip(&befores).zip(&outcomes)
    {
        let ctx = Ctx {
            user,
            event,
            quarantine: &emu.quarantine,
        };
        assert_eq!(outcome, &(case.expect)(&ctx), "{}", case.file);
        if let (Some(before), Some(quarantined)) = (before, case.quarantined_after) {
            assert_eq!(
                view(&emu.iam, user).await,
                before.clone().with_quarantine(&emu.quarantine, quarantined),
                "{}",
                case.file
            );
        }
    }

    // One EMF metric line per finding and a JSON log line per event,
    // on stdout where Lambda reads them.
    run.assert_metrics_and_logs("mfa-guard", &outcomes);
}

#[tokio::test]
async fn observe_mode_through_the_runtime_loop_changes_nothing() {
    let emu = emulator().await;
    let user = unique("loop-observe");
    seed(&emu, &user, NO_MFA).await;
    let before = view(&emu.iam, &user).await;
    let event = event("create-login-profile.json", &user);

    let run = run_function(
        Path::new(BINARY),
        &function_env(&emu.endpoint, settings("observe", &emu.quarantine, &[])),
        std::slice::from_ref(&event),
    )
    .await
    .expect("the function ran");

    assert_eq!(
        run.responses(),
        vec![outcome(
            &event,
            "observed",
            None,
            vec![console_mfa_finding(&user, &emu.quarantine, false)]
        )]
    );
    assert_eq!(view(&emu.iam, &user).await, before);
}

#[tokio::test]
async fn quarantine_then_release_through_the_runtime_loop() {
    let emu = emulator().await;
    let user = unique("loop-story");
    seed(&emu, &user, NO_MFA).await;
    let env = function_env(&emu.endpoint, settings("remediate", &emu.quarantine, &[]));
    let created = event("create-login-profile.json", &user);

    let run = run_function(Path::new(BINARY), &env, std::slice::from_ref(&created))
        .await
        .expect("the function ran");
    assert_eq!(run.responses()[0]["status"], "remediated");
    assert_eq!(view(&emu.iam, &user).await.attached, {
        let mut a = vec![READ_ONLY.to_string(), emu.quarantine.clone()];
        a.sort();
        a
    });

    enable_mfa(&emu.iam, &user).await;
    let enabled = event("enable-mfa-device.json", &user);
    let run = run_function(Path::new(BINARY), &env, std::slice::from_ref(&enabled))
        .await
        .expect("the function ran");
    assert_eq!(
        run.responses(),
        vec![outcome(
            &enabled,
            "remediated",
            None,
            vec![lift_finding(&user, &emu.quarantine, true)]
        )]
    );
    assert_eq!(
        view(&emu.iam, &user).await.attached,
        vec![READ_ONLY.to_string()]
    );
}

#[tokio::test]
async fn bad_settings_stop_the_start_and_name_the_variable() {
    let emu = emulator().await;
    for (extra, message) in [
        (
            vec![("WARDEN_MFA_ACTION", "delete-user")],
            r#"WARDEN_MFA_ACTION="delete-user" is not valid: use one of quarantine, disable-console"#,
        ),
        (
            vec![("WARDEN_QUARANTINE_POLICY_ARN", "")],
            "WARDEN_QUARANTINE_POLICY_ARN is required: mfa-guard attaches this customer-managed policy (the template's MfaQuarantinePolicy) to users without MFA, and detaches it once they have MFA",
        ),
    ] {
        let mut env = function_env(&emu.endpoint, settings("remediate", &emu.quarantine, &[]));
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));

        let run = run_function(
            Path::new(BINARY),
            &env,
            &[event("create-login-profile.json", "never-created")],
        )
        .await
        .expect("the harness ran");

        run.assert_refused_start(message);
    }
}

#[tokio::test]
async fn access_denied_is_an_invocation_error_naming_the_missing_permission() {
    // A private moto that enforces IAM after the set-up calls below.
    let set_up = warden_tests::aws::USER_SETUP_CALLS + 3;
    let moto = warden_tests::start_private_enforcing_iam_after(set_up).expect("moto started");
    let config = warden_tests::aws::sdk_config(moto.endpoint()).await;
    let iam = aws_sdk_iam::Client::new(&config);
    let quarantine = create_quarantine_policy(&iam, "warden-quarantine").await; // 1
    iam.create_user()
        .user_name("no-mfa")
        .send()
        .await
        .expect("CreateUser"); // 2
    iam.create_login_profile()
        .user_name("no-mfa")
        .password("Correct-Horse-Battery-9")
        .send()
        .await
        .expect("CreateLoginProfile"); // 3
    // Every call mfa-guard makes but AttachUserPolicy.
    let everything_but_attach = [
        "iam:GetLoginProfile",
        "iam:ListMFADevices",
        "iam:ListAttachedUserPolicies",
        "iam:ListUserTags",
        "iam:DetachUserPolicy",
    ];
    let mut env = warden_tests::aws::lambda_env_as_user(
        moto.endpoint(),
        &iam,
        "mfa-guard",
        &everything_but_attach,
    )
    .await;
    env.extend(settings("remediate", &quarantine, &[]));

    let run = run_function(
        Path::new(BINARY),
        &env,
        &[event("create-login-profile.json", "no-mfa")],
    )
    .await
    .expect("the harness ran");

    let (error_type, error_message) = run.invocations[0].expect_error();
    assert_eq!(error_type, "Warden.AccessDenied", "{error_message}");
    assert_eq!(
        error_message,
        format!(
            "AttachUserPolicy on {} was denied: grant the function's role `iam:AttachUserPolicy` on it (User: arn:aws:iam::123456789012:user/mfa-guard is not authorized to perform: iam:AttachUserPolicy)",
            user_arn("no-mfa")
        )
    );
}
