//! The settings, the event reading, the rules and the plan, from fixtures:
//! no I/O.

use super::*;
use serde_json::json;
use subject::UserState;
use warden_shared::{Assessment, Exemption, Resource, Severity, guard::permissions, rule::assess};

const Q: &str = "arn:aws:iam::123456789012:policy/warden-MfaQuarantinePolicy-1A2B";
const DEVICE: &str = "arn:aws:iam::123456789012:mfa/alice";

fn guard(action: MfaAction) -> MfaGuard {
    MfaGuard {
        action,
        quarantine_policy_arn: Q.into(),
    }
}

fn alice() -> Subject {
    Subject::User(User::new("alice", "123456789012", "us-east-1"))
}

fn state(console_password: bool, mfa: &[&str], quarantined: bool) -> MfaState {
    MfaState::User(UserState {
        console_password,
        mfa_devices: mfa.iter().map(|s| s.to_string()).collect(),
        quarantined,
    })
}

/// Every rule in force on `subject`, and the plan of their fixes; `evidence`
/// is `None` on the resource path (a sweep).
fn evaluate(
    guard: &MfaGuard,
    subject: &Subject,
    state: &MfaState,
    evidence: Option<Evidence>,
    exemption: &Exemption,
) -> Assessment<MfaPlan> {
    let input = Input {
        target: subject,
        state,
        evidence: evidence.as_ref(),
    };
    assess(guard, &input, exemption)
}

/// On an IAM call's event, with no exemption.
fn on_event(guard: &MfaGuard, state: &MfaState) -> Assessment<MfaPlan> {
    evaluate(
        guard,
        &alice(),
        state,
        Some(Evidence::IamCall),
        &Exemption::None,
    )
}

fn summary(a: &Assessment<MfaPlan>) -> (Vec<(&str, bool)>, Vec<Fix>) {
    let findings = a
        .findings
        .iter()
        .map(|p| (p.finding.rule.as_str(), p.blocked.is_none()))
        .collect();
    (findings, a.plan.fixes.clone())
}

#[test]
fn console_password_without_mfa_is_quarantined() {
    let a = on_event(&guard(MfaAction::Quarantine), &state(true, &[], false));
    assert_eq!(
        summary(&a),
        (vec![("console-mfa", true)], vec![Fix::AttachQuarantine])
    );
    let finding = serde_json::to_value(&a.findings[0].finding).unwrap();
    assert_eq!(
        finding,
        json!({"rule": "console-mfa", "resource": "arn:aws:iam::123456789012:user/alice",
               "evidence": "alice can sign in to the console with a password and has no MFA device",
               "changes": [{"action": "attach-user-policy", "before": null, "after": {"PolicyArn": Q}}],
               "applied": false, "severity": "high"})
    );
}

#[test]
fn compliant_users() {
    for (state, why) in [
        (state(false, &[], false), "no console password"),
        (state(true, &[DEVICE], false), "has MFA"),
        (
            state(true, &[], true),
            "already quarantined: cannot use the console without MFA",
        ),
        (state(false, &[], true), "quarantined, no password, no MFA"),
    ] {
        let a = on_event(&guard(MfaAction::Quarantine), &state);
        assert_eq!(summary(&a), (vec![], vec![]), "{why}");
    }
}

#[test]
fn an_mfa_device_lifts_the_quarantine() {
    let a = on_event(&guard(MfaAction::Quarantine), &state(true, &[DEVICE], true));
    assert_eq!(
        summary(&a),
        (vec![("quarantine-lift", true)], vec![Fix::DetachQuarantine])
    );
    assert_eq!(
        a.findings[0].finding.evidence,
        "alice has an MFA device now (arn:aws:iam::123456789012:mfa/alice), so the quarantine is no longer needed"
    );
    assert_eq!(a.findings[0].finding.severity, Some(Severity::Low));
    assert_eq!(
        serde_json::to_value(&a.findings[0].finding.changes).unwrap(),
        json!([{"action": "detach-user-policy", "before": {"PolicyArn": Q}, "after": null}])
    );
}

#[test]
fn disable_console_deletes_the_login_profile_instead() {
    for quarantined in [false, true] {
        let a = on_event(
            &guard(MfaAction::DisableConsole),
            &state(true, &[], quarantined),
        );
        assert_eq!(
            summary(&a),
            (vec![("console-mfa", true)], vec![Fix::DeleteLoginProfile])
        );
        assert_eq!(
            serde_json::to_value(&a.findings[0].finding.changes).unwrap(),
            json!([{"action": "delete-login-profile", "before": {"ConsoleAccess": true}, "after": {"ConsoleAccess": false}}])
        );
    }
}

#[test]
fn root_is_reported_never_changed() {
    let root = Subject::root("123456789012", "us-east-1");
    let a = evaluate(
        &guard(MfaAction::DisableConsole),
        &root,
        &MfaState::Root,
        Some(Evidence::SignInWithoutMfa),
        &Exemption::None,
    );
    assert_eq!(summary(&a), (vec![("root-console-mfa", false)], vec![]));
    assert_eq!(
        a.findings[0].finding.resource,
        "arn:aws:iam::123456789012:root"
    );
    assert_eq!(a.findings[0].finding.severity, Some(Severity::Critical));
    assert_eq!(
        a.findings[0].blocked.as_deref(),
        Some(
            "Warden cannot change the root user: sign in as root and assign an MFA device under Security credentials"
        )
    );
}

#[test]
fn only_a_sign_in_proves_root_signed_in_without_mfa() {
    let root = Subject::root("123456789012", "us-east-1");
    let g = guard(MfaAction::Quarantine);
    let swept = evaluate(&g, &root, &MfaState::Root, None, &Exemption::None);
    assert_eq!(summary(&swept), (vec![], vec![]), "a sweep proves nothing");
    let call = evaluate(
        &g,
        &root,
        &MfaState::Root,
        Some(Evidence::IamCall),
        &Exemption::None,
    );
    assert_eq!(summary(&call), (vec![], vec![]));
}

#[test]
fn the_user_rules_stand_on_the_users_state_alone() {
    let swept = evaluate(
        &guard(MfaAction::Quarantine),
        &alice(),
        &state(true, &[], false),
        None,
        &Exemption::None,
    );
    assert_eq!(
        summary(&swept),
        (vec![("console-mfa", true)], vec![Fix::AttachQuarantine])
    );
}

#[test]
fn exemptions_switch_off_their_rule() {
    let g = guard(MfaAction::Quarantine);
    let exempt = Exemption::Rules(vec!["console-mfa".into()]);
    let evidence = Some(Evidence::IamCall);
    let a = evaluate(&g, &alice(), &state(true, &[], false), evidence, &exempt);
    assert_eq!(summary(&a), (vec![], vec![]));
    let a = evaluate(
        &g,
        &alice(),
        &state(true, &[DEVICE], true),
        evidence,
        &exempt,
    );
    assert_eq!(
        summary(&a).0,
        vec![("quarantine-lift", true)],
        "lifting Warden's own quarantine is a separate rule"
    );
}

#[test]
fn each_setting_needs_only_the_calls_its_rules_make() {
    assert_eq!(
        permissions(&guard(MfaAction::Quarantine)),
        [
            "iam:AttachUserPolicy",
            "iam:DetachUserPolicy",
            "iam:GetLoginProfile",
            "iam:ListAttachedUserPolicies",
            "iam:ListMFADevices",
            "iam:ListUserTags"
        ]
    );
    assert_eq!(
        permissions(&guard(MfaAction::DisableConsole)),
        [
            "iam:DeleteLoginProfile",
            "iam:DetachUserPolicy",
            "iam:GetLoginProfile",
            "iam:ListAttachedUserPolicies",
            "iam:ListMFADevices",
            "iam:ListUserTags"
        ]
    );
}

#[test]
fn settings() {
    let env = [("WARDEN_QUARANTINE_POLICY_ARN", Q)];
    assert_eq!(
        MfaGuard::from_env(&env[..]).unwrap(),
        guard(MfaAction::Quarantine)
    );
    let env = [
        ("WARDEN_QUARANTINE_POLICY_ARN", Q),
        ("WARDEN_MFA_ACTION", "Disable-Console"),
    ];
    assert_eq!(
        MfaGuard::from_env(&env[..]).unwrap().action,
        MfaAction::DisableConsole
    );
    let none: [(&str, &str); 0] = [];
    assert_eq!(
        MfaGuard::from_env(&none[..]).unwrap_err().to_string(),
        "WARDEN_QUARANTINE_POLICY_ARN is required: mfa-guard attaches this customer-managed policy (the template's MfaQuarantinePolicy) to users without MFA, and detaches it once they have MFA"
    );
    assert_eq!(
        MfaGuard::from_env(
            &[
                ("WARDEN_QUARANTINE_POLICY_ARN", Q),
                ("WARDEN_MFA_ACTION", "delete")
            ][..]
        )
        .unwrap_err()
        .to_string(),
        r#"WARDEN_MFA_ACTION="delete" is not valid: use one of quarantine, disable-console"#
    );
    for bad in [
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::123456789012:role/x",
        "arn:aws:iam::123456789012:policy/",
        "arn:aws:iam::123456789012:policy/path/",
        "arn:aws:iam:us-east-1:123456789012:policy/x",
        "arn:aws:s3::123456789012:policy/x",
        "warden-quarantine",
    ] {
        assert!(
            MfaGuard::from_env(&[("WARDEN_QUARANTINE_POLICY_ARN", bad)][..])
                .unwrap_err()
                .to_string()
                .starts_with(&format!(
                    "WARDEN_QUARANTINE_POLICY_ARN={bad:?} is not valid"
                )),
            "{bad}"
        );
    }
    assert!(is_customer_policy_arn(
        "arn:aws-cn:iam::123456789012:policy/security/warden-q"
    ));
}

#[test]
fn user_names() {
    assert!(is_user_name("alice.smith+ops@example.com"));
    assert!(!is_user_name("AWS ROOT USER"));
    assert!(!is_user_name(""));
    assert!(!is_user_name(&"a".repeat(65)));
}

mod events;
