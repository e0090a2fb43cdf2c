//! AWS client set-up, done once per cold start.

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use std::time::Duration;

/// The SDK configuration every client is built from, for crates that do
/// not depend on `aws-config` themselves.
pub use aws_config::SdkConfig;

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

pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

/// Clients of one service, one per region, each built on first use from the
/// function's SDK configuration (credentials, retries, timeouts,
/// `AWS_ENDPOINT_URL`, FIPS) and kept for the life of the sandbox: a guard
/// whose resources live in several regions (buckets, trails' home regions)
/// calls each in its own.
pub struct Regional<C> {
    config: SdkConfig,
    build: fn(&SdkConfig, &str) -> C,
    clients: std::sync::Mutex<std::collections::HashMap<String, C>>,
}

impl<C: Clone> Regional<C> {
    /// `build` makes the client for one region from `config`.
    pub fn new(config: &SdkConfig, build: fn(&SdkConfig, &str) -> C) -> Self {
        Self {
            config: config.clone(),
            build,
            clients: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The client for `region`, built on first use and kept.
    pub fn client(&self, region: &str) -> C {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        clients
            .entry(region.to_string())
            .or_insert_with(|| (self.build)(&self.config, region))
            .clone()
    }
}
