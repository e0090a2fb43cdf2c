//! AWS client set-up, done once per cold start.

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the SDK configuration from the standard sources: the Lambda
/// environment's credentials and region, `AWS_ENDPOINT_URL` (every client
/// then talks to that endpoint, such as a local emulator) and
/// `AWS_USE_FIPS_ENDPOINT`.
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// An S3 client. Path-style addressing when an endpoint override is set: an
/// emulator on `127.0.0.1` has no per-bucket host names.
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

pub fn sns(config: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(config)
}
