//! The bucket-guard Lambda function: configuration and clients once, then
//! the shared pipeline for every event.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    warden_shared::runtime::serve::<bucket_guard::BucketGuard>().await
}
