//! A SigV4-signed HTTPS client, for a service whose SDK crate would cost
//! more than the calls Warden makes to it. Security Hub's SDK models every
//! type of the finding format, most of them never sent or read by Warden,
//! and linked them into every function (more than a megabyte of each
//! deployment zip, minutes of every build) for two calls whose bodies
//! Warden builds as JSON anyway; S3 Control's would add a whole SDK to
//! bucket-guard for one read of four flags.
//!
//! It takes from the function's SDK configuration what an SDK client takes:
//! the credentials, the endpoint settings (`AWS_ENDPOINT_URL_<SERVICE>` and
//! its profile key, `AWS_ENDPOINT_URL`, FIPS, dual-stack), the retry
//! settings (standard retries: attempts, exponential back-off with jitter)
//! and the timeouts; and it sends through the connector SDK clients use
//! (rustls with aws-lc, connect and read timeouts). A failure comes back as
//! an [`SdkError`] with the service's error code and message, so
//! [`GuardError::from_sdk`](crate::error::GuardError::from_sdk) sorts it as
//! it sorts any SDK client's: the same throttling and transient-error lists
//! decide both what is retried here and what a retry of the event may help.

// The error is the SDK's own `SdkError`, as large as every SDK client's
// (which allow this lint too): callers sort it with the same code.
#![allow(clippy::result_large_err)]

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::error::ErrorMetadata;
use aws_types::service_config::ServiceConfigKey;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// What a signed call can fail with: an SDK error, so callers sort it the
/// way they sort every other.
pub type CallError = SdkError<ErrorMetadata, Response>;

mod call;

pub use call::{Answer, Call, DualStack, Service};

/// The SDK's defaults where the configuration names none (standard retry
/// mode; the connect timeout of `BehaviorVersion::latest()`).
const DEFAULT_ATTEMPTS: u32 = 3;
const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_secs(1);
const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(20);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// Credentials are fetched again this long before they expire.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(300);

/// A signed client for one service, built once per cold start from the
/// function's SDK configuration; the endpoint is per region.
pub struct SignedClient {
    service: Service,
    endpoint_url: Option<String>,
    fips: bool,
    dual_stack: bool,
    credentials: Option<SharedCredentialsProvider>,
    cached: Mutex<Option<Credentials>>,
    connector: Option<SharedHttpConnector>,
    attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    attempt_timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
}

impl std::fmt::Debug for SignedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedClient")
            .field("service", &self.service.name)
            .field("endpoint_url", &self.endpoint_url)
            .finish_non_exhaustive()
    }
}

impl SignedClient {
    pub fn new(aws: &SdkConfig, service: Service) -> Self {
        let endpoint_url = aws
            .service_config()
            .and_then(|config| {
                let key = ServiceConfigKey::builder()
                    .service_id(service.service_id)
                    .env(service.endpoint_env)
                    .profile(service.profile_key)
                    .build()
                    .ok()?;
                config.load_config(key)
            })
            .or_else(|| aws.endpoint_url().map(str::to_string))
            .filter(|url| !url.is_empty());
        let timeouts = aws.timeout_config();
        let mut settings = HttpConnectorSettings::builder().connect_timeout(
            timeouts
                .and_then(|t| t.connect_timeout())
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        );
        if let Some(read) = timeouts.and_then(|t| t.read_timeout()) {
            settings = settings.read_timeout(read);
        }
        let connector = aws_smithy_http_client::default_connector(
            &settings.build(),
            aws.sleep_impl()
                .or_else(aws_smithy_async::rt::sleep::default_async_sleep),
        );
        let retries = aws.retry_config();
        Self {
            service,
            endpoint_url,
            fips: aws.use_fips().unwrap_or(false),
            dual_stack: aws.use_dual_stack().unwrap_or(false),
            credentials: aws.credentials_provider(),
            cached: Mutex::new(None),
            connector,
            attempts: retries.map_or(DEFAULT_ATTEMPTS, |r| r.max_attempts().max(1)),
            initial_backoff: retries.map_or(DEFAULT_INITIAL_BACKOFF, |r| r.initial_backoff()),
            max_backoff: retries.map_or(DEFAULT_MAX_BACKOFF, |r| r.max_backoff()),
            attempt_timeout: timeouts.and_then(|t| t.operation_attempt_timeout()),
            operation_timeout: timeouts.and_then(|t| t.operation_timeout()),
        }
    }

    /// The endpoint for `region`: the configured URL, or the service's
    /// regional endpoint in the region's partition, after `host_prefix`.
    pub fn endpoint(&self, region: &str, host_prefix: &str) -> String {
        if let Some(url) = &self.endpoint_url {
            return url.trim_end_matches('/').to_string();
        }
        let name = self.service.endpoint_prefix;
        let fips = if self.fips { "-fips" } else { "" };
        let china = crate::arn::partition(region) == "aws-cn";
        let suffix = if china {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        match (self.dual_stack, self.service.dual_stack) {
            (false, _) => format!("https://{host_prefix}{name}{fips}.{region}.{suffix}"),
            (true, DualStack::Dualstack) => {
                format!("https://{host_prefix}{name}{fips}.dualstack.{region}.{suffix}")
            }
            (true, DualStack::ApiAws) => {
                let suffix = if china {
                    "api.amazonwebservices.com.cn"
                } else {
                    "api.aws"
                };
                format!("https://{host_prefix}{name}{fips}.{region}.{suffix}")
            }
        }
    }

    /// `POST`s `body` as JSON to `path` in `region` and returns the
    /// answer's JSON (`null` for an empty answer).
    pub async fn post_json(
        &self,
        region: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, CallError> {
        let body = serde_json::to_vec(body).map_err(SdkError::construction_failure)?;
        let answer = self.send(region, &Call::post_json(path, &body)).await?;
        if answer.body.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&answer.body).map_err(|e| {
            SdkError::response_error(e, Response::new(answer.status, SdkBody::from(answer.body)))
        })
    }

    /// Sends `call` in `region` and returns a 2xx answer,
    /// retrying what the SDK would retry, within the operation timeout.
    /// Any other answer is a service error with the code and message the
    /// service sent (JSON or XML).
    pub async fn send(&self, region: &str, call: &Call<'_>) -> Result<Answer, CallError> {
        let call = self.with_retries(region, call);
        match self.operation_timeout {
            Some(limit) => tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
                Err(SdkError::timeout_error(format!(
                    "the call took longer than the operation timeout of {limit:?}"
                )))
            }),
            None => call.await,
        }
    }

    async fn with_retries(&self, region: &str, call: &Call<'_>) -> Result<Answer, CallError> {
        let mut attempt = 1;
        loop {
            let result = self.attempt(region, call).await;
            match result {
                Err(err) if attempt < self.attempts && retryable(&err) => {
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// The standard retry mode's back-off before retry `attempt` (1, 2, …):
    /// a random fraction of `initial × 2^(attempt-1)`, at most the maximum.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let ceiling = self.initial_backoff.as_secs_f64() * 2f64.powi(exponent);
        Duration::from_secs_f64((fastrand::f64() * ceiling).min(self.max_backoff.as_secs_f64()))
    }

    async fn attempt(&self, region: &str, call: &Call<'_>) -> Result<Answer, CallError> {
        let request = self.signed_request(region, call).await?;
        let connector = self.connector.as_ref().ok_or_else(|| {
            SdkError::construction_failure("no HTTPS connector is built into this binary")
        })?;
        let sent = connector.call(request);
        let response = match self.attempt_timeout {
            Some(limit) => tokio::time::timeout(limit, sent)
                .await
                .map_err(|_| {
                    SdkError::timeout_error(format!(
                        "an attempt took longer than the attempt timeout of {limit:?}"
                    ))
                })?
                .map_err(SdkError::dispatch_failure)?,
            None => sent.await.map_err(SdkError::dispatch_failure)?,
        };
        let status = response.status();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .map(str::to_string);
        let bytes = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| SdkError::dispatch_failure(ConnectorError::io(e.into())))?
            .to_vec();
        if status.is_success() {
            return Ok(Answer {
                status,
                body: bytes,
            });
        }
        let metadata = error_metadata(error_type.as_deref(), &bytes);
        Err(SdkError::service_error(
            metadata,
            Response::new(status, SdkBody::from(bytes)),
        ))
    }

    async fn signed_request(
        &self,
        region: &str,
        call: &Call<'_>,
    ) -> Result<HttpRequest, CallError> {
        let uri = format!("{}{}", self.endpoint(region, call.host_prefix), call.path);
        let host = host_of(&uri).ok_or_else(|| {
            SdkError::construction_failure(format!("the endpoint {uri} has no host"))
        })?;
        let identity = Identity::from(self.credentials().await?);
        let mut settings = SigningSettings::default();
        if self.service.content_sha256 {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(self.service.name)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(SdkError::construction_failure)?
            .into();
        let mut headers: Vec<(&str, &str)> = vec![("host", host.as_str())];
        headers.extend(call.content_type.map(|t| ("content-type", t)));
        headers.extend(call.headers.iter().copied());
        let signable = SignableRequest::new(
            call.method,
            uri.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(call.body),
        )
        .map_err(SdkError::construction_failure)?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(SdkError::construction_failure)?
            .into_parts();
        let mut request = HttpRequest::new(SdkBody::from(call.body.to_vec()));
        request
            .set_uri(uri.as_str())
            .map_err(SdkError::construction_failure)?;
        request
            .set_method(call.method)
            .map_err(SdkError::construction_failure)?;
        for (name, value) in headers {
            request
                .headers_mut()
                .insert(name.to_string(), value.to_string());
        }
        for (name, value) in instructions.headers() {
            request
                .headers_mut()
                .insert(name.to_string(), value.to_string());
        }
        Ok(request)
    }

    /// The configured credentials, fetched again shortly before they expire.
    async fn credentials(&self) -> Result<Credentials, CallError> {
        let fresh = |c: &Credentials| {
            c.expiry().is_none_or(|expiry| {
                expiry
                    .duration_since(SystemTime::now())
                    .is_ok_and(|left| left > CREDENTIALS_MARGIN)
            })
        };
        if let Some(credentials) = self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|c| fresh(c))
        {
            return Ok(credentials.clone());
        }
        let provider = self.credentials.as_ref().ok_or_else(|| {
            SdkError::construction_failure("no credentials provider is configured")
        })?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(SdkError::construction_failure)?;
        *self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(credentials.clone());
        Ok(credentials)
    }
}

/// The host (with a port that is not the scheme's default) of a URL, as a
/// `Host` header and the signature both need it.
fn host_of(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?']).next().filter(|a| !a.is_empty())?;
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    Some(
        authority
            .strip_suffix(default_port)
            .unwrap_or(authority)
            .to_string(),
    )
}

mod errors;

use errors::retryable;
pub use errors::{error_metadata, xml_text};

#[cfg(test)]
mod tests;
