//! Infrastructure errors: AWS said no, or could not be reached.
//!
//! Every SDK error is sorted here, once, into not-found (state, not an
//! error), throttled, denied or other ([`sort`]); the throttling codes are
//! the SDK's own list. What a retry may help (throttling after the SDK's own
//! retries, a 5xx, a timeout, a lost connection) is [`GuardError::retryable`]:
//! it is returned to the Lambda runtime as an invocation error, so Lambda's
//! retries and then the dead-letter queue take over with the event intact.
//! What no retry can help (access denied, a validation error, a quota, a
//! write AWS refuses by rule) ends the check as `failed`, with its finding
//! published. Each message names the failing call and, when access was
//! denied, the IAM action the function's role is missing.

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
    /// AWS could not answer: a 5xx, a timeout, a lost connection. A retry
    /// may help.
    #[error("{operation} on {resource} failed: {message}")]
    Aws {
        operation: &'static str,
        resource: String,
        message: String,
    },
    /// AWS answered and will answer the same again: a validation error, a
    /// quota, a write refused by rule (S3 refusing a public policy under
    /// Block Public Access), an answer Warden cannot use.
    #[error("{operation} on {resource} was refused: {message}")]
    Refused {
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
        // A service's answer of 4xx will be the same on a retry; no answer,
        // or a 5xx, may not.
        let answered_4xx = match &err {
            SdkError::ServiceError(context) => {
                let status = context.raw().status().as_u16();
                (400..500).contains(&status)
                    && !aws_runtime::retries::classifiers::TRANSIENT_ERRORS.contains(&code.as_str())
            }
            SdkError::ConstructionFailure(_) => true,
            _ => false,
        };
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
            return GuardError::sorted(Sorted::Denied, call, resource, message, false);
        }
        let sorted = sort(&err, &[]);
        // A denial's message speaks for itself; anything else keeps its code.
        let message = if code.is_empty() || sorted == Sorted::Denied {
            message
        } else {
            format!("{code}: {message}")
        };
        GuardError::sorted(sorted, call, resource, message, answered_4xx)
    }

    /// The error for a call's failure once sorted: a denial, throttling, or
    /// else final when AWS refused the request (`refused`, a 4xx) and
    /// transient otherwise. The SDK's errors and partial batch failures are
    /// sorted alike.
    pub(crate) fn sorted(
        sorted: Sorted,
        call: AwsCall,
        resource: String,
        message: String,
        refused: bool,
    ) -> Self {
        let operation = call.operation;
        match sorted {
            Sorted::Denied => GuardError::AccessDenied {
                operation,
                permission: call.permission,
                resource,
                message,
            },
            Sorted::Throttled => GuardError::Throttled {
                operation,
                resource,
            },
            Sorted::NotFound | Sorted::Other if refused => GuardError::Refused {
                operation,
                resource,
                message,
            },
            Sorted::NotFound | Sorted::Other => GuardError::Aws {
                operation,
                resource,
                message,
            },
        }
    }

    /// An answer Warden could not use (an unreadable policy document), or a
    /// request it could not build: the same on every retry.
    pub fn unusable(call: AwsCall, resource: &str, message: impl Into<String>) -> Self {
        GuardError::Refused {
            operation: call.operation,
            resource: resource.to_string(),
            message: message.into(),
        }
    }

    /// Can a retry help? Throttling after the SDK's own retries, a 5xx, a
    /// timeout or a lost connection may pass; a denial, a validation error, a
    /// quota or a refusal by rule will not.
    pub fn retryable(&self) -> bool {
        matches!(self, GuardError::Throttled { .. } | GuardError::Aws { .. })
    }

    /// The call that failed.
    pub fn operation(&self) -> &'static str {
        match self {
            GuardError::AccessDenied { operation, .. }
            | GuardError::Throttled { operation, .. }
            | GuardError::Aws { operation, .. }
            | GuardError::Refused { operation, .. } => operation,
        }
    }

    /// What a person must do about an error no retry can help.
    pub fn remedy(&self) -> &'static str {
        match self {
            GuardError::AccessDenied { .. } => {
                "grant the permission to the function's role; Warden checks again on the next change or sweep"
            }
            GuardError::Refused { .. } => {
                "make the change by hand, or exempt the resource from the rule; Warden checks again on the next change or sweep"
            }
            GuardError::Throttled { .. } | GuardError::Aws { .. } => {
                "Lambda retries the event, then sends it to the dead-letter queue"
            }
        }
    }

    /// The error type Lambda records, so alarms and the DLQ can tell a
    /// permissions problem (needs a fix) from throttling (a retry helps).
    pub fn error_type(&self) -> &'static str {
        match self {
            GuardError::AccessDenied { .. } => "Warden.AccessDenied",
            GuardError::Throttled { .. } => "Warden.Throttled",
            GuardError::Aws { .. } => "Warden.AwsError",
            GuardError::Refused { .. } => "Warden.Refused",
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
    fn what_a_retry_can_help() {
        let error = |code: &str, status: u16| {
            GuardError::from_sdk(CALL, ARN, service_error(code, status, ""))
        };
        for (code, status, retryable, kind) in [
            ("ThrottlingException", 400, true, "Warden.Throttled"),
            ("InternalError", 500, true, "Warden.AwsError"),
            ("ServiceUnavailable", 503, true, "Warden.AwsError"),
            ("RequestTimeout", 400, true, "Warden.AwsError"),
            ("AccessDenied", 403, false, "Warden.AccessDenied"),
            ("LimitExceeded", 409, false, "Warden.Refused"),
            ("MalformedPolicy", 400, false, "Warden.Refused"),
            ("InvalidParameterValue", 400, false, "Warden.Refused"),
        ] {
            let err = error(code, status);
            assert_eq!(
                (err.retryable(), err.error_type()),
                (retryable, kind),
                "{code} {status}"
            );
        }
        let refused = error("LimitExceeded", 409);
        assert_eq!(
            refused.to_string(),
            format!("StartLogging on {ARN} was refused: LimitExceeded: not authorized")
        );
        let timeout: SdkError<ErrorMetadata, Response> =
            SdkError::timeout_error(std::io::Error::other("timed out"));
        assert!(GuardError::from_sdk(CALL, ARN, timeout).retryable());
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
