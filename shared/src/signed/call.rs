//! What a signed call is made of: the service it goes to, the request
//! before it is signed, and the answer.

use aws_smithy_runtime_api::http::StatusCode;

/// A service as the SDK names it in its endpoint settings and signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The SigV4 signing name (`securityhub`; `s3` for S3 Control).
    pub name: &'static str,
    /// The first label of its regional host name (`securityhub`,
    /// `s3-control`).
    pub endpoint_prefix: &'static str,
    /// How its dual-stack host is spelled.
    pub dual_stack: DualStack,
    /// S3's services sign `x-amz-content-sha256` too.
    pub content_sha256: bool,
    /// The SDK's service id (`SecurityHub`), whose endpoint variable is
    /// `AWS_ENDPOINT_URL_<SERVICE_ID>` and profile key its lower case.
    pub service_id: &'static str,
    /// `AWS_ENDPOINT_URL_SECURITYHUB`.
    pub endpoint_env: &'static str,
    /// The profile's service section (`securityhub`).
    pub profile_key: &'static str,
}

/// Dual-stack host names: `NAME.REGION.api.aws` for most services,
/// `NAME.dualstack.REGION.amazonaws.com` for S3's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DualStack {
    ApiAws,
    Dualstack,
}

/// One request, before it is signed.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub method: &'a str,
    /// The path and query, already encoded.
    pub path: &'a str,
    /// Put before the regional host name (S3 Control's `ACCOUNT.`); not
    /// used with a configured endpoint URL, which is taken as it is.
    pub host_prefix: &'a str,
    pub content_type: Option<&'a str>,
    /// Headers besides `host`, `content-type` and the signature's.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

impl<'a> Call<'a> {
    /// A JSON `POST`, as REST-JSON services take it.
    pub fn post_json(path: &'a str, body: &'a [u8]) -> Self {
        Self {
            method: "POST",
            path,
            host_prefix: "",
            content_type: Some("application/json"),
            headers: &[],
            body,
        }
    }
}

/// A service's 2xx answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}
