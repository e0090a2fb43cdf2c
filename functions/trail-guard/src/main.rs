//! The trail-guard Lambda function: configuration and clients once, then
//! the shared pipeline for every event.

use trail_guard::{TrailGuard, TrailRules};
use warden_shared::config::ProcessEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    warden_shared::runtime::serve(|aws| {
        let rules = TrailRules::from_env(&ProcessEnv)?;
        Ok(TrailGuard::new(aws, rules))
    })
    .await
}
