//! Endpoints, signatures, error codes and retries, without a service.

use super::*;
use aws_smithy_runtime_api::http::StatusCode;

use crate::sinks::securityhub::SERVICE as HUB;

fn config(endpoint: Option<&str>, fips: bool) -> SdkConfig {
    let mut builder = SdkConfig::builder()
        .use_fips(fips)
        .behavior_version(aws_config::BehaviorVersion::latest());
    if let Some(url) = endpoint {
        builder = builder.endpoint_url(url);
    }
    builder.build()
}

#[test]
fn regional_endpoints_in_every_partition() {
    let hub = SignedClient::new(&config(None, false), HUB);
    assert_eq!(
        hub.endpoint("eu-west-1", ""),
        "https://securityhub.eu-west-1.amazonaws.com"
    );
    assert_eq!(
        hub.endpoint("cn-north-1", ""),
        "https://securityhub.cn-north-1.amazonaws.com.cn"
    );
    let fips = SignedClient::new(&config(None, true), HUB);
    assert_eq!(
        fips.endpoint("us-gov-west-1", ""),
        "https://securityhub-fips.us-gov-west-1.amazonaws.com"
    );
    let control = Service {
        name: "s3",
        endpoint_prefix: "s3-control",
        dual_stack: DualStack::Dualstack,
        content_sha256: true,
        ..HUB
    };
    let mut s3_control = SignedClient::new(&config(None, false), control);
    assert_eq!(
        s3_control.endpoint("eu-west-1", "123456789012."),
        "https://123456789012.s3-control.eu-west-1.amazonaws.com"
    );
    s3_control.dual_stack = true;
    assert_eq!(
        s3_control.endpoint("eu-west-1", "123456789012."),
        "https://123456789012.s3-control.dualstack.eu-west-1.amazonaws.com"
    );
    let mut hub_dual = SignedClient::new(&config(None, false), HUB);
    hub_dual.dual_stack = true;
    assert_eq!(
        hub_dual.endpoint("eu-west-1", ""),
        "https://securityhub.eu-west-1.api.aws"
    );
    // A configured endpoint (an emulator) is taken as it is.
    let local = SignedClient::new(&config(Some("http://127.0.0.1:5000/"), true), control);
    assert_eq!(
        local.endpoint("us-east-1", "123456789012."),
        "http://127.0.0.1:5000"
    );
}

#[tokio::test]
async fn a_request_is_signed_for_the_service_in_its_region() {
    let aws = SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:5000")
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            Some("session".into()),
            None,
            "test",
        )))
        .build();
    let hub = SignedClient::new(&aws, HUB);
    let request = hub
        .signed_request("eu-west-1", &Call::post_json("/findings/import", b"{}"))
        .await
        .unwrap();
    assert_eq!(request.uri(), "http://127.0.0.1:5000/findings/import");
    assert_eq!(request.method(), "POST");
    let header = |name: &str| request.headers().get(name).unwrap_or_default();
    assert_eq!(header("host"), "127.0.0.1:5000");
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("x-amz-security-token"), "session");
    let date = header("x-amz-date");
    assert_eq!(date.len(), "20261204T120000Z".len(), "{date}");
    let authorization = header("authorization");
    let scope = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/eu-west-1/securityhub/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=",
        &date[..8]
    );
    assert!(authorization.starts_with(&scope), "{authorization}");
    assert_eq!(authorization.len(), scope.len() + 64, "{authorization}");
    assert_eq!(request.body().bytes(), Some(&b"{}"[..]));
}

#[test]
fn hosts_keep_only_ports_that_are_not_the_default() {
    assert_eq!(
        host_of("https://securityhub.us-east-1.amazonaws.com/findings").as_deref(),
        Some("securityhub.us-east-1.amazonaws.com")
    );
    assert_eq!(host_of("https://h:443/findings").as_deref(), Some("h"));
    assert_eq!(
        host_of("http://127.0.0.1:5000/findings/import").as_deref(),
        Some("127.0.0.1:5000")
    );
    assert_eq!(host_of("no-scheme/findings"), None);
}

#[test]
fn error_codes_from_the_header_or_the_body() {
    let body = br#"{"__type": "com.amazonaws.securityhub#InvalidInputException", "Message": "bad filter"}"#;
    let from_body = error_metadata(None, body);
    assert_eq!(from_body.code(), Some("InvalidInputException"));
    assert_eq!(from_body.message(), Some("bad filter"));
    let from_header = error_metadata(
        Some("ThrottlingException:http://internal.amazon.com/coral/"),
        br#"{"message": "Rate exceeded"}"#,
    );
    assert_eq!(from_header.code(), Some("ThrottlingException"));
    assert_eq!(from_header.message(), Some("Rate exceeded"));
    let xml = error_metadata(
        None,
        b"<?xml version=\"1.0\"?><Error><Code>NoSuchPublicAccessBlockConfiguration</Code><Message>The public access block configuration was not found</Message></Error>",
    );
    assert_eq!(xml.code(), Some("NoSuchPublicAccessBlockConfiguration"));
    assert_eq!(
        xml.message(),
        Some("The public access block configuration was not found")
    );
    let unreadable = error_metadata(None, b"<html>bad gateway</html>");
    assert_eq!(unreadable.code(), None);
    assert_eq!(unreadable.message(), None);
}

#[test]
fn what_is_retried() {
    let answer = |code: Option<&str>, status_code: u16| -> CallError {
        let mut metadata = ErrorMetadata::builder();
        if let Some(code) = code {
            metadata = metadata.code(code);
        }
        SdkError::service_error(
            metadata.build(),
            Response::new(StatusCode::try_from(status_code).unwrap(), SdkBody::empty()),
        )
    };
    assert!(retryable(&answer(Some("ThrottlingException"), 400)));
    assert!(retryable(&answer(Some("LimitExceededException"), 429)));
    assert!(retryable(&answer(Some("InternalException"), 500)));
    assert!(retryable(&answer(None, 503)));
    assert!(!retryable(&answer(Some("InvalidInputException"), 400)));
    assert!(!retryable(&answer(Some("AccessDeniedException"), 403)));
    assert!(retryable(&SdkError::timeout_error("slow")));
    assert!(retryable(&SdkError::dispatch_failure(ConnectorError::io(
        "reset".into()
    ))));
    assert!(!retryable(&SdkError::construction_failure(
        "no credentials"
    )));
}

#[test]
fn back_off_grows_and_stays_under_the_maximum() {
    let mut hub = SignedClient::new(&config(None, false), HUB);
    hub.initial_backoff = Duration::from_millis(100);
    hub.max_backoff = Duration::from_millis(250);
    for _ in 0..100 {
        assert!(hub.backoff(1) <= Duration::from_millis(100));
        assert!(hub.backoff(2) <= Duration::from_millis(200));
        assert!(hub.backoff(5) <= Duration::from_millis(250));
    }
}
