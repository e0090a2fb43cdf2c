//! AWS SDK configuration pointed at the emulator.
//!
//! Credentials and region are fixed test values so that a developer's own AWS
//! profile or credentials can never be used by a test, even by accident.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use aws_sdk_s3::error::ProvideErrorMetadata;

/// The region every test resource lives in.
pub const REGION: &str = "us-east-1";

/// SDK configuration for the emulator at `endpoint` (e.g. [`crate::Moto::endpoint`]).
/// The SDK's standard retries with short back-offs, so a test that makes
/// a call throttle or fail every time meets the same retries as Lambda
/// does, in milliseconds rather than seconds.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    let retries = aws_config::retry::RetryConfig::standard()
        .with_initial_backoff(std::time::Duration::from_millis(10))
        .with_max_backoff(std::time::Duration::from_millis(100));
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retries)
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "warden-tests",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// An S3 client for the emulator. Path-style addressing keeps bucket names out
/// of the host name, which a local endpoint cannot resolve.
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// An SDK error as one line naming the call and what it was made on, with
/// the service's error code and message when it sent them.
pub fn sdk_error<E: ProvideErrorMetadata + std::fmt::Debug>(
    call: &str,
    what: &str,
    err: E,
) -> String {
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{call} on {what}: {code}: {message}"),
        (Some(code), None) => format!("{call} on {what}: {code}"),
        _ => format!("{call} on {what}: {err:?}"),
    }
}

/// The AWS environment a function process needs to talk to the emulator at
/// `endpoint`; pass it to [`crate::run_function`]. `AWS_ENDPOINT_URL` is read
/// by every AWS SDK client the function builds from `aws_config`.
pub fn lambda_env(endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", REGION),
        ("AWS_DEFAULT_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_string(), value.to_string()))
    .collect()
}

/// Creates the IAM user `name`, allowed exactly `actions` on every resource,
/// and returns the environment that makes a function process act as that
/// user against the emulator at `endpoint`. With moto enforcing IAM, a call
/// outside `actions` is denied as it would be for a role missing a grant.
pub async fn lambda_env_as_user(
    endpoint: &str,
    iam: &aws_sdk_iam::Client,
    name: &str,
    actions: &[&str],
) -> Vec<(String, String)> {
    let policy = serde_json::json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Resource": "*", "Action": actions}]});
    iam.create_user()
        .user_name(name)
        .send()
        .await
        .expect("CreateUser");
    iam.put_user_policy()
        .user_name(name)
        .policy_name(name)
        .policy_document(policy.to_string())
        .send()
        .await
        .expect("PutUserPolicy");
    let created = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .expect("CreateAccessKey");
    let key = created.access_key().expect("an access key");

    let mut env = lambda_env(endpoint);
    env.retain(|(k, _)| k != "AWS_ACCESS_KEY_ID" && k != "AWS_SECRET_ACCESS_KEY");
    env.push(("AWS_ACCESS_KEY_ID".into(), key.access_key_id().into()));
    env.push((
        "AWS_SECRET_ACCESS_KEY".into(),
        key.secret_access_key().into(),
    ));
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_env_points_at_the_endpoint() {
        let env = lambda_env("http://127.0.0.1:5000");
        let get = |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        assert_eq!(get("AWS_ENDPOINT_URL"), Some("http://127.0.0.1:5000"));
        assert_eq!(get("AWS_REGION"), Some("us-east-1"));
        assert_eq!(get("AWS_ACCESS_KEY_ID"), Some("testing"));
        assert_eq!(get("AWS_SESSION_TOKEN"), None);
    }

    #[tokio::test]
    async fn sdk_config_uses_test_values() {
        let config = sdk_config("http://127.0.0.1:5000").await;
        assert_eq!(config.region().map(Region::as_ref), Some(REGION));
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:5000"));
        assert!(config.credentials_provider().is_some());
    }
}
