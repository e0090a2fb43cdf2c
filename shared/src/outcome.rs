//! The outcome of one check: the contract that tests, the local run and
//! operators rely on. Serialised exactly as
//! `{"guard", "trigger", "event_id", "event_name", "status", "reason"?,
//! "findings": [...], "resources"?: [...]}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
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

impl Status {
    /// How much a status asks of a person, least first: an event that names
    /// several resources reports the most demanding of their statuses.
    pub fn attention(self) -> u8 {
        match self {
            Status::Skipped => 0,
            Status::Compliant => 1,
            Status::Remediated => 2,
            Status::Observed => 3,
            Status::Notified => 4,
            Status::Failed => 5,
        }
    }
}

/// What started a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// A CloudTrail event (its id and name; either may be unknown when the
    /// event could not be read).
    Event {
        event_id: Option<String>,
        event_name: Option<String>,
    },
    /// A scheduled sweep over existing resources.
    Sweep { sweep_id: String },
}

impl Trigger {
    pub fn event_id(&self) -> Option<&str> {
        match self {
            Trigger::Event { event_id, .. } => event_id.as_deref(),
            Trigger::Sweep { .. } => None,
        }
    }

    pub fn event_name(&self) -> Option<&str> {
        match self {
            Trigger::Event { event_name, .. } => event_name.as_deref(),
            Trigger::Sweep { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub guard: String,
    pub trigger: Trigger,
    /// The triggering event's id and name (`null` for a sweep), kept beside
    /// `trigger` for readers of the first outcome format.
    pub event_id: Option<String>,
    pub event_name: Option<String>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub findings: Vec<Finding>,
    /// Each resource's own status, when the event named more than one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceOutcome>,
}

/// One resource's part of an outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceOutcome {
    pub resource: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Outcome {
    /// An outcome with no resource checked (skipped, malformed).
    pub fn bare(guard: &str, trigger: Trigger, status: Status, reason: Option<String>) -> Self {
        Self {
            guard: guard.to_string(),
            event_id: trigger.event_id().map(str::to_string),
            event_name: trigger.event_name().map(str::to_string),
            trigger,
            status,
            reason,
            findings: vec![],
            resources: vec![],
        }
    }

    /// The outcome of checking each resource an event or sweep named: the
    /// most demanding status, the reasons given for it, every finding, and
    /// (for more than one resource) each resource's own part.
    pub fn of(guard: &str, trigger: Trigger, checked: Vec<Checked>) -> Self {
        let status = checked
            .iter()
            .map(|c| c.status)
            .max_by_key(|s| s.attention())
            .unwrap_or(Status::Skipped);
        let reasons: Vec<&str> = checked
            .iter()
            .filter(|c| c.status == status)
            .filter_map(|c| c.reason.as_deref())
            .collect();
        let reason = (!reasons.is_empty()).then(|| reasons.join("; "));
        let resources = if checked.len() > 1 {
            checked
                .iter()
                .map(|c| ResourceOutcome {
                    resource: c.resource.clone(),
                    status: c.status,
                    reason: c.reason.clone(),
                })
                .collect()
        } else {
            vec![]
        };
        let mut outcome = Self::bare(guard, trigger, status, reason);
        outcome.findings = checked.into_iter().flat_map(|c| c.findings).collect();
        outcome.resources = resources;
        outcome
    }
}

/// What checking one resource came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub resource: String,
    pub status: Status,
    pub reason: Option<String>,
    pub findings: Vec<Finding>,
    /// The rules not assessed on this resource: exempt by its tag, or
    /// suppressed after a rollback.
    pub unassessed: Vec<String>,
}

/// How a check's reason ends when the resource was not found: it is gone.
pub const GONE: &str = "no longer exists";

impl Checked {
    /// The check of a resource that no longer exists (read as not found,
    /// and the guard has no state for it either): skipped, and its
    /// findings elsewhere (Security Hub) are archived.
    pub fn gone(resource: &str) -> Self {
        Self {
            resource: resource.to_string(),
            status: Status::Skipped,
            reason: Some(format!("{resource} {GONE}")),
            findings: vec![],
            unassessed: vec![],
        }
    }

    /// Was the resource gone (made by [`Checked::gone`])?
    pub fn is_gone(&self) -> bool {
        self.status == Status::Skipped
            && self.findings.is_empty()
            && self
                .reason
                .as_deref()
                .and_then(|reason| reason.strip_prefix(self.resource.as_str()))
                .is_some_and(|rest| rest.strip_prefix(' ') == Some(GONE))
    }
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
    /// How urgent the finding is (a root sign-in without MFA is `critical`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// The detectors behind a finding about a detected value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detectors: Vec<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
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
    /// The audit record of this change in the state table, when there is
    /// one (`WARDEN_STATE_TABLE`): what `rollback` takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
}

impl Change {
    /// A change not yet recorded in the state table (no `change_id`).
    pub fn new(action: &str, before: Value, after: Value) -> Self {
        Self {
            action: action.to_string(),
            before,
            after,
            change_id: None,
        }
    }
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
            detectors: vec![],
        }
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}
