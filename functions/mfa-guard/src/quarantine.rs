//! The quarantine policy: the customer-managed policy the template creates
//! (`MfaQuarantinePolicy`) and mfa-guard attaches to a user who can sign in
//! to the console without MFA.
//!
//! While it is attached and the request is not MFA-authenticated, the user
//! can do nothing but what it takes to fix the problem themselves: see their
//! own user and the account's password policy, change their own password,
//! create a virtual MFA device, enable, resync and list their own MFA
//! devices, list virtual MFA devices, and get an MFA session token. Once
//! they sign in with MFA the denies no longer apply, and mfa-guard detaches
//! the policy as soon as it sees the device.
//!
//! This is the one place the document is written down: the template's
//! `MfaQuarantinePolicy` must be this document (a test compares them) and the
//! tests and the local run create exactly this policy in the emulator.

use serde_json::{Value, json};

/// What a quarantined user may still do without MFA. These actions are
/// exempt from the blanket deny; the second deny keeps the ones that name a
/// user or an MFA device to the user's own.
pub const SELF_SERVICE_ACTIONS: [&str; 9] = [
    "iam:GetUser",
    "iam:ChangePassword",
    "iam:GetAccountPasswordPolicy",
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "sts:GetSessionToken",
];

/// The self-service actions that act on a user or an MFA device, and so can
/// be limited to the caller's own.
pub const OWN_RESOURCE_ACTIONS: [&str; 6] = [
    "iam:GetUser",
    "iam:ChangePassword",
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:ListMFADevices",
];

/// The quarantine policy document for an account in a partition.
/// `${aws:username}` is an IAM policy variable, resolved by IAM for each
/// request to the caller's own user name.
pub fn document(partition: &str, account: &str) -> Value {
    let own_user = format!("arn:{partition}:iam::{account}:user/${{aws:username}}");
    let mfa_devices = format!("arn:{partition}:iam::{account}:mfa/*");
    let no_mfa = json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}});
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowViewPasswordPolicyAndVirtualMfaDevices",
                "Effect": "Allow",
                "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
                "Resource": "*"
            },
            {
                "Sid": "AllowOwnUserAndPassword",
                "Effect": "Allow",
                "Action": ["iam:GetUser", "iam:ChangePassword"],
                "Resource": own_user
            },
            {
                "Sid": "AllowCreateVirtualMfaDevice",
                "Effect": "Allow",
                "Action": "iam:CreateVirtualMFADevice",
                "Resource": mfa_devices
            },
            {
                "Sid": "AllowOwnMfaDevices",
                "Effect": "Allow",
                "Action": ["iam:EnableMFADevice", "iam:ResyncMFADevice", "iam:ListMFADevices"],
                "Resource": own_user
            },
            {
                "Sid": "DenyEverythingElseWithoutMfa",
                "Effect": "Deny",
                "NotAction": SELF_SERVICE_ACTIONS,
                "Resource": "*",
                "Condition": no_mfa
            },
            {
                "Sid": "DenyOtherUsersMfaWithoutMfa",
                "Effect": "Deny",
                "Action": OWN_RESOURCE_ACTIONS,
                "NotResource": [own_user, mfa_devices],
                "Condition": no_mfa
            }
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deny_leaves_exactly_the_self_service_actions() {
        let doc = document("aws", "123456789012");
        let statements = doc["Statement"].as_array().unwrap();
        let deny = &statements[4];
        assert_eq!(deny["Effect"], "Deny");
        assert_eq!(deny["NotAction"], json!(SELF_SERVICE_ACTIONS));
        assert_eq!(
            deny["Condition"],
            json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})
        );
        // Every action the allows grant is one the deny lets through, so the
        // quarantine never grants what it then denies.
        let mut granted: Vec<&str> = statements
            .iter()
            .filter(|s| s["Effect"] == "Allow")
            .flat_map(|s| match &s["Action"] {
                Value::String(a) => vec![a.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            })
            .collect();
        granted.sort_unstable();
        let mut exempt: Vec<&str> = SELF_SERVICE_ACTIONS
            .iter()
            .copied()
            .filter(|a| *a != "sts:GetSessionToken")
            .collect();
        exempt.sort_unstable();
        assert_eq!(granted, exempt);
    }

    #[test]
    fn own_resources_are_scoped_by_partition_account_and_user_variable() {
        let doc = document("aws-us-gov", "111122223333");
        assert_eq!(
            doc["Statement"][5]["NotResource"],
            json!([
                "arn:aws-us-gov:iam::111122223333:user/${aws:username}",
                "arn:aws-us-gov:iam::111122223333:mfa/*"
            ])
        );
        assert!(
            OWN_RESOURCE_ACTIONS
                .iter()
                .all(|a| SELF_SERVICE_ACTIONS.contains(a))
        );
    }
}
