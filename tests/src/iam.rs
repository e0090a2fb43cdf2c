//! IAM set-up on the emulator: a customer-managed policy, and a user's
//! virtual MFA device enabled as the user would.

use aws_sdk_iam::Client;
use serde_json::Value;

/// Creates the policy `name` with `document` and returns its ARN.
pub async fn create_policy(iam: &Client, name: &str, document: &Value) -> String {
    iam.create_policy()
        .policy_name(name)
        .policy_document(document.to_string())
        .send()
        .await
        .expect("CreatePolicy")
        .policy()
        .and_then(|p| p.arn())
        .expect("a policy ARN")
        .to_string()
}

/// Creates the virtual MFA device `device` and enables it for `user` (two
/// codes, as the console asks): its serial number.
pub async fn enable_virtual_mfa(iam: &Client, user: &str, device: &str) -> String {
    let serial = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name(device)
        .send()
        .await
        .expect("CreateVirtualMFADevice")
        .virtual_mfa_device()
        .map(|d| d.serial_number().to_string())
        .expect("a device");
    iam.enable_mfa_device()
        .user_name(user)
        .serial_number(&serial)
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .expect("EnableMFADevice");
    serial
}
