//! Recording a finding: the SNS alert, the Embedded Metric Format line and
//! the structured log record all carry the same [`FindingRecord`].

use crate::config::Mode;
use crate::error::{AwsCall, GuardError};
use crate::event::CloudTrailEvent;
use crate::outcome::{Change, Finding, Severity, Status, Trigger};
use aws_sdk_sns::types::MessageAttributeValue;
use serde::Serialize;
use serde_json::json;

/// Where a check came from, as every record of it says: the account and
/// region, what started it, and who made the call (for an event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub account: String,
    pub region: String,
    pub trigger: Trigger,
    pub principal: Option<String>,
    /// When the triggering call was made (RFC 3339); `None` for a sweep.
    pub event_time: Option<String>,
    /// The triggering call was made by CloudFormation (`IacChanges`).
    pub by_cloudformation: bool,
}

impl Context {
    pub fn of_event(event: &CloudTrailEvent) -> Self {
        Self {
            account: event.account.clone(),
            region: event.detail.aws_region.clone(),
            trigger: Trigger::Event {
                event_id: Some(event.detail.event_id.clone()),
                event_name: Some(event.detail.event_name.clone()),
            },
            principal: event.detail.user_identity.principal().map(str::to_string),
            event_time: event.detail.event_time.clone(),
            by_cloudformation: event.detail.user_identity.is_cloudformation(),
        }
    }

    pub fn sweep(sweep_id: &str, account: &str, region: &str) -> Self {
        Self {
            account: account.to_string(),
            region: region.to_string(),
            trigger: Trigger::Sweep {
                sweep_id: sweep_id.to_string(),
            },
            principal: None,
            event_time: None,
            by_cloudformation: false,
        }
    }
}

/// A finding with the context an operator needs to act on it. Evidence is
/// already masked by the guard; nothing here holds a detected secret.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRecord<'a> {
    pub guard: &'a str,
    pub rule: &'a str,
    pub resource: &'a str,
    pub account: &'a str,
    pub region: &'a str,
    pub trigger: &'a Trigger,
    /// The triggering event's id and name; `null` for a sweep.
    pub event_id: Option<&'a str>,
    pub event_name: Option<&'a str>,
    pub principal: Option<&'a str>,
    pub mode: Mode,
    pub outcome: Status,
    pub evidence: &'a str,
    pub changes: &'a [Change],
    pub applied: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub detectors: &'a [String],
    /// Why the check came to its outcome, where it says (what failed and
    /// what a person must do; why a fix was held back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

impl<'a> FindingRecord<'a> {
    /// The record of `finding` from a check that came to `status` (for
    /// `reason`).
    pub fn new(
        guard: &'a str,
        finding: &'a Finding,
        context: &'a Context,
        mode: Mode,
        (status, reason): (Status, Option<&'a str>),
    ) -> Self {
        Self {
            guard,
            rule: &finding.rule,
            resource: &finding.resource,
            account: &context.account,
            region: &context.region,
            trigger: &context.trigger,
            event_id: context.trigger.event_id(),
            event_name: context.trigger.event_name(),
            principal: context.principal.as_deref(),
            mode,
            outcome: Self::finding_outcome(finding, status),
            evidence: &finding.evidence,
            changes: &finding.changes,
            applied: finding.applied,
            severity: finding.severity,
            detectors: &finding.detectors,
            reason,
        }
    }

    /// A one-line subject for e-mail subscribers: SNS allows at most 100
    /// printable ASCII characters and no line breaks.
    pub fn subject(&self) -> String {
        let name = self
            .resource
            .rsplit([':', '/'])
            .next()
            .unwrap_or(self.resource);
        let text = format!(
            "Warden {}: {} on {} ({})",
            self.guard, self.rule, name, self.outcome
        );
        let mut subject: String = text
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        if subject.len() > 100 {
            subject.truncate(97);
            subject.push_str("...");
        }
        subject
    }

    /// The finding's own outcome: a finding fixed inside an otherwise
    /// `notified` invocation still counts as remediated.
    pub fn finding_outcome(finding: &Finding, status: Status) -> Status {
        if finding.applied {
            Status::Remediated
        } else {
            status
        }
    }
}

/// One CloudWatch Embedded Metric Format line: a `Findings` count in the
/// `Warden` namespace with dimensions guard, rule and outcome. Printed to
/// stdout, where Lambda's log agent turns it into a metric.
pub fn metric_line(guard: &str, rule: &str, outcome: Status, timestamp_ms: u128) -> String {
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": "Warden",
                "Dimensions": [["guard", "rule", "outcome"]],
                "Metrics": [{"Name": "Findings", "Unit": "Count"}]
            }]
        },
        "guard": guard,
        "rule": rule,
        "outcome": outcome.to_string(),
        "Findings": 1
    })
    .to_string()
}

/// One EMF line for `ChangeToFixMs`: from the CloudTrail `eventTime` of a
/// change to the read-back that confirmed Warden's fix, per guard and rule.
pub fn change_to_fix_line(guard: &str, rule: &str, latency_ms: u64, timestamp_ms: i64) -> String {
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": "Warden",
                "Dimensions": [["guard", "rule"]],
                "Metrics": [{"Name": "ChangeToFixMs", "Unit": "Milliseconds"}]
            }]
        },
        "guard": guard,
        "rule": rule,
        "ChangeToFixMs": latency_ms
    })
    .to_string()
}

const PUBLISH: AwsCall = AwsCall::new("sns:Publish", "sns:Publish");

/// Publishes findings to the Warden topic.
#[derive(Debug, Clone)]
pub struct Notifier {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl Notifier {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: String) -> Self {
        Self { client, topic_arn }
    }

    pub async fn publish(&self, record: &FindingRecord<'_>) -> Result<(), GuardError> {
        let message = serde_json::to_string_pretty(record).map_err(|e| GuardError::Aws {
            operation: PUBLISH.operation,
            resource: self.topic_arn.clone(),
            message: format!("could not serialise the finding: {e}"),
        })?;
        let attribute = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| GuardError::Aws {
                    operation: PUBLISH.operation,
                    resource: self.topic_arn.clone(),
                    message: e.to_string(),
                })
        };
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(record.subject())
            .message(message)
            .message_attributes("guard", attribute(record.guard)?)
            .message_attributes("rule", attribute(record.rule)?)
            .message_attributes("outcome", attribute(&record.outcome.to_string())?)
            .message_attributes(
                "severity",
                attribute(&record.severity.unwrap_or(Severity::Medium).to_string())?,
            )
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(PUBLISH, &self.topic_arn, e))?;
        Ok(())
    }
}

impl Notifier {
    /// Sends one alert that is not a finding (a breaker that tripped for a
    /// whole account), with `kind` = `notice` for subscription filters.
    pub async fn notice(&self, subject: &str, message: &str) -> Result<(), GuardError> {
        let kind = MessageAttributeValue::builder()
            .data_type("String")
            .string_value("notice")
            .build()
            .map_err(|e| GuardError::Aws {
                operation: PUBLISH.operation,
                resource: self.topic_arn.clone(),
                message: e.to_string(),
            })?;
        let subject: String = subject
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .take(100)
            .collect();
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject)
            .message(message)
            .message_attributes("kind", kind)
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(PUBLISH, &self.topic_arn, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(resource: &str) -> String {
        let mut finding = Finding::new("tls-required", resource, "no deny", vec![]);
        finding.applied = true;
        let context = Context::sweep("s-1", "123456789012", "us-east-1");
        FindingRecord::new(
            "bucket-guard",
            &finding,
            &context,
            Mode::Remediate,
            (Status::Remediated, None),
        )
        .subject()
    }

    #[test]
    fn subjects_are_short_printable_ascii() {
        assert_eq!(
            subject("arn:aws:s3:::my-bucket"),
            "Warden bucket-guard: tls-required on my-bucket (remediated)"
        );
        let long = format!("arn:aws:s3:::{}\u{e9}\n", "b".repeat(120));
        let subject = subject(&long);
        assert_eq!(subject.len(), 100);
        assert!(subject.ends_with("..."));
        assert!(subject.chars().all(|c| c.is_ascii_graphic() || c == ' '));
    }

    #[test]
    fn metric_lines_are_emf() {
        let lines = [
            (
                change_to_fix_line("trail-guard", "logging", 1234, 1_700_000_000_000),
                json!({
                    "_aws": {"Timestamp": 1_700_000_000_000u64, "CloudWatchMetrics": [{"Namespace": "Warden",
                        "Dimensions": [["guard", "rule"]], "Metrics": [{"Name": "ChangeToFixMs", "Unit": "Milliseconds"}]}]},
                    "guard": "trail-guard", "rule": "logging", "ChangeToFixMs": 1234
                }),
            ),
            (
                metric_line(
                    "bucket-guard",
                    "tls-version",
                    Status::Observed,
                    1_700_000_000_000,
                ),
                json!({
                    "_aws": {"Timestamp": 1_700_000_000_000u64, "CloudWatchMetrics": [{"Namespace": "Warden",
                        "Dimensions": [["guard", "rule", "outcome"]], "Metrics": [{"Name": "Findings", "Unit": "Count"}]}]},
                    "guard": "bucket-guard", "rule": "tls-version", "outcome": "observed", "Findings": 1
                }),
            ),
        ];
        for (line, expected) in lines {
            let line: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(line, expected);
        }
    }
}
