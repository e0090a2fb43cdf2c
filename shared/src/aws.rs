//! AWS client set-up, done once per cold start.

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the SDK configuration from the standard sources: the Lambda
/// environment's credentials and region, `AWS_ENDPOINT_URL` (every client
/// then talks to that endpoint, such as a local emulator) and
/// `AWS_USE_FIPS_ENDPOINT`.
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

pub fn sns(config: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(config)
}
