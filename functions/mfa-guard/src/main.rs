//! The mfa-guard Lambda function: configuration and the IAM client once,
//! then the shared pipeline for every event.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    warden_shared::runtime::serve::<mfa_guard::MfaGuard>().await
}
