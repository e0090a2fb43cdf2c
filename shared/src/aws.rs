//! AWS client set-up, done once per cold start.

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::time::Duration;

/// One attempt of a call may take this long before the SDK gives it up and
/// retries.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(8);
/// A call with all its retries may take this long. Below the functions'
/// 30-second Lambda timeout, so a hung endpoint ends as an error that names
/// the call (and Lambda retries the event) rather than as "Task timed out".
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);

/// Loads the SDK configuration from the standard sources: the Lambda
/// environment's credentials and region, `AWS_ENDPOINT_URL` (every client
/// then talks to that endpoint, such as a local emulator) and
/// `AWS_USE_FIPS_ENDPOINT`; with the timeouts above.
pub async fn load() -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts)
        .load()
        .await
}

pub fn sns(config: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(config)
}
