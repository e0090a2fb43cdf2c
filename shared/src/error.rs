//! Infrastructure errors: AWS said no, or could not be reached.
//!
//! Every SDK error is sorted here, once, into not-found (state, not an
//! error), throttled, denied or other ([`sort`]); the throttling codes are
//! the SDK's own list. The errors are returned to the Lambda runtime as
//! invocation errors (not as an outcome), so Lambda's retries and the
//! dead-letter queue take over with the event intact. Each message names the
//! failing call and, when access was denied, the IAM action the function's
//! role is missing.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// An AWS call, named the way an operator would look it up: the API
/// operation and the IAM action that allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AwsCall {
    pub operation: &'static str,
    pub permission: &'static str,
}

impl AwsCall {
    pub const fn new(operation: &'static str, permission: &'static str) -> Self {
        Self {
            operation,
            permission,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error(
        "{operation} on {resource} was denied: grant the function's role `{permission}` on it ({message})"
    )]
    AccessDenied {
        operation: &'static str,
        permission: &'static str,
        resource: String,
        message: String,
    },
    #[error(
        "{operation} on {resource} was still throttled after the SDK's retries; Lambda will retry the event"
    )]
    Throttled {
        operation: &'static str,
        resource: String,
    },
    #[error("{operation} on {resource} failed: {message}")]
    Aws {
        operation: &'static str,
        resource: String,
        message: String,
    },
}

/// What an SDK error means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sorted {
    /// The thing asked about does not exist: state, not a failure.
    NotFound,
    Throttled,
    Denied,
    Other,
}

/// The error codes AWS services use for "access denied".
const DENIED: [&str; 6] = [
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
    "UnauthorizedOperation",
    "AuthorizationErrorException",
    "Forbidden",
];

/// Sorts an SDK error; `not_found` lists the codes that mean "no such
/// thing" for the call (they differ per service and per call).
pub fn sort<E, R>(err: &SdkError<E, R>, not_found: &[&str]) -> Sorted
where
    E: ProvideErrorMetadata,
{
    match err.code() {
        Some(code) if not_found.contains(&code) => Sorted::NotFound,
        Some(code) if DENIED.contains(&code) => Sorted::Denied,
        Some(code) if aws_runtime::retries::classifiers::THROTTLING_ERRORS.contains(&code) => {
            Sorted::Throttled
        }
        _ => Sorted::Other,
    }
}

/// A call's answer with "not found" as `None`: the one way every adapter
/// turns an SDK result into state.
pub fn found<T, E>(
    call: AwsCall,
    resource: &str,
    not_found: &[&str],
    result: Result<T, SdkError<E, Response>>,
) -> Result<Option<T>, GuardError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(err) if sort(&err, not_found) == Sorted::NotFound => Ok(None),
        Err(err) => Err(GuardError::from_sdk(call, resource, err)),
    }
}

impl GuardError {
    /// Classifies an SDK error from `call` on `resource`.
    pub fn from_sdk<E>(call: AwsCall, resource: &str, err: SdkError<E, Response>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let resource = resource.to_string();
        let code = err.code().unwrap_or_default().to_string();
        // A 403 whose error body the SDK could not read (moto wraps IAM's in
        // an extra `<Errors>` element) is a denial all the same.
        let forbidden_body = (code.is_empty())
            .then(|| err.raw_response())
            .flatten()
            .filter(|raw| raw.status().as_u16() == 403)
            .map(|raw| {
                raw.body()
                    .bytes()
                    .and_then(|body| std::str::from_utf8(body).ok())
                    .and_then(|text| text.split_once("<Message>"))
                    .and_then(|(_, rest)| rest.split_once("</Message>"))
                    .map_or_else(|| "HTTP 403 Forbidden".to_string(), |(m, _)| m.to_string())
            });
        let message = err
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| DisplayErrorContext(&err).to_string());
        if let Some(message) = forbidden_body {
            return GuardError::AccessDenied {
                operation: call.operation,
                permission: call.permission,
                resource,
                message,
            };
        }
        match sort(&err, &[]) {
            Sorted::Denied => GuardError::AccessDenied {
                operation: call.operation,
                permission: call.permission,
                resource,
                message,
            },
            Sorted::Throttled => GuardError::Throttled {
                operation: call.operation,
                resource,
            },
            Sorted::NotFound | Sorted::Other if code.is_empty() => GuardError::Aws {
                operation: call.operation,
                resource,
                message,
            },
            Sorted::NotFound | Sorted::Other => GuardError::Aws {
                operation: call.operation,
                resource,
                message: format!("{code}: {message}"),
            },
        }
    }

    /// An answer Warden could not use (an unreadable policy document).
    pub fn unusable(call: AwsCall, resource: &str, message: impl Into<String>) -> Self {
        GuardError::Aws {
            operation: call.operation,
            resource: resource.to_string(),
            message: message.into(),
        }
    }

    /// The error type Lambda records, so alarms and the DLQ can tell a
    /// permissions problem (needs a fix) from throttling (a retry helps).
    pub fn error_type(&self) -> &'static str {
        match self {
            GuardError::AccessDenied { .. } => "Warden.AccessDenied",
            GuardError::Throttled { .. } => "Warden.Throttled",
            GuardError::Aws { .. } => "Warden.AwsError",
        }
    }
}

impl From<GuardError> for lambda_runtime::Diagnostic {
    fn from(err: GuardError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: err.error_type().to_string(),
            error_message: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    const CALL: AwsCall = AwsCall::new("StartLogging", "cloudtrail:StartLogging");
    const ARN: &str = "arn:aws:cloudtrail:us-east-1:123456789012:trail/t1";

    /// A service error with `code` (none when empty) and an HTTP status.
    fn service_error(code: &str, status: u16, body: &str) -> SdkError<ErrorMetadata, Response> {
        let mut meta = ErrorMetadata::builder().message("not authorized");
        if !code.is_empty() {
            meta = meta.code(code);
        }
        let status = StatusCode::try_from(status).unwrap();
        SdkError::service_error(
            meta.build(),
            Response::new(status, SdkBody::from(body.to_string())),
        )
    }

    #[test]
    fn sorting() {
        let sorted = |code: &str| sort(&service_error(code, 400, ""), &["NoSuchBucket"]);
        assert_eq!(sorted("NoSuchBucket"), Sorted::NotFound);
        assert_eq!(sorted("AccessDeniedException"), Sorted::Denied);
        assert_eq!(sorted("ThrottlingException"), Sorted::Throttled);
        assert_eq!(sorted("SlowDown"), Sorted::Throttled);
        assert_eq!(sorted("InvalidRequest"), Sorted::Other);
    }

    #[test]
    fn access_denied_names_the_missing_permission() {
        let err = GuardError::from_sdk(CALL, ARN, service_error("AccessDeniedException", 400, ""));
        assert_eq!(err.error_type(), "Warden.AccessDenied");
        assert_eq!(
            err.to_string(),
            format!(
                "StartLogging on {ARN} was denied: grant the function's role `cloudtrail:StartLogging` on it (not authorized)"
            )
        );
    }

    #[test]
    fn an_unreadable_403_is_a_denial_with_its_message() {
        let body = "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User is not authorized</Message></Error></Errors></ErrorResponse>";
        let err = GuardError::from_sdk(CALL, ARN, service_error("", 403, body));
        assert!(
            matches!(&err, GuardError::AccessDenied { message, .. } if message == "User is not authorized"),
            "{err:?}"
        );
    }

    #[test]
    fn found_turns_not_found_into_none() {
        let missing = found::<(), _>(
            CALL,
            ARN,
            &["TrailNotFoundException"],
            Err(service_error("TrailNotFoundException", 400, "")),
        );
        assert!(matches!(missing, Ok(None)));
        let throttled = found::<(), _>(
            CALL,
            ARN,
            &["TrailNotFoundException"],
            Err(service_error("ThrottlingException", 400, "")),
        );
        assert_eq!(throttled.unwrap_err().error_type(), "Warden.Throttled");
    }
}
