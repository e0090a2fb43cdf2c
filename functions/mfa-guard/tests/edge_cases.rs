//! mfa-guard's own edge cases against moto (the generic suites in
//! `suites.rs` run every event file in every mode): the quarantine and its
//! release as one story, compliant users, `disable-console`, exemption tags,
//! the root sign-in's alert, users under a path, events that
//! name no user or a bad one, and the second setting the start refuses.

mod fixture;

use fixture::*;
use mfa_guard::MfaGuard;
use serde_json::{Value, json};
use std::path::Path;
use warden_tests::fixtures::{event_id, function_env, handle, unique};
use warden_tests::run_function;

#[tokio::test]
async fn a_user_is_quarantined_then_released_when_they_enable_mfa() {
    let emu = emulator().await;
    let user = unique("story");
    seed(&emu, &user, NO_MFA).await;
    let before = view(&emu.iam, &user).await;
    assert_eq!(
        before,
        View {
            attached: vec![READ_ONLY.into()],
            login_profile: true,
            mfa_devices: vec![],
            tags: vec![("team".into(), "data".into())],
        }
    );

    let created = event("create-login-profile.json", &user);
    assert_eq!(
        remediate(&emu, &[], created.clone()).await,
        quarantined(&created, &user, &emu.quarantine)
    );
    assert_eq!(
        view(&emu.iam, &user).await,
        before.clone().with_quarantine(&emu.quarantine, true),
        "the quarantine policy is attached and nothing else changes"
    );

    // The user sets up MFA themselves: the quarantine allows exactly that.
    enable_mfa(&emu.iam, &user).await;
    let enabled = event("enable-mfa-device.json", &user);
    assert_eq!(
        remediate(&emu, &[], enabled.clone()).await,
        released(&enabled, &user, &emu.quarantine)
    );
    assert_eq!(
        view(&emu.iam, &user).await,
        View {
            mfa_devices: vec![device_arn(&user)],
            ..before
        },
        "the quarantine is lifted; the user's own policy stays"
    );
}

#[tokio::test]
async fn users_with_mfa_or_without_a_password_are_compliant() {
    let emu = emulator().await;
    for (file, seeded) in [
        ("update-login-profile.json", WITH_MFA),
        ("deactivate-mfa-device.json", NO_PASSWORD),
        ("console-login-without-mfa.json", WITH_MFA),
    ] {
        let user = unique("compliant");
        seed(&emu, &user, seeded).await;
        let before = view(&emu.iam, &user).await;
        let event = event(file, &user);
        assert_eq!(
            remediate(&emu, &[], event.clone()).await,
            outcome(&event, "compliant", None, vec![]),
            "{file}"
        );
        assert_eq!(view(&emu.iam, &user).await, before, "{file}");
    }
}

#[tokio::test]
async fn disable_console_deletes_the_password_and_attaches_nothing() {
    let emu = emulator().await;
    let user = unique("disable");
    seed(&emu, &user, NO_MFA).await;
    let before = view(&emu.iam, &user).await;
    let event = event("create-login-profile.json", &user);

    let disable_console = [("WARDEN_MFA_ACTION", "disable-console")];
    let result = remediate(&emu, &disable_console, event.clone()).await;

    assert_eq!(
        result,
        remediated(&event, vec![console_disabled_finding(&user, true)])
    );
    assert_eq!(
        view(&emu.iam, &user).await,
        View {
            login_profile: false,
            ..before
        }
    );
}

#[tokio::test]
async fn notify_mode_publishes_the_root_sign_in_as_critical() {
    let emu = emulator().await;
    let alerts = warden_tests::Alerts::subscribe(&emu.config, &unique("alerts")).await;
    let env = settings(
        "notify",
        &emu.quarantine,
        &[("WARDEN_TOPIC_ARN", &alerts.topic_arn)],
    );
    let event = event("console-login-root-without-mfa.json", "unused");

    let result = handle(&pipeline(&emu, &env), event.clone()).await;

    assert_eq!(
        result,
        outcome(&event, "notified", None, vec![root_finding()])
    );
    let alert = alerts.the_one().await;
    assert_eq!(
        alert,
        json!({
            "guard": "mfa-guard", "rule": "root-console-mfa", "resource": format!("arn:aws:iam::{ACCOUNT}:root"),
            "account": ACCOUNT, "region": "us-east-1",
            "trigger": {"event": {"event_id": event_id(&event), "event_name": "ConsoleLogin"}},
            "event_id": event_id(&event),
            "event_name": "ConsoleLogin", "principal": format!("arn:aws:iam::{ACCOUNT}:root"),
            "mode": "notify", "outcome": "notified",
            "evidence": format!("the root user of account {ACCOUNT} signed in to the console without MFA"),
            "changes": [], "applied": false, "severity": "critical"
        })
    );
}

#[tokio::test]
async fn a_user_under_a_path_is_named_by_the_sign_ins_arn() {
    let emu = emulator().await;
    let user = unique("path");
    seed_at(&emu, &user, "/ops/", NO_MFA).await;
    let arn = format!("arn:aws:iam::{ACCOUNT}:user/ops/{user}");
    let mut event = event("console-login-without-mfa.json", &user);
    event["detail"]["userIdentity"]["arn"] = json!(arn);

    let mut finding = console_mfa_finding(&user, &emu.quarantine, true);
    finding["resource"] = json!(arn);
    assert_eq!(
        remediate(&emu, &[], event.clone()).await,
        remediated(&event, vec![finding])
    );
    assert!(
        view(&emu.iam, &user)
            .await
            .attached
            .contains(&emu.quarantine)
    );
}

#[tokio::test]
async fn malformed_events_fail_with_the_field_named() {
    let emu = emulator().await;
    let failed = |event: &Value, problem: &str| {
        let reason =
            format!("malformed event: event field `detail.requestParameters.userName` {problem}");
        outcome(event, "failed", Some(&reason), vec![])
    };

    // An admin role's call without a userName: IAM would act on the caller,
    // which is no user, so there is nobody to check.
    let mut event = event("create-login-profile.json", "ignored");
    event["detail"]["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("userName");
    let result = remediate(&emu, &[], event.clone()).await;
    assert_eq!(result, failed(&event, "is missing"));

    event["detail"]["requestParameters"]["userName"] = json!("../admin");
    let result = remediate(&emu, &[], event.clone()).await;
    assert_eq!(
        result,
        failed(&event, r#"is "../admin", not an IAM user name"#)
    );
}

#[tokio::test]
async fn without_a_user_name_iam_acts_on_the_calling_user() {
    let emu = emulator().await;
    let user = unique("self");
    seed(&emu, &user, NO_MFA).await;
    // The user changed their own login profile, naming no user.
    let mut event = event("update-login-profile.json", &user);
    event["detail"]["userIdentity"] = json!({"type": "IAMUser", "arn": user_arn(&user),
        "accountId": ACCOUNT, "userName": user});
    event["detail"]["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("userName");
    assert_eq!(
        remediate(&emu, &[], event.clone()).await,
        quarantined(&event, &user, &emu.quarantine)
    );
}

/// The kit's refused start covers `WARDEN_MFA_ACTION`; this is the other
/// setting mfa-guard cannot start without.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_quarantine_policy_stops_the_start_and_names_the_variable() {
    let emu = emulator().await;
    let mut env = function_env(&emu.endpoint, settings("remediate", &emu.quarantine, &[]));
    env.retain(|(k, _)| k != MfaGuard::QUARANTINE_POLICY_ARN);
    env.push((MfaGuard::QUARANTINE_POLICY_ARN.into(), String::new()));

    let run = run_function(
        Path::new(env!("CARGO_BIN_EXE_mfa-guard")),
        &env,
        &[event("create-login-profile.json", "never-created")],
    )
    .await
    .expect("the harness ran");

    run.assert_refused_start(
        "WARDEN_QUARANTINE_POLICY_ARN is required: mfa-guard attaches this customer-managed policy (the template's MfaQuarantinePolicy) to users without MFA, and detaches it once they have MFA",
    );
}

/// The MFA device is read again immediately before the quarantine is lifted:
/// a user who loses it while the lift runs stays quarantined.
#[tokio::test]
async fn a_user_who_loses_mfa_while_the_lift_runs_stays_quarantined() {
    use std::sync::Arc;
    use warden_tests::faults::{Effect, FaultProxy};

    let proxy = FaultProxy::start(warden_tests::moto().endpoint())
        .await
        .unwrap();
    let emu = world(proxy.endpoint()).await;
    let user = unique("lift-race");
    seed(&emu, &user, MFA_AND_QUARANTINED).await;
    let event = event("enable-mfa-device.json", &user);
    // The device goes (straight to IAM, not through the proxy) just before
    // mfa-guard reads it the second time, to lift the quarantine.
    let iam = emulator().await.iam;
    let (name, serial) = (user.clone(), device_arn(&user));
    proxy.inject_after(
        "ListMFADevices",
        1,
        Effect::Before(Arc::new(move || {
            let (iam, name, serial) = (iam.clone(), name.clone(), serial.clone());
            Box::pin(async move {
                iam.deactivate_mfa_device()
                    .user_name(&name)
                    .serial_number(&serial)
                    .send()
                    .await
                    .expect("DeactivateMFADevice");
            })
        })),
        1,
    );

    let result = remediate(&emu, &[], event).await;

    assert_eq!(result["status"], "compliant", "{result}");
    let reason = result["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "{user} has no MFA device any more, so the quarantine stays"
        )),
        "{reason}"
    );
    let after = view(&emu.iam, &user).await;
    assert!(
        after.attached.contains(&emu.quarantine),
        "still quarantined: {after:?}"
    );
    assert!(
        !proxy.seen().contains(&"DetachUserPolicy".to_string()),
        "the quarantine was never detached"
    );
}
