//! The outcome of one invocation: the contract that tests, the local run and
//! operators rely on. Serialised exactly as
//! `{"guard", "event_id", "event_name", "status", "reason"?, "findings": [...]}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing to do: see `reason`.
    Skipped,
    /// The resource meets every rule.
    Compliant,
    /// Findings logged only (`observe` mode).
    Observed,
    /// Findings sent to the topic and not (all) fixed: `notify` mode, or a
    /// fix that would have been unsafe to make (see `reason`).
    Notified,
    /// Every finding fixed and confirmed by reading the resource back.
    Remediated,
    /// The event could not be read, or a fix did not hold on read-back.
    Failed,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Skipped => "skipped",
            Status::Compliant => "compliant",
            Status::Observed => "observed",
            Status::Notified => "notified",
            Status::Remediated => "remediated",
            Status::Failed => "failed",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub guard: String,
    pub event_id: Option<String>,
    pub event_name: Option<String>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub findings: Vec<Finding>,
}

/// One rule a resource breaks, with the changes that fix it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    /// The resource ARN.
    pub resource: String,
    /// What was seen, masked wherever it could hold a secret.
    pub evidence: String,
    pub changes: Vec<Change>,
    /// True once the changes were made and confirmed by a read-back.
    pub applied: bool,
    /// How urgent the finding is, where a guard grades its findings (a root
    /// sign-in without MFA is `critical`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// One planned change, with the state before and after, so a dry run and an
/// alert show exactly what would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub action: String,
    pub before: Value,
    pub after: Value,
}

impl Finding {
    pub fn new(
        rule: &str,
        resource: &str,
        evidence: impl Into<String>,
        changes: Vec<Change>,
    ) -> Self {
        Self {
            rule: rule.to_string(),
            resource: resource.to_string(),
            evidence: evidence.into(),
            changes,
            applied: false,
            severity: None,
        }
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}
