//! The bucket-guard Lambda function: configuration and clients once, then
//! the shared pipeline for every event.

use bucket_guard::{BucketGuard, BucketRules};
use warden_shared::config::ProcessEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    warden_shared::runtime::serve(|aws| {
        let rules = BucketRules::from_env(&ProcessEnv)?;
        Ok(BucketGuard::new(warden_shared::aws::s3(aws), rules))
    })
    .await
}
