//! Where findings go besides SNS and the logs: Security Hub (one ASFF finding
//! per resource and rule, FAILED → PASSED on a confirmed fix, archived when
//! the resource is gone; [`securityhub`]) and an EventBridge bus (one
//! `Warden Finding` event per finding record; [`eventbridge`]).
//!
//! Both are off unless configured (`WARDEN_SECURITY_HUB=true`,
//! `WARDEN_EVENT_BUS=<bus name or ARN>`), built once per cold start, and
//! given every finding whatever the guard's mode: the mode decides what
//! Warden does to a resource and whether a person is alerted (SNS), while
//! these sinks are records of posture that the operator switched on
//! explicitly. Each record carries its `mode`, so a rule or an insight can
//! leave `observe` out.
//!
//! Both calls go through [`crate::signed`], a small SigV4 client, instead of
//! the two services' SDKs (see there why).
//!
//! A failure is never swallowed: throttling and 5xx answers are retried as
//! the SDK would retry them, with the SDK's settings (see
//! [`crate::aws::load`]), then returned as a [`GuardError`]
//! that fails the invocation, so Lambda retries the event and the
//! dead-letter queue keeps it after that. A partial failure
//! (`FailedCount > 0`, `FailedEntryCount > 0`) is an error too, naming the
//! first entry that failed.

pub mod eventbridge;
pub mod securityhub;

use crate::config::{ConfigError, Env, boolean};
use crate::error::{AwsCall, GuardError, Sorted};
use crate::record::FindingRecord;
use aws_config::SdkConfig;

pub const BATCH_IMPORT_FINDINGS: AwsCall =
    AwsCall::new("BatchImportFindings", "securityhub:BatchImportFindings");
pub const GET_FINDINGS: AwsCall = AwsCall::new("GetFindings", "securityhub:GetFindings");
pub const PUT_EVENTS: AwsCall = AwsCall::new("PutEvents", "events:PutEvents");

/// The IAM actions the Security Hub sink calls (on `*`: Security Hub has no
/// resource-level permissions for these two).
pub const SECURITY_HUB_ACTIONS: [&str; 2] =
    [BATCH_IMPORT_FINDINGS.permission, GET_FINDINGS.permission];
/// The IAM action the EventBridge sink calls, on the bus's ARN only.
pub const EVENT_BUS_ACTIONS: [&str; 1] = [PUT_EVENTS.permission];
/// Every action the sinks call: what a function's role needs when both are on.
pub const SINK_ACTIONS: [&str; 3] = [
    BATCH_IMPORT_FINDINGS.permission,
    GET_FINDINGS.permission,
    PUT_EVENTS.permission,
];

/// The sinks' settings, read once at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SinkSettings {
    /// `WARDEN_SECURITY_HUB=true`: findings go to Security Hub.
    pub security_hub: bool,
    /// `WARDEN_EVENT_BUS`: the bus (name or ARN) every finding is put on.
    pub event_bus: Option<String>,
}

impl SinkSettings {
    pub const SECURITY_HUB: &'static str = "WARDEN_SECURITY_HUB";
    pub const EVENT_BUS: &'static str = "WARDEN_EVENT_BUS";

    /// Unset or empty means off; a value that is not `true`/`false`, or not
    /// an event bus name or ARN, refuses the start naming the variable.
    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        let security_hub = boolean(env, Self::SECURITY_HUB, false)?;
        let event_bus = env.value(Self::EVENT_BUS);
        if let Some(bus) = &event_bus
            && !is_event_bus(bus)
        {
            return Err(ConfigError::Invalid {
                var: Self::EVENT_BUS,
                value: bus.clone(),
                allowed: "an event bus name (1-256 of A-Z a-z 0-9 . - _ /, such as default) or its ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME), or nothing".into(),
            });
        }
        Ok(Self {
            security_hub,
            event_bus,
        })
    }

    /// Is any sink on?
    pub fn any(&self) -> bool {
        self.security_hub || self.event_bus.is_some()
    }
}

/// An event bus name as EventBridge accepts it, or an event bus ARN.
fn is_event_bus(value: &str) -> bool {
    let name_ok = |name: &str| {
        (1..=256).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
    };
    if value.starts_with("arn:") {
        return crate::arn::Arn::parse(value).is_some_and(|arn| {
            arn.service == "events"
                && arn.has_account_id()
                && !arn.region.is_empty()
                && arn.resource.strip_prefix("event-bus/").is_some_and(name_ok)
        });
    }
    // Only partner buses (`aws.partner/…`) have a `/` in their name.
    name_ok(value) && (!value.contains('/') || value.starts_with("aws.partner/"))
}

/// What one check (an event or a swept resource) hands the sinks.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub guard: &'a str,
    pub account: &'a str,
    pub region: &'a str,
    /// Every finding of the check, with its outcome.
    pub records: &'a [FindingRecord<'a>],
    /// Resources that were read and evaluated, each with the rules that
    /// stand on its state and found nothing on it this time: a FAILED
    /// finding of one of them was fixed by someone else.
    pub passed: &'a [(&'a str, Vec<&'a str>)],
    /// Resources that no longer exist: their findings are archived.
    pub gone: &'a [&'a str],
}

/// The sinks a function delivers to, built once per cold start.
#[derive(Debug)]
pub struct Sinks {
    security_hub: Option<securityhub::SecurityHub>,
    event_bus: Option<eventbridge::EventBus>,
}

impl Sinks {
    /// The sinks `settings` ask for, with clients built from `aws`; `None`
    /// when none is on.
    pub fn new(settings: &SinkSettings, aws: &SdkConfig) -> Option<Self> {
        settings.any().then(|| Self {
            security_hub: settings
                .security_hub
                .then(|| securityhub::SecurityHub::new(aws)),
            event_bus: settings
                .event_bus
                .as_ref()
                .map(|bus| eventbridge::EventBus::new(aws, bus.clone())),
        })
    }

    /// Sinks from parts (tests, or a caller with its own clients).
    pub fn from_parts(
        security_hub: Option<securityhub::SecurityHub>,
        event_bus: Option<eventbridge::EventBus>,
    ) -> Self {
        Self {
            security_hub,
            event_bus,
        }
    }

    pub fn security_hub(&self) -> Option<&securityhub::SecurityHub> {
        self.security_hub.as_ref()
    }

    pub fn event_bus(&self) -> Option<&eventbridge::EventBus> {
        self.event_bus.as_ref()
    }

    /// Delivers one check's findings to every sink that is on, concurrently.
    pub async fn deliver(&self, delivery: &Delivery<'_>) -> Result<(), GuardError> {
        let hub = async {
            match &self.security_hub {
                Some(hub) => hub.deliver(delivery).await,
                None => Ok(()),
            }
        };
        let bus = async {
            match &self.event_bus {
                Some(bus) => bus.put(delivery.records).await,
                None => Ok(()),
            }
        };
        futures::future::try_join(hub, bus).await.map(|_| ())
    }
}

/// Splits items of the given sizes into consecutive batches of at most
/// `max_count` items and `max_bytes` bytes (an item larger than `max_bytes`
/// goes alone, for the service to judge). Pure, so the limits are tested
/// without a service.
pub fn batches(sizes: &[usize], max_count: usize, max_bytes: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, size) in sizes.iter().enumerate() {
        let full = i - start >= max_count.max(1) || (i > start && bytes + size > max_bytes);
        if full {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

/// The error for a partial failure: the first entry that failed, sorted by
/// its error code the way [`GuardError::from_sdk`] sorts a whole call.
pub(crate) fn entry_failure(
    call: AwsCall,
    resource: &str,
    failed: usize,
    of: usize,
    code: &str,
    message: &str,
) -> GuardError {
    let message = format!("{failed} of {of} entries failed; the first: {code}: {message}");
    let sorted = if aws_runtime::retries::classifiers::THROTTLING_ERRORS.contains(&code) {
        Sorted::Throttled
    } else if code.contains("AccessDenied") || code == "NotAuthorizedForSourceException" {
        Sorted::Denied
    } else {
        Sorted::Other
    };
    // Refused for good; anything else (InternalFailure, ServiceUnavailable,
    // a code Warden does not know) is transient: a retry may help.
    let refused = code.starts_with("Invalid")
        || code.starts_with("Malformed")
        || code.contains("Validation")
        || code.contains("TooLarge")
        || code == "LimitExceeded";
    GuardError::sorted(sorted, call, resource.to_string(), message, refused)
}

/// Now as RFC 3339 UTC with milliseconds (`2026-12-02T07:45:00.123Z`), the
/// timestamp form ASFF and the audit records use.
pub fn now_rfc3339() -> String {
    rfc3339(time::OffsetDateTime::now_utc())
}

pub fn rfc3339(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_to_off() {
        let env: [(&str, &str); 0] = [];
        let settings = SinkSettings::from_env(&env[..]).unwrap();
        assert_eq!(settings, SinkSettings::default());
        assert!(!settings.any());
        let blank = [("WARDEN_SECURITY_HUB", " "), ("WARDEN_EVENT_BUS", "")];
        assert_eq!(
            SinkSettings::from_env(&blank[..]).unwrap(),
            SinkSettings::default()
        );
    }

    #[test]
    fn settings_read_both_sinks() {
        let env = [
            ("WARDEN_SECURITY_HUB", "TRUE"),
            ("WARDEN_EVENT_BUS", "default"),
        ];
        assert_eq!(
            SinkSettings::from_env(&env[..]).unwrap(),
            SinkSettings {
                security_hub: true,
                event_bus: Some("default".into())
            }
        );
        for bus in [
            "security-findings",
            "aws.partner/example.com/123/x",
            "arn:aws:events:eu-west-1:123456789012:event-bus/default",
            "arn:aws-us-gov:events:us-gov-west-1:123456789012:event-bus/warden_findings",
        ] {
            let env = [("WARDEN_EVENT_BUS", bus)];
            let settings = SinkSettings::from_env(&env[..]).unwrap();
            assert_eq!(settings.event_bus.as_deref(), Some(bus), "{bus}");
        }
    }

    #[test]
    fn setting_typos_name_the_variable() {
        let err = SinkSettings::from_env(&[("WARDEN_SECURITY_HUB", "ture")][..]).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"WARDEN_SECURITY_HUB="ture" is not valid: use one of true, false"#
        );
        for bad in [
            "my bus",
            "bus/with-slash",
            "arn:aws:sns:us-east-1:123456789012:topic",
            "arn:aws:events:us-east-1:123456789012:rule/r",
            "arn:aws:events:us-east-1:123:event-bus/b",
        ] {
            let err = SinkSettings::from_env(&[("WARDEN_EVENT_BUS", bad)][..]).unwrap_err();
            assert!(
                err.to_string().starts_with(&format!(
                    "WARDEN_EVENT_BUS={bad:?} is not valid: use an event bus name"
                )),
                "{err}"
            );
        }
    }

    #[test]
    fn batching_by_count_and_size() {
        assert_eq!(batches(&[1; 150], 100, usize::MAX), vec![0..100, 100..150]);
        assert_eq!(batches(&[1; 100], 100, usize::MAX), vec![0..100]);
        assert_eq!(
            batches(&[1; 21], 10, usize::MAX),
            vec![0..10, 10..20, 20..21]
        );
        assert_eq!(batches(&[], 10, 100), Vec::<std::ops::Range<usize>>::new());
        // Size: 60 + 60 > 100, so each goes alone; a too-large item too.
        assert_eq!(
            batches(&[60, 60, 30, 200, 10], 10, 100),
            vec![0..1, 1..3, 3..4, 4..5]
        );
    }

    #[test]
    fn partial_failures_are_sorted() {
        let err = entry_failure(
            PUT_EVENTS,
            "default",
            2,
            10,
            "ThrottlingException",
            "slow down",
        );
        assert_eq!(err.error_type(), "Warden.Throttled");
        let err = entry_failure(PUT_EVENTS, "default", 1, 3, "InternalFailure", "oops");
        assert!(err.retryable());
        assert_eq!(
            err.to_string(),
            "PutEvents on default failed: 1 of 3 entries failed; the first: InternalFailure: oops"
        );
        let err = entry_failure(BATCH_IMPORT_FINDINGS, "p", 1, 1, "InvalidInput", "bad");
        assert_eq!(err.error_type(), "Warden.Refused");
        let err = entry_failure(PUT_EVENTS, "b", 1, 1, "AccessDeniedException", "no");
        assert_eq!(err.error_type(), "Warden.AccessDenied");
    }

    #[test]
    fn timestamps() {
        let at = time::macros::datetime!(2026-12-02 07:05:09.042 UTC);
        assert_eq!(rfc3339(at), "2026-12-02T07:05:09.042Z");
    }
}
