//! The trail-guard Lambda function: configuration and clients once, then
//! the shared pipeline for every event.

use trail_guard::TrailGuard;
use trail_guard::cloudtrail::Trails;
use warden_shared::config::ProcessEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    warden_shared::runtime::serve(|aws| {
        let guard = TrailGuard::from_env(&ProcessEnv)?;
        Ok((guard, Trails::new(aws)))
    })
    .await
}
