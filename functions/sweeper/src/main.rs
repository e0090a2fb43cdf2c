//! The sweeper Lambda function: settings, clients and every guard's
//! pipeline once, then a sweep (planned, inline or one queue batch) per
//! invocation.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    sweeper::runtime::serve().await
}
