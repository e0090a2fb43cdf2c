//! The bucket-guard Lambda function: configuration and clients once, then
//! the shared pipeline for every event.

use bucket_guard::BucketGuard;
use bucket_guard::s3::S3Buckets;
use warden_shared::config::ProcessEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    warden_shared::runtime::serve(|aws| {
        let guard = BucketGuard::from_env(&ProcessEnv)?;
        Ok((guard, S3Buckets::new(aws)))
    })
    .await
}
