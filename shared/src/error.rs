//! Infrastructure errors: AWS said no, or could not be reached.
//!
//! These are returned to the Lambda runtime as invocation errors (not as an
//! outcome), so Lambda's retries and the dead-letter queue take over with the
//! event intact. Each message names the failing call and, when access was
//! denied, the IAM action the function's role is missing.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// An AWS call, named the way an operator would look it up: the API
/// operation and the IAM action that allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl GuardError {
    /// Classifies an SDK error from `call` on `resource`.
    pub fn from_sdk<E, R>(call: AwsCall, resource: &str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let code = err.code().unwrap_or_default().to_string();
        let message = err
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| DisplayErrorContext(&err).to_string());
        let resource = resource.to_string();
        match code.as_str() {
            "AccessDenied"
            | "AccessDeniedException"
            | "AuthorizationError"
            | "UnauthorizedOperation"
            | "AuthorizationErrorException"
            | "Forbidden" => GuardError::AccessDenied {
                operation: call.operation,
                permission: call.permission,
                resource,
                message,
            },
            "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "SlowDown"
            | "TooManyRequestsException"
            | "RequestLimitExceeded" => GuardError::Throttled {
                operation: call.operation,
                resource,
            },
            "" => GuardError::Aws {
                operation: call.operation,
                resource,
                message,
            },
            code => GuardError::Aws {
                operation: call.operation,
                resource,
                message: format!("{code}: {message}"),
            },
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
