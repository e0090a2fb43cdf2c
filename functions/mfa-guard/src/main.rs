//! The mfa-guard Lambda function: configuration and the IAM client once,
//! then the shared pipeline for every event.

use mfa_guard::{MfaGuard, MfaRules};
use warden_shared::config::ProcessEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    warden_shared::runtime::serve(|aws| {
        let rules = MfaRules::from_env(&ProcessEnv)?;
        Ok(MfaGuard::new(aws_sdk_iam::Client::new(aws), rules))
    })
    .await
}
