//! A sweep's result: what was checked per guard, the findings per rule and
//! outcome, what could not be checked, and where the sweep stopped. One
//! summary per sweep is returned, logged and published; each rule and
//! outcome also becomes an EMF metric.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use warden_shared::record::FindingRecord;
use warden_shared::{Outcome, Status};

/// Whether the sweep covered everything it was asked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum SweepStatus {
    Complete,
    /// The time budget ran out; `continuation` says where to go on.
    Continued,
}

/// Something the sweep could not check: a listing, or one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepError {
    pub resource_type: String,
    pub region: String,
    /// The resource, or `None` when its listing failed.
    pub resource: Option<String>,
    pub message: String,
}

impl SweepError {
    /// A line about the summary itself (a part that could not be read
    /// back, a publish that failed), not about any resource type's listing.
    pub fn of_summary(resource: Option<String>, message: String) -> Self {
        Self {
            resource_type: "summary".into(),
            region: String::new(),
            resource,
            message,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub sweep_id: String,
    pub status: SweepStatus,
    pub duration_ms: u64,
    /// Resources each guard checked (whatever their outcome).
    pub checked: BTreeMap<String, u64>,
    /// Findings per rule, per the finding's own outcome.
    pub by_rule: BTreeMap<String, BTreeMap<Status, u64>>,
    pub errors: Vec<SweepError>,
    pub continuation: Option<Value>,
}

impl Summary {
    pub fn new(sweep_id: &str) -> Self {
        Self {
            sweep_id: sweep_id.to_string(),
            status: SweepStatus::Complete,
            duration_ms: 0,
            checked: BTreeMap::new(),
            by_rule: BTreeMap::new(),
            errors: vec![],
            continuation: None,
        }
    }

    /// A guard's shard ran: it is named in `checked` even if it found
    /// nothing to check.
    pub fn covers(&mut self, guard: &str) {
        self.checked.entry(guard.to_string()).or_insert(0);
    }

    /// Counts one resource's outcome.
    pub fn add(&mut self, outcome: &Outcome) {
        *self.checked.entry(outcome.guard.clone()).or_insert(0) += 1;
        for finding in &outcome.findings {
            let status = FindingRecord::finding_outcome(finding, outcome.status);
            *self
                .by_rule
                .entry(finding.rule.clone())
                .or_default()
                .entry(status)
                .or_insert(0) += 1;
        }
    }

    /// Adds another part of the same sweep (a shard run alongside).
    pub fn merge(&mut self, other: Summary) {
        for (guard, n) in other.checked {
            *self.checked.entry(guard).or_insert(0) += n;
        }
        for (rule, statuses) in other.by_rule {
            let mine = self.by_rule.entry(rule).or_default();
            for (status, n) in statuses {
                *mine.entry(status).or_insert(0) += n;
            }
        }
        self.errors.extend(other.errors);
    }

    /// How many findings the sweep made.
    pub fn findings(&self) -> u64 {
        self.by_rule.values().flat_map(|s| s.values()).sum()
    }

    /// A one-line SNS subject (at most 100 printable ASCII characters).
    pub fn subject(&self) -> String {
        let checked: u64 = self.checked.values().sum();
        let mut subject = format!(
            "Warden sweep {}: {}, {checked} checked, {} findings, {} errors",
            self.sweep_id,
            self.status,
            self.findings(),
            self.errors.len()
        );
        subject.retain(|c| c.is_ascii_graphic() || c == ' ');
        if subject.len() > 100 {
            subject.truncate(97);
            subject.push_str("...");
        }
        subject
    }

    /// The EMF lines: resources checked per guard, findings per rule and
    /// outcome, all in the `Warden` namespace.
    pub fn metric_lines(&self, timestamp_ms: u128) -> Vec<String> {
        let emf = |dimensions: &[&str], metric: &str| {
            json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": [{"Namespace": "Warden",
                "Dimensions": [dimensions], "Metrics": [{"Name": metric, "Unit": "Count"}]}]})
        };
        let mut lines = Vec::new();
        for (guard, n) in &self.checked {
            lines.push(
                json!({"_aws": emf(&["guard"], "SweepChecked"), "guard": guard, "SweepChecked": n})
                    .to_string(),
            );
        }
        for (rule, statuses) in &self.by_rule {
            for (status, n) in statuses {
                lines.push(
                    json!({"_aws": emf(&["rule", "status"], "SweepFindings"), "rule": rule,
                        "status": status.to_string(), "SweepFindings": n})
                    .to_string(),
                );
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_shared::{Finding, Trigger};

    fn outcome(guard: &str, status: Status, rules: &[(&str, bool)]) -> Outcome {
        let trigger = Trigger::Sweep {
            sweep_id: "s-1".into(),
        };
        let mut outcome = Outcome::bare(guard, trigger, status, None);
        outcome.findings = rules
            .iter()
            .map(|(rule, applied)| {
                let mut f = Finding::new(rule, "arn:aws:s3:::b", "seen", vec![]);
                f.applied = *applied;
                f
            })
            .collect();
        outcome
    }

    #[test]
    fn counts_resources_per_guard_and_findings_per_rule_and_outcome() {
        let mut summary = Summary::new("s-1");
        summary.covers("mfa-guard");
        summary.add(&outcome("bucket-guard", Status::Compliant, &[]));
        summary.add(&outcome(
            "bucket-guard",
            Status::Notified,
            &[("tls-required", true), ("tls-version", false)],
        ));
        let mut other = Summary::new("s-1");
        other.add(&outcome(
            "bucket-guard",
            Status::Observed,
            &[("tls-required", false)],
        ));
        summary.merge(other);
        let value = serde_json::to_value(&summary).unwrap();
        assert_eq!(
            value,
            json!({"sweep_id": "s-1", "status": "complete", "duration_ms": 0,
                "checked": {"bucket-guard": 3, "mfa-guard": 0},
                "by_rule": {"tls-required": {"observed": 1, "remediated": 1}, "tls-version": {"notified": 1}},
                "errors": [], "continuation": null})
        );
        assert_eq!(summary.findings(), 3);
        assert_eq!(
            summary.subject(),
            "Warden sweep s-1: complete, 3 checked, 3 findings, 0 errors"
        );
        let lines: Vec<Value> = summary
            .metric_lines(1)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(
            lines[2],
            json!({"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "Warden",
                "Dimensions": [["rule", "status"]], "Metrics": [{"Name": "SweepFindings", "Unit": "Count"}]}]},
                "rule": "tls-required", "status": "observed", "SweepFindings": 1})
        );
    }
}
