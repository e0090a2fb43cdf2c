//! Console sign-ins (`ConsoleLogin`, detail-type `AWS Console Sign In via
//! CloudTrail`): which ones mean an IAM user or root got into the console
//! without MFA, and why the others need no check.
//!
//! A sign-in record has no `requestID` and no request parameters: the person
//! is in `userIdentity`, the result in `responseElements.ConsoleLogin`
//! (`Success` or `Failure`) and whether MFA was used in
//! `additionalEventData.MFAUsed` (`Yes` or `No`). A failed IAM-user sign-in
//! carries `errorMessage: "Failed authentication"` and no `arn`; sign-ins
//! through SAML (including IAM Identity Center) are `AssumedRole` sessions
//! with `additionalEventData.SamlProviderArn`.

use serde_json::Value;
use warden_shared::CloudTrailEvent;

/// What a console sign-in asks of mfa-guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// An IAM user signed in without MFA (or the record does not say): check
    /// the user. Carries `userIdentity.userName`, if present.
    User(Option<String>),
    /// The root user signed in without MFA.
    Root,
    /// Nothing to check, and why.
    Skip(String),
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Sorts a `ConsoleLogin` event.
pub fn classify(event: &CloudTrailEvent) -> SignIn {
    let detail = &event.detail;
    let identity = &detail.user_identity;
    let principal = identity.principal().unwrap_or("unknown principal");
    let result = text(&detail.response_elements, "ConsoleLogin");
    if result != Some("Success") {
        let why = match (&detail.error_message, result) {
            (Some(message), _) => message.clone(),
            (None, Some(result)) => format!("ConsoleLogin: {result}"),
            (None, None) => "no ConsoleLogin result in responseElements".into(),
        };
        return SignIn::Skip(format!(
            "the sign-in did not succeed ({why}), so nobody signed in"
        ));
    }
    let mfa_used = text(&detail.additional_event_data, "MFAUsed");
    let saml_provider = text(&detail.additional_event_data, "SamlProviderArn");
    match identity.kind.as_deref() {
        Some("Root") => match mfa_used {
            Some("No") => SignIn::Root,
            Some("Yes") => SignIn::Skip("the root user signed in with MFA".into()),
            _ => SignIn::Skip(
                "the root user signed in, but the record does not say whether MFA was used (additionalEventData.MFAUsed)".into(),
            ),
        },
        Some("IAMUser") => {
            if mfa_used == Some("Yes") {
                SignIn::Skip(format!("{principal} signed in with MFA"))
            } else {
                SignIn::User(identity.user_name.clone())
            }
        }
        Some("AssumedRole") => {
            let identity_center = identity
                .session_issuer_arn
                .as_deref()
                .is_some_and(|arn| arn.contains("/AWSReservedSSO_"))
                || saml_provider.is_some_and(|arn| arn.contains(":saml-provider/AWSSSO_"));
            let reason = if identity_center {
                format!(
                    "an IAM Identity Center sign-in ({principal}): MFA for these users is set in IAM Identity Center, and the session has no IAM user or console password to check"
                )
            } else if let Some(provider) = saml_provider {
                format!(
                    "a SAML-federated sign-in through {provider} ({principal}): MFA for federated users is enforced by the identity provider, and the session has no IAM user or console password to check"
                )
            } else {
                format!(
                    "an assumed-role session signed in ({principal}): a role has no console password or MFA device of its own to check"
                )
            };
            SignIn::Skip(reason)
        }
        Some("FederatedUser") => SignIn::Skip(format!(
            "a federated user signed in with temporary credentials ({principal}): there is no IAM user or console password to check"
        )),
        other => SignIn::Skip(format!(
            "a sign-in by a {} identity ({principal}), which is neither an IAM user nor root",
            other.unwrap_or("(no userIdentity.type)")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(identity: Value, result: &str, extra: Value) -> CloudTrailEvent {
        let mut detail = json!({
            "eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "eventID": "e",
            "userIdentity": identity, "responseElements": {"ConsoleLogin": result},
            "additionalEventData": extra
        });
        if result == "Failure" {
            detail["errorMessage"] = json!("Failed authentication");
        }
        CloudTrailEvent::parse(&json!({"id": "x", "account": "123456789012", "detail": detail}))
            .unwrap()
    }

    fn user() -> Value {
        json!({"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice", "userName": "alice"})
    }

    #[test]
    fn an_iam_user_without_mfa_is_checked() {
        assert_eq!(
            classify(&event(user(), "Success", json!({"MFAUsed": "No"}))),
            SignIn::User(Some("alice".into()))
        );
        assert_eq!(
            classify(&event(user(), "Success", json!({}))),
            SignIn::User(Some("alice".into())),
            "a record that does not say is checked: the check reads the user's state, not the event"
        );
    }

    #[test]
    fn root_without_mfa_is_reported_only_when_the_record_says_so() {
        let root = json!({"type": "Root", "arn": "arn:aws:iam::123456789012:root"});
        assert_eq!(
            classify(&event(root.clone(), "Success", json!({"MFAUsed": "No"}))),
            SignIn::Root
        );
        assert_eq!(
            classify(&event(root.clone(), "Success", json!({"MFAUsed": "Yes"}))),
            SignIn::Skip("the root user signed in with MFA".into())
        );
        assert!(matches!(
            classify(&event(root, "Success", json!({}))),
            SignIn::Skip(why) if why.contains("does not say")
        ));
    }

    #[test]
    fn the_rest_are_skipped_with_the_reason() {
        let failed = event(
            json!({"type": "IAMUser", "userName": "alice", "accessKeyId": ""}),
            "Failure",
            json!({"MFAUsed": "No"}),
        );
        assert_eq!(
            classify(&failed),
            SignIn::Skip(
                "the sign-in did not succeed (Failed authentication), so nobody signed in".into()
            )
        );
        assert_eq!(
            classify(&event(user(), "Success", json!({"MFAUsed": "Yes"}))),
            SignIn::Skip("arn:aws:iam::123456789012:user/alice signed in with MFA".into())
        );
        let role = |issuer: &str| {
            json!({"type": "AssumedRole", "arn": format!("arn:aws:sts::123456789012:assumed-role/{issuer}/alice"),
                   "sessionContext": {"sessionIssuer": {"arn": format!("arn:aws:iam::123456789012:role/{issuer}")}}})
        };
        for (identity, extra, says) in [
            (
                role("OktaAdmin"),
                json!({"MFAUsed": "No", "SamlProviderArn": "arn:aws:iam::123456789012:saml-provider/Okta"}),
                "a SAML-federated sign-in through arn:aws:iam::123456789012:saml-provider/Okta",
            ),
            (
                role("aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef"),
                json!({"MFAUsed": "No", "SamlProviderArn": "arn:aws:iam::123456789012:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"}),
                "an IAM Identity Center sign-in",
            ),
            (
                role("Broker"),
                json!({"MFAUsed": "No"}),
                "an assumed-role session signed in",
            ),
            (
                json!({"type": "FederatedUser", "arn": "arn:aws:sts::123456789012:federated-user/bob"}),
                json!({"MFAUsed": "No"}),
                "a federated user signed in",
            ),
        ] {
            let skipped = classify(&event(identity, "Success", extra));
            assert!(
                matches!(&skipped, SignIn::Skip(why) if why.starts_with(says)),
                "{skipped:?} should start with {says:?}"
            );
        }
    }
}
