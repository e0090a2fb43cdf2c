//! The built `mfa-guard` binary, driven through a local Lambda Runtime API
//! exactly as Lambda drives it, over every file in `events/mfa-guard`
//! against moto: the outcome JSON each invocation returns and the state each
//! user is left in.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;
use warden_tests::{FunctionRun, InvocationResult, run_function};

const BINARY: &str = env!("CARGO_BIN_EXE_mfa-guard");

fn process_env(emu: &Emulator, settings: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut env = warden_tests::aws::lambda_env(&emu.endpoint);
    env.extend(settings);
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
            } => panic!(
                "invocation failed: {error_type}: {error_message}\nstderr:\n{}",
                run.stderr
            ),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_through_the_runtime_loop() {
    let emu = emulator().await;
    let all = cases();
    let mut events = Vec::new();
    let mut befores = Vec::new();
    for case in &all {
        let user = unique("loop");
        let event = event(case.file, &user);
        let before = match case.seed {
            Some(s) => {
                seed(&emu, &user, s).await;
                Some(view(&emu.iam, &user).await)
            }
            None => None,
        };
        events.push((user, event));
        befores.push(before);
    }
    // A malformed event mid-stream: answered, and the process carries on.
    let mut payloads: Vec<Value> = events.iter().map(|(_, e)| e.clone()).collect();
    payloads.insert(1, json!({"id": "not-cloudtrail", "detail": "nonsense"}));

    // One warm process for every file, as consecutive events would be in Lambda.
    let run = run_function(
        Path::new(BINARY),
        &process_env(&emu, settings("remediate", &emu.quarantine, &[])),
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
        json!({"guard": "mfa-guard", "event_id": "not-cloudtrail", "event_name": null, "status": "failed",
               "reason": "malformed event: event field `detail` is a string, expected a JSON object", "findings": []})
    );
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

    // One EMF metric line per finding, on stdout where Lambda reads it.
    let logs = run.log_lines();
    let mut metrics: Vec<(String, String)> = logs
        .iter()
        .filter(|line| line.get("_aws").is_some())
        .map(|m| {
            assert_eq!(m["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Warden");
            assert_eq!(m["guard"], "mfa-guard");
            (
                m["rule"].as_str().unwrap_or_default().to_string(),
                m["outcome"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    metrics.sort();
    let mut expected: Vec<(String, String)> = outcomes
        .iter()
        .flat_map(|o| {
            o["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    let outcome = if f["applied"] == true {
                        "remediated".to_string()
                    } else {
                        o["status"].as_str().unwrap_or_default().to_string()
                    };
                    (f["rule"].as_str().unwrap_or_default().to_string(), outcome)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    expected.sort();
    assert_eq!(metrics, expected);
    assert!(
        metrics.contains(&("root-console-mfa".into(), "notified".into())),
        "{metrics:?}"
    );
    let handled = logs
        .iter()
        .filter(|line| line["fields"]["message"] == "handled event")
        .count();
    assert_eq!(handled, all.len(), "logs:\n{}", run.stdout);
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
        &process_env(&emu, settings("observe", &emu.quarantine, &[])),
        std::slice::from_ref(&event),
    )
    .await
    .expect("the function ran");

    assert_eq!(
        responses(&run),
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
    let env = process_env(&emu, settings("remediate", &emu.quarantine, &[]));
    let created = event("create-login-profile.json", &user);

    let run = run_function(Path::new(BINARY), &env, std::slice::from_ref(&created))
        .await
        .expect("the function ran");
    assert_eq!(responses(&run)[0]["status"], "remediated");
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
        responses(&run),
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
        let mut env = process_env(&emu, settings("remediate", &emu.quarantine, &[]));
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));

        let run = run_function(
            Path::new(BINARY),
            &env,
            &[event("create-login-profile.json", "never-created")],
        )
        .await
        .expect("the harness ran");

        assert!(run.invocations.is_empty(), "no event may be handled");
        assert_eq!(
            run.init_error,
            Some(json!({"errorType": "Warden.InvalidConfiguration", "errorMessage": message}))
        );
        assert!(run.exit_status.is_some_and(|status| !status.success()));
    }
}

#[tokio::test]
async fn access_denied_is_an_invocation_error_naming_the_missing_permission() {
    // A private moto that enforces IAM after the set-up calls below.
    let moto = warden_tests::start_private_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", "6")])
        .expect("moto started");
    let config = warden_tests::aws::sdk_config(moto.endpoint()).await;
    let iam = aws_sdk_iam::Client::new(&config);
    let quarantine = create_quarantine_policy(&iam, "warden-quarantine").await; // 1
    for user in ["mfa-guard", "no-mfa"] {
        iam.create_user()
            .user_name(user)
            .send()
            .await
            .expect("CreateUser"); // 2, 3
    }
    iam.create_login_profile()
        .user_name("no-mfa")
        .password("Correct-Horse-Battery-9")
        .send()
        .await
        .expect("CreateLoginProfile"); // 4
    // Every call mfa-guard makes but AttachUserPolicy.
    let everything_but_attach = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "iam:GetLoginProfile", "iam:ListMFADevices", "iam:ListAttachedUserPolicies", "iam:ListUserTags",
        "iam:DetachUserPolicy"]}]});
    iam.put_user_policy()
        .user_name("mfa-guard")
        .policy_name("mfa-guard")
        .policy_document(everything_but_attach.to_string())
        .send()
        .await
        .expect("PutUserPolicy"); // 5
    let key = iam
        .create_access_key()
        .user_name("mfa-guard")
        .send()
        .await
        .expect("CreateAccessKey"); // 6
    let key = key.access_key().expect("an access key");

    let mut env = warden_tests::aws::lambda_env(moto.endpoint());
    env.retain(|(k, _)| k != "AWS_ACCESS_KEY_ID" && k != "AWS_SECRET_ACCESS_KEY");
    env.push(("AWS_ACCESS_KEY_ID".into(), key.access_key_id().into()));
    env.push((
        "AWS_SECRET_ACCESS_KEY".into(),
        key.secret_access_key().into(),
    ));
    env.extend(settings("remediate", &quarantine, &[]));

    let run = run_function(
        Path::new(BINARY),
        &env,
        &[event("create-login-profile.json", "no-mfa")],
    )
    .await
    .expect("the harness ran");

    match &run.invocations[0].result {
        InvocationResult::Error {
            error_type,
            error_message,
        } => {
            assert_eq!(error_type, "Warden.AccessDenied", "{error_message}");
            assert_eq!(
                error_message,
                &format!(
                    "AttachUserPolicy on {} was denied: grant the function's role `iam:AttachUserPolicy` on it (User: arn:aws:iam::123456789012:user/mfa-guard is not authorized to perform: iam:AttachUserPolicy)",
                    user_arn("no-mfa")
                )
            );
        }
        other => panic!(
            "expected an invocation error, got {other:?}; stderr:\n{}",
            run.stderr
        ),
    }
}
