//! The tag-guard Lambda function: configuration and clients once, then the
//! shared pipeline for every event.

use tag_guard::{TagGuard, TagRules, tagging::Tagging};
use warden_shared::config::ProcessEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    warden_shared::runtime::serve(|aws| {
        let rules = TagRules::from_env(&ProcessEnv)?;
        Ok(TagGuard::new(Tagging::new(aws), rules))
    })
    .await
}
