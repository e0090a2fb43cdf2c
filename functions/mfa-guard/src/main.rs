//! The mfa-guard Lambda function: configuration and the IAM client once,
//! then the shared pipeline for every event.

use mfa_guard::MfaGuard;
use mfa_guard::iam::IamUsers;
use warden_shared::config::ProcessEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    warden_shared::runtime::serve(|aws| {
        let guard = MfaGuard::from_env(&ProcessEnv)?;
        let users = IamUsers::new(
            aws_sdk_iam::Client::new(aws),
            guard.quarantine_policy_arn.clone(),
        );
        Ok((guard, users))
    })
    .await
}
