//! The tag-guard Lambda function: configuration and clients once, then the
//! shared pipeline for every event.

use tag_guard::{TagGuard, tagging::Tagging};
use warden_shared::config::ProcessEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    warden_shared::runtime::serve(|aws| {
        let guard = TagGuard::from_env(&ProcessEnv)?;
        Ok((guard, Tagging::new(aws)))
    })
    .await
}
