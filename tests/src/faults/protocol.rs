//! How each AWS protocol a call uses carries its operation's name and its
//! errors: what the proxy matches faults on, and how it answers them.

use std::collections::HashMap;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};

/// How a request's service encodes its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Protocol {
    /// S3's `<Error>` XML.
    S3,
    /// JSON with `x-amzn-ErrorType` (CloudTrail, the Tagging API, SQS, ...).
    Json,
    /// The query protocols' `<ErrorResponse>` XML (IAM, SNS, STS).
    Query,
}

impl Protocol {
    pub(super) fn of(parts: &hyper::http::request::Parts) -> Self {
        let json = parts.headers.contains_key("x-amz-target")
            || parts
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.contains("json"));
        if is_s3(parts) {
            Protocol::S3
        } else if json {
            Protocol::Json
        } else {
            Protocol::Query
        }
    }

    /// An AWS error answer in this protocol.
    pub(super) fn error(self, status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
        let (content_type, body) = match self {
            Protocol::S3 => (
                "application/xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>"
                ),
            ),
            Protocol::Json => (
                "application/x-amz-json-1.1",
                serde_json::json!({"__type": code, "message": message}).to_string(),
            ),
            Protocol::Query => (
                "text/xml",
                format!(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
                ),
            ),
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        let headers = response.headers_mut();
        headers.insert(
            "content-type",
            hyper::header::HeaderValue::from_static(content_type),
        );
        if let Ok(value) = hyper::header::HeaderValue::from_str(code) {
            headers.insert("x-amzn-errortype", value);
        }
        response
    }
}

/// The region in a SigV4 `Authorization` header's credential scope
/// (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`).
pub(super) fn signing_region(parts: &hyper::http::request::Parts) -> String {
    parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|scope| scope.split('/').nth(2))
        .unwrap_or_default()
        .to_string()
}

/// Is this an S3 request? S3 is the one REST-XML service Warden calls
/// without an `X-Amz-Target` or an `Action`: its signing scope says `s3`.
fn is_s3(parts: &hyper::http::request::Parts) -> bool {
    parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|auth| auth.contains("/s3/aws4_request"))
}

/// The operation a request calls.
pub fn operation_of(parts: &hyper::http::request::Parts, body: &[u8]) -> String {
    if let Some(target) = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
    {
        return target.rsplit('.').next().unwrap_or(target).to_string();
    }
    let form = std::str::from_utf8(body).unwrap_or_default();
    let query = parts.uri.query().unwrap_or_default();
    for pairs in [form, query] {
        if let Some(action) = pairs
            .split('&')
            .find_map(|pair| pair.strip_prefix("Action="))
        {
            return action.to_string();
        }
    }
    if is_s3(parts) {
        return s3_operation(parts.method.as_str(), parts.uri.path(), query);
    }
    format!("{} {}", parts.method, parts.uri.path())
}

/// S3's REST operations Warden makes, from method, path and sub-resource.
fn s3_operation(method: &str, path: &str, query: &str) -> String {
    let params: HashMap<&str, &str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    let verb = match method {
        "GET" => "Get",
        "PUT" => "Put",
        "DELETE" => "Delete",
        "HEAD" => "Head",
        other => other,
    };
    // S3 Control, signed for `s3` too: named apart from the bucket's own.
    if path == "/v20180820/configuration/publicAccessBlock" {
        return format!("{verb}AccountPublicAccessBlock");
    }
    let trimmed = path.trim_matches('/');
    let bucket_only = !trimmed.is_empty() && !trimmed.contains('/');
    let sub = [
        ("encryption", "BucketEncryption"),
        ("policy", "BucketPolicy"),
        ("publicAccessBlock", "PublicAccessBlock"),
        ("tagging", "BucketTagging"),
        ("location", "BucketLocation"),
    ]
    .into_iter()
    .find(|(key, _)| params.contains_key(key));
    match sub {
        Some((_, name)) => format!("{verb}{name}"),
        None if bucket_only && method == "HEAD" => "HeadBucket".into(),
        None if bucket_only && method == "PUT" => "CreateBucket".into(),
        None if bucket_only && method == "GET" => "ListObjects".into(),
        None if trimmed.is_empty() => "ListBuckets".into(),
        None => format!("{verb}Object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_operations_are_named_as_the_api_names_them() {
        assert_eq!(s3_operation("PUT", "/b", "policy="), "PutBucketPolicy");
        assert_eq!(
            s3_operation("GET", "/v20180820/configuration/publicAccessBlock", ""),
            "GetAccountPublicAccessBlock"
        );
        assert_eq!(
            s3_operation("GET", "/b", "encryption"),
            "GetBucketEncryption"
        );
        assert_eq!(
            s3_operation("PUT", "/b", "publicAccessBlock="),
            "PutPublicAccessBlock"
        );
        assert_eq!(s3_operation("GET", "/b", "tagging"), "GetBucketTagging");
        assert_eq!(s3_operation("PUT", "/b", ""), "CreateBucket");
        assert_eq!(s3_operation("HEAD", "/b", ""), "HeadBucket");
        assert_eq!(s3_operation("GET", "/", ""), "ListBuckets");
    }
}
