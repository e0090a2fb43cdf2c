//! What an error answer says: its code and message (JSON or XML), and
//! whether the SDK's own retry policy would try the call again.

use super::CallError;
use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::retry::ErrorKind;

/// Would the SDK retry this? Throttling and transient error codes, a 5xx,
/// a timeout or a connection that failed or broke.
pub(super) fn retryable(err: &CallError) -> bool {
    match err {
        SdkError::TimeoutError(_) => true,
        SdkError::DispatchFailure(failure) => {
            failure.is_io()
                || failure.is_timeout()
                || failure.as_other() == Some(ErrorKind::TransientError)
        }
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or_default();
            THROTTLING_ERRORS.contains(&code)
                || TRANSIENT_ERRORS.contains(&code)
                || [500, 502, 503, 504].contains(&context.raw().status().as_u16())
        }
        _ => false,
    }
}

/// The error code and message of an error answer: the code from
/// `x-amzn-ErrorType`, else the body's `__type` or `code` (without a
/// namespace before `#` or anything after `:`); the message from `message`
/// or `Message`. An XML answer (S3's services) gives its `<Code>` and
/// `<Message>`.
pub fn error_metadata(error_type: Option<&str>, body: &[u8]) -> ErrorMetadata {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let xml = std::str::from_utf8(body).unwrap_or_default();
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| {
                json.get(*name)
                    .and_then(serde_json::Value::as_str)
                    .or_else(|| xml_text(xml, name))
            })
            .map(str::to_string)
    };
    let code = error_type
        .map(str::to_string)
        .or_else(|| field(&["__type", "code", "Code"]))
        .map(|raw| {
            let code = raw.split(':').next().unwrap_or_default();
            code.rsplit('#').next().unwrap_or(code).to_string()
        })
        .filter(|code| !code.is_empty());
    let mut metadata = ErrorMetadata::builder();
    if let Some(code) = code {
        metadata = metadata.code(code);
    }
    if let Some(message) = field(&["message", "Message", "errorMessage"]) {
        metadata = metadata.message(message);
    }
    metadata.build()
}

/// The text of the first `<tag>…</tag>` in an XML answer, for the few
/// flat values Warden reads from one (no attributes, no nesting of the same
/// tag, no entities to decode in what it reads).
pub fn xml_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let (_, rest) = xml.split_once(&format!("<{tag}>"))?;
    let (text, _) = rest.split_once(&format!("</{tag}>"))?;
    Some(text.trim())
}
