//! A lenient model of the EventBridge envelope around a CloudTrail record.
//!
//! CloudTrail `detail` fields differ by service and event type: console
//! sign-ins have no `requestID`, `responseElements` is often `null`, some
//! producers send `readOnly` as a string. `aws_lambda_events` models these as
//! required fields, so Warden reads the JSON itself: every field it needs is
//! looked up by path, absent or `null` is `None`, scalars of the wrong kind are
//! converted where the meaning is unambiguous, and anything else is an
//! [`EventError`] that names the field.

use serde_json::Value;

/// Why an event could not be read. Always names the field, so an operator
/// can find it in the raw event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event field `{field}` {problem}")]
pub struct EventError {
    pub field: String,
    pub problem: String,
}

impl EventError {
    pub fn missing(field: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: "is missing".into(),
        }
    }

    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// One CloudTrail record as delivered by EventBridge.
#[derive(Debug, Clone)]
pub struct CloudTrailEvent {
    /// The EventBridge envelope's `id`.
    pub envelope_id: String,
    pub detail_type: String,
    pub source: String,
    pub account: String,
    pub region: String,
    pub detail: CloudTrailDetail,
}

#[derive(Debug, Clone)]
pub struct CloudTrailDetail {
    /// `detail.eventID`, or the envelope `id` where the record has none.
    pub event_id: String,
    pub event_name: String,
    pub event_source: String,
    pub aws_region: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub read_only: Option<bool>,
    pub request_id: Option<String>,
    /// `detail.eventTime` (RFC 3339), or the envelope's `time`: when the
    /// call was made, which change-to-fix latency is measured from.
    pub event_time: Option<String>,
    pub user_identity: UserIdentity,
    /// Kept as raw JSON: its shape is per service and per call.
    pub request_parameters: Value,
    pub response_elements: Value,
    pub additional_event_data: Value,
}

/// The caller, as far as Warden needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserIdentity {
    /// `IAMUser`, `AssumedRole`, `Root`, `AWSService`, `SAMLUser`, ...
    pub kind: Option<String>,
    pub arn: Option<String>,
    pub account_id: Option<String>,
    pub user_name: Option<String>,
    /// `sessionContext.sessionIssuer.arn`: the role behind an assumed-role session.
    pub session_issuer_arn: Option<String>,
    /// `invokedBy`: the AWS service that made the call on the caller's
    /// behalf (`cloudformation.amazonaws.com`).
    pub invoked_by: Option<String>,
}

impl UserIdentity {
    /// The best single name for the caller, for findings and logs.
    pub fn principal(&self) -> Option<&str> {
        self.arn
            .as_deref()
            .or(self.session_issuer_arn.as_deref())
            .or(self.user_name.as_deref())
    }

    /// The call was made by CloudFormation: on the caller's behalf
    /// (`invokedBy`), or through a stack's service role, whose sessions
    /// CloudFormation names `AWSCloudFormation`.
    pub fn is_cloudformation(&self) -> bool {
        self.invoked_by.as_deref() == Some("cloudformation.amazonaws.com")
            || self.arn.as_deref().is_some_and(|arn| {
                arn.contains(":assumed-role/") && arn.ends_with("/AWSCloudFormation")
            })
    }
}

impl CloudTrailEvent {
    /// Reads an EventBridge event. Fails only on what Warden cannot do
    /// without: `detail`, `detail.eventName`, `detail.eventSource`, and an
    /// event id from either the record or the envelope.
    pub fn parse(event: &Value) -> Result<Self, EventError> {
        let envelope = Fields::root(event)?;
        let detail_value = event
            .get("detail")
            .filter(|v| !v.is_null())
            .ok_or_else(|| EventError::missing("detail"))?;
        let detail = Fields::at(detail_value, "detail")?;

        let envelope_id = envelope.string("id")?.unwrap_or_default();
        let region = envelope.string("region")?.unwrap_or_default();
        let event_id = match detail.string("eventID")? {
            Some(id) => id,
            None if !envelope_id.is_empty() => envelope_id.clone(),
            None => return Err(EventError::missing("detail.eventID")),
        };

        let identity_value = detail_value.get("userIdentity").unwrap_or(&Value::Null);
        let user_identity = parse_identity(identity_value)?;

        Ok(Self {
            detail_type: envelope.string("detail-type")?.unwrap_or_default(),
            source: envelope.string("source")?.unwrap_or_default(),
            account: envelope
                .string("account")?
                .or_else(|| detail.string("recipientAccountId").ok().flatten())
                .unwrap_or_default(),
            detail: CloudTrailDetail {
                event_id,
                event_name: detail.required_string("eventName")?,
                event_source: detail.required_string("eventSource")?,
                aws_region: detail
                    .string("awsRegion")?
                    .unwrap_or_else(|| region.clone()),
                error_code: detail.string("errorCode")?,
                error_message: detail.string("errorMessage")?,
                read_only: detail.boolean("readOnly")?,
                request_id: detail.string("requestID")?,
                event_time: detail
                    .string("eventTime")?
                    .or_else(|| envelope.string("time").ok().flatten()),
                user_identity,
                request_parameters: detail.raw("requestParameters"),
                response_elements: detail.raw("responseElements"),
                additional_event_data: detail.raw("additionalEventData"),
            },
            envelope_id,
            region,
        })
    }

    /// A string inside `requestParameters`, by JSON pointer-like path
    /// (`["bucketName"]`), with the full field name in the error.
    pub fn request_string(&self, path: &[&str]) -> Result<String, EventError> {
        let field = format!("detail.requestParameters.{}", path.join("."));
        let mut value = &self.detail.request_parameters;
        for key in path {
            value = value.get(*key).unwrap_or(&Value::Null);
        }
        match scalar_string(value) {
            Some(Ok(s)) if !s.is_empty() => Ok(s),
            Some(Ok(_)) => Err(EventError::invalid(field, "is empty")),
            Some(Err(kind)) => Err(EventError::invalid(
                field,
                format!("is {kind}, expected a string"),
            )),
            None => Err(EventError::missing(field)),
        }
    }

    /// Why an event is not one to check at all, decided before it is read
    /// in full: a call that failed (whatever else its record lacks), or an
    /// event that is not a CloudTrail record (a GuardDuty finding, an EC2
    /// state-change notification, anything without `detail.eventName`).
    pub fn not_to_check(event: &Value) -> Option<String> {
        let detail = event.get("detail").filter(|d| !d.is_null());
        let failed = detail
            .and_then(|d| d.get("errorCode"))
            .and_then(scalar_string)
            .and_then(Result::ok)
            .filter(|code| !code.is_empty());
        if let Some(code) = failed {
            return Some(format!("the call failed ({code}), so nothing changed"));
        }
        let detail_type = event.get("detail-type").and_then(Value::as_str);
        if let Some(kind) = detail_type.filter(|kind| !kind.ends_with("via CloudTrail")) {
            return Some(format!("not a CloudTrail event (detail-type `{kind}`)"));
        }
        match detail {
            Some(Value::Object(fields))
                if fields.get("eventName").is_some_and(|n| !n.is_null()) =>
            {
                None
            }
            Some(Value::Object(_)) => Some("not a CloudTrail event (no detail.eventName)".into()),
            Some(other) => Some(format!(
                "not a CloudTrail event (`detail` is {})",
                kind_of(other)
            )),
            None => Some("not a CloudTrail event (no `detail`)".into()),
        }
    }

    /// Best-effort id and name of an event that failed to parse, so the
    /// outcome can still say which event it was.
    pub fn identify(event: &Value) -> (Option<String>, Option<String>) {
        let text = |v: Option<&Value>| v.and_then(scalar_string).and_then(Result::ok);
        let detail = event.get("detail");
        let id = text(detail.and_then(|d| d.get("eventID"))).or_else(|| text(event.get("id")));
        let name = text(detail.and_then(|d| d.get("eventName")));
        (id, name)
    }
}

fn parse_identity(value: &Value) -> Result<UserIdentity, EventError> {
    if value.is_null() {
        return Ok(UserIdentity::default());
    }
    let fields = Fields::at(value, "detail.userIdentity")?;
    let issuer = value
        .get("sessionContext")
        .and_then(|c| c.get("sessionIssuer"))
        .filter(|v| !v.is_null());
    let session_issuer_arn = match issuer {
        Some(issuer) => {
            Fields::at(issuer, "detail.userIdentity.sessionContext.sessionIssuer")?.string("arn")?
        }
        None => None,
    };
    Ok(UserIdentity {
        kind: fields.string("type")?,
        arn: fields.string("arn")?,
        account_id: fields.string("accountId")?,
        user_name: fields.string("userName")?,
        session_issuer_arn,
        invoked_by: fields.string("invokedBy")?,
    })
}

/// Field access on one JSON object, remembering its path for errors.
struct Fields<'a> {
    value: &'a Value,
    path: &'static str,
}

impl<'a> Fields<'a> {
    fn root(value: &'a Value) -> Result<Self, EventError> {
        if value.is_object() {
            Ok(Self { value, path: "" })
        } else {
            Err(EventError::invalid(
                "(event)",
                format!("is {}, expected a JSON object", kind_of(value)),
            ))
        }
    }

    fn at(value: &'a Value, path: &'static str) -> Result<Self, EventError> {
        if value.is_object() {
            Ok(Self { value, path })
        } else {
            Err(EventError::invalid(
                path,
                format!("is {}, expected a JSON object", kind_of(value)),
            ))
        }
    }

    fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>, EventError> {
        match self.value.get(key).and_then(scalar_string) {
            None => Ok(None),
            Some(Ok(s)) => Ok(Some(s)),
            Some(Err(kind)) => Err(EventError::invalid(
                self.name(key),
                format!("is {kind}, expected a string"),
            )),
        }
    }

    fn required_string(&self, key: &str) -> Result<String, EventError> {
        match self.string(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            Some(_) => Err(EventError::invalid(self.name(key), "is empty")),
            None => Err(EventError::missing(self.name(key))),
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, EventError> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(EventError::invalid(
                self.name(key),
                format!("is {}, expected true or false", kind_of(other)),
            )),
        }
    }

    fn raw(&self, key: &str) -> Value {
        self.value.get(key).cloned().unwrap_or(Value::Null)
    }
}

/// A scalar as text: strings as they are, numbers and booleans in their JSON
/// spelling (some producers send ids as numbers). `None` for absent/null;
/// `Err(kind)` for objects and arrays.
fn scalar_string(value: &Value) -> Option<Result<String, &'static str>> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(Ok(s.clone())),
        Value::Number(n) => Some(Ok(n.to_string())),
        Value::Bool(b) => Some(Ok(b.to_string())),
        other => Some(Err(kind_of(other))),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
