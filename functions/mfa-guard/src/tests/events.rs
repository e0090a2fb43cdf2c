//! Reading an event once: the user to check, sign-ins classified, and
//! what is skipped, not handled or malformed.

use super::*;

fn event(file: &str) -> CloudTrailEvent {
    let path = format!(
        "{}/../../events/mfa-guard/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    CloudTrailEvent::parse(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn read(event: &CloudTrailEvent) -> Reading<Subject, Evidence> {
    guard(MfaAction::Quarantine).read_event(event)
}

fn demo_user(evidence: Evidence) -> Reading<Subject, Evidence> {
    Reading::Check(Check::one(
        Subject::User(User::new("warden-demo-user", "123456789012", "us-east-1")),
        evidence,
    ))
}

#[test]
fn iam_calls_name_the_user_to_check() {
    for file in [
        "create-login-profile.json",
        "update-login-profile.json",
        "deactivate-mfa-device.json",
        "enable-mfa-device.json",
        "delete-virtual-mfa-device.json",
    ] {
        assert_eq!(read(&event(file)), demo_user(Evidence::IamCall), "{file}");
    }
}

#[test]
fn sign_ins_are_classified_once() {
    assert_eq!(
        read(&event("console-login-without-mfa.json")),
        demo_user(Evidence::SignInWithoutMfa)
    );
    assert_eq!(
        read(&event("console-login-root-without-mfa.json")),
        Reading::Check(Check::one(
            Subject::root("123456789012", "us-east-1"),
            Evidence::SignInWithoutMfa
        ))
    );
    assert!(matches!(
        read(&event("console-login-failed.json")),
        Reading::Skip(why) if why.starts_with("the sign-in did not succeed")
    ));
}

#[test]
fn a_sign_in_keeps_the_users_path() {
    let mut e = event("console-login-without-mfa.json");
    e.detail.user_identity.arn = Some("arn:aws:iam::123456789012:user/ops/warden-demo-user".into());
    let Reading::Check(check) = read(&e) else {
        panic!("a check");
    };
    assert_eq!(
        check.targets[0].arn(),
        "arn:aws:iam::123456789012:user/ops/warden-demo-user"
    );
    // An ARN that names someone else is not taken.
    e.detail.user_identity.arn = Some("arn:aws:iam::123456789012:user/ops/mallory".into());
    assert_eq!(read(&e), demo_user(Evidence::SignInWithoutMfa));
}

#[test]
fn root_and_role_calls_are_skipped_and_other_events_not_handled() {
    assert!(matches!(
        read(&event("enable-mfa-device-root.json")),
        Reading::Skip(why) if why.starts_with("EnableMFADevice on the root user's own MFA device")
    ));
    assert!(matches!(
        read(&event("delete-virtual-mfa-device-by-role.json")),
        Reading::Skip(why) if why.starts_with("DeleteVirtualMFADevice names only the device")
    ));
    let mut other = event("create-login-profile.json");
    other.detail.event_name = "CreateUser".into();
    assert_eq!(
        read(&other),
        Reading::NotHandled(
            "CreateUser from iam.amazonaws.com is not an event mfa-guard handles".into()
        )
    );
}

#[test]
fn malformed_calls_name_the_field() {
    let mut e = event("create-login-profile.json");
    e.detail.request_parameters = json!({"userName": "../admin"});
    assert_eq!(
        read(&e),
        Reading::Malformed(EventError::invalid(
            "detail.requestParameters.userName",
            r#"is "../admin", not an IAM user name"#
        ))
    );
    e.detail.request_parameters = json!({});
    assert_eq!(
        read(&e),
        Reading::Malformed(EventError::missing("detail.requestParameters.userName"))
    );
}
