//! mfa-guard end to end against the moto emulator, in process: the real
//! pipeline, the real IAM adapter and SDK over HTTP, with every user read
//! back independently through the SDK (attached policies, login profile,
//! MFA devices, tags).

mod common;

use common::*;
use mfa_guard::{MfaGuard, MfaRules};
use serde_json::{Value, json};
use warden_shared::{Config, Pipeline};
use warden_tests::fixtures::{event_id, handle, observed, unique};

fn pipeline(emu: &Emulator, env: &[(String, String)]) -> Pipeline<MfaGuard> {
    let config = Config::from_env(env).expect("valid settings");
    let rules = MfaRules::from_env(env).expect("valid mfa settings");
    Pipeline::build(
        MfaGuard::new(aws_sdk_iam::Client::new(&emu.config), rules),
        config,
        &emu.config,
    )
}

#[test]
fn every_event_file_has_a_case() {
    EVENTS.assert_cases_cover(cases().iter().map(|c| c.file));
}

#[tokio::test]
async fn every_event_file_in_remediate_mode() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("remediate", &emu.quarantine, &[]));
    for case in cases() {
        let (user, event, before) = prepare(&emu, &case, "remediate").await;

        let outcome = handle(&pipeline, event.clone()).await;

        let ctx = Ctx {
            user: &user,
            event: &event,
            quarantine: &emu.quarantine,
        };
        assert_eq!(outcome, (case.expect)(&ctx), "{}", case.file);
        if let (Some(before), Some(quarantined)) = (before, case.quarantined_after) {
            // Only the quarantine policy may change: the user's own policy,
            // password, MFA devices and tags stay exactly as they were.
            assert_eq!(
                view(&emu.iam, &user).await,
                before.with_quarantine(&emu.quarantine, quarantined),
                "{}",
                case.file
            );
        }
    }
}

#[tokio::test]
async fn observe_mode_changes_nothing_and_still_returns_the_findings() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("observe", &emu.quarantine, &[]));
    for case in cases() {
        let (user, event, before) = prepare(&emu, &case, "observe").await;

        let outcome = handle(&pipeline, event.clone()).await;

        let ctx = Ctx {
            user: &user,
            event: &event,
            quarantine: &emu.quarantine,
        };
        assert_eq!(outcome, observed((case.expect)(&ctx)), "{}", case.file);
        if let Some(before) = before {
            assert_eq!(
                view(&emu.iam, &user).await,
                before,
                "{}: observe must not change the user",
                case.file
            );
        }
    }
}

#[tokio::test]
async fn a_user_is_quarantined_then_released_when_they_enable_mfa() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("remediate", &emu.quarantine, &[]));
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
        handle(&pipeline, created.clone()).await,
        outcome(
            &created,
            "remediated",
            None,
            vec![console_mfa_finding(&user, &emu.quarantine, true)]
        )
    );
    let quarantined = view(&emu.iam, &user).await;
    assert_eq!(
        quarantined,
        View {
            attached: {
                let mut a = vec![READ_ONLY.to_string(), emu.quarantine.clone()];
                a.sort();
                a
            },
            ..before.clone()
        },
        "the quarantine policy is attached and nothing else changes"
    );

    // The user sets up MFA themselves: the quarantine allows exactly that.
    enable_mfa(&emu.iam, &user).await;
    let enabled = event("enable-mfa-device.json", &user);
    assert_eq!(
        handle(&pipeline, enabled.clone()).await,
        outcome(
            &enabled,
            "remediated",
            None,
            vec![lift_finding(&user, &emu.quarantine, true)]
        )
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
async fn replaying_an_event_is_a_no_op() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("remediate", &emu.quarantine, &[]));
    for (file, seeded) in [
        ("create-login-profile.json", NO_MFA),
        ("console-login-without-mfa.json", NO_MFA),
        ("enable-mfa-device.json", MFA_AND_QUARANTINED),
    ] {
        let user = unique("replay");
        seed(&emu, &user, seeded).await;
        let event = event(file, &user);
        assert_eq!(
            handle(&pipeline, event.clone()).await["status"],
            "remediated"
        );
        let fixed = view(&emu.iam, &user).await;
        assert_eq!(
            handle(&pipeline, event.clone()).await,
            outcome(&event, "compliant", None, vec![]),
            "{file}"
        );
        assert_eq!(view(&emu.iam, &user).await, fixed, "{file}");
    }
}

#[tokio::test]
async fn users_with_mfa_or_without_a_password_are_compliant() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("remediate", &emu.quarantine, &[]));
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
            handle(&pipeline, event.clone()).await,
            outcome(&event, "compliant", None, vec![]),
            "{file}"
        );
        assert_eq!(view(&emu.iam, &user).await, before, "{file}");
    }
}

#[tokio::test]
async fn disable_console_deletes_the_password_and_attaches_nothing() {
    let emu = emulator().await;
    let env = settings(
        "remediate",
        &emu.quarantine,
        &[("WARDEN_MFA_ACTION", "disable-console")],
    );
    let user = unique("disable");
    seed(&emu, &user, NO_MFA).await;
    let before = view(&emu.iam, &user).await;
    let event = event("create-login-profile.json", &user);

    let result = handle(&pipeline(&emu, &env), event.clone()).await;

    assert_eq!(
        result,
        outcome(
            &event,
            "remediated",
            None,
            vec![json!({"rule": "console-mfa", "resource": user_arn(&user),
                "evidence": format!("{user} can sign in to the console with a password and has no MFA device"),
                "changes": [{"action": "delete-login-profile", "before": {"ConsoleAccess": true}, "after": {"ConsoleAccess": false}}],
                "applied": true, "severity": "high"})]
        )
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
async fn exemption_tags_switch_off_their_rules() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("remediate", &emu.quarantine, &[]));

    let rule = unique("exempt-rule");
    seed(&emu, &rule, NO_MFA).await;
    tag(
        &emu.iam,
        &rule,
        "warden:exempt",
        "console-mfa until=2999-12-31",
    )
    .await;
    let before = view(&emu.iam, &rule).await;
    let event_rule = event("create-login-profile.json", &rule);
    assert_eq!(
        handle(&pipeline, event_rule.clone()).await,
        outcome(&event_rule, "compliant", None, vec![])
    );
    assert_eq!(view(&emu.iam, &rule).await, before);

    let all = unique("exempt-all");
    seed(&emu, &all, NO_MFA).await;
    tag(&emu.iam, &all, "warden:exempt", "all").await;
    let event_all = event("create-login-profile.json", &all);
    let reason = format!(
        "{} is exempt from every rule (tag warden:exempt)",
        user_arn(&all)
    );
    assert_eq!(
        handle(&pipeline, event_all.clone()).await,
        outcome(&event_all, "skipped", Some(&reason), vec![])
    );

    let expired = unique("exempt-expired");
    seed(&emu, &expired, NO_MFA).await;
    tag(&emu.iam, &expired, "warden:exempt", "all until=2020-01-31").await;
    let result = handle(&pipeline, event("create-login-profile.json", &expired)).await;
    assert_eq!(
        result["status"], "remediated",
        "an expired exemption enforces the rule"
    );
}

#[tokio::test]
async fn notify_mode_publishes_the_root_sign_in_as_critical() {
    let emu = emulator().await;
    let name = unique("alerts");
    let alerts = warden_tests::Alerts::subscribe(&emu.config, &name).await;
    let topic = alerts.topic_arn.clone();
    let mut env = settings("notify", &emu.quarantine, &[]);
    env.push(("WARDEN_TOPIC_ARN".into(), topic));
    let event = event("console-login-root-without-mfa.json", "unused");

    let result = handle(&pipeline(&emu, &env), event.clone()).await;

    assert_eq!(
        result,
        outcome(&event, "notified", None, vec![root_finding()])
    );
    let messages = alerts.received().await;
    assert_eq!(messages.len(), 1);
    let alert: Value = serde_json::from_str(&messages[0]).unwrap();
    assert_eq!(
        alert,
        json!({
            "guard": "mfa-guard", "rule": "root-console-mfa", "resource": format!("arn:aws:iam::{ACCOUNT}:root"),
            "account": ACCOUNT, "region": "us-east-1", "event_id": event_id(&event),
            "event_name": "ConsoleLogin", "principal": format!("arn:aws:iam::{ACCOUNT}:root"),
            "mode": "notify", "outcome": "notified",
            "evidence": format!("the root user of account {ACCOUNT} signed in to the console without MFA"),
            "changes": [], "applied": false, "severity": "critical"
        })
    );
}

#[tokio::test]
async fn a_user_deleted_before_the_function_runs_is_skipped() {
    let emu = emulator().await;
    let user = unique("gone");
    let event = event("create-login-profile.json", &user);
    let result = handle(
        &pipeline(&emu, &settings("remediate", &emu.quarantine, &[])),
        event.clone(),
    )
    .await;
    let reason = format!("{} no longer exists", user_arn(&user));
    assert_eq!(result, outcome(&event, "skipped", Some(&reason), vec![]));
}

#[tokio::test]
async fn malformed_events_fail_with_the_field_named() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("remediate", &emu.quarantine, &[]));

    // An admin role's call without a userName: IAM would act on the caller,
    // which is no user, so there is nobody to check.
    let mut event = event("create-login-profile.json", "ignored");
    event["detail"]["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("userName");
    assert_eq!(
        handle(&pipeline, event.clone()).await,
        outcome(
            &event,
            "failed",
            Some("malformed event: event field `detail.requestParameters.userName` is missing"),
            vec![]
        )
    );

    event["detail"]["requestParameters"]["userName"] = json!("../admin");
    assert_eq!(
        handle(&pipeline, event.clone()).await,
        outcome(
            &event,
            "failed",
            Some(
                r#"malformed event: event field `detail.requestParameters.userName` is "../admin", not an IAM user name"#
            ),
            vec![]
        )
    );
}

#[tokio::test]
async fn without_a_user_name_iam_acts_on_the_calling_user() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("remediate", &emu.quarantine, &[]));
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
        handle(&pipeline, event.clone()).await,
        outcome(
            &event,
            "remediated",
            None,
            vec![console_mfa_finding(&user, &emu.quarantine, true)]
        )
    );
}
