//! The AWS Security Finding Format as Warden fills it: one finding per
//! (resource, rule), its stable id, types, severity, resource type and the
//! Security Hub control it maps to. Pure, so every field is tested without
//! Security Hub.

use crate::arn::{Arn, partition};
use crate::error::GuardError;
use crate::outcome::Severity;
use crate::record::FindingRecord;
use crate::sinks::BATCH_IMPORT_FINDINGS;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub const SCHEMA_VERSION: &str = "2018-10-08";
pub const BEST_PRACTICES: &str = "Software and Configuration Checks/AWS Security Best Practices";
pub const PII: &str = "Sensitive Data Identifications/PII";
pub const PASSWORDS: &str = "Sensitive Data Identifications/Passwords";
pub const FINANCIAL: &str = "Sensitive Data Identifications/Financial";

/// The account's default product, where custom findings go:
/// `arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`.
pub fn product_arn(region: &str, account: &str) -> String {
    format!(
        "arn:{}:securityhub:{region}:{account}:product/{account}/default",
        partition(region)
    )
}

pub fn generator_id(guard: &str, rule: &str) -> String {
    format!("warden/{guard}/{rule}")
}

/// The stable id of the one finding per (resource, rule).
pub fn finding_id(guard: &str, rule: &str, resource: &str) -> String {
    format!("warden/{guard}/{rule}/{resource}")
}

/// The Security Hub control a rule checks, where there is one. Tag-guard's
/// rules (sensitive data in tags and fields) have none.
pub fn control(guard: &str, record: &FindingRecord<'_>) -> Option<&'static str> {
    Some(match (guard, record.rule) {
        ("bucket-guard", "tls-required" | "tls-version") => "S3.5",
        ("bucket-guard", "public-access-block") => "S3.8",
        // S3.17 asks for KMS; S3.4 for default encryption at all.
        ("bucket-guard", "default-encryption") if requires_kms(record) => "S3.17",
        ("bucket-guard", "default-encryption") => "S3.4",
        ("mfa-guard", "console-mfa") => "IAM.5",
        ("mfa-guard", "root-console-mfa") => "IAM.9",
        (
            "trail-guard",
            "trail-logging" | "multi-region" | "management-events" | "trail-deleted",
        ) => "CloudTrail.1",
        ("trail-guard", "log-encryption") => "CloudTrail.2",
        ("trail-guard", "log-file-validation") => "CloudTrail.4",
        _ => return None,
    })
}

/// Does a default-encryption finding ask for a KMS level?
fn requires_kms(record: &FindingRecord<'_>) -> bool {
    record.changes.iter().any(|change| {
        change.after["SSEAlgorithm"]
            .as_str()
            .is_some_and(|algorithm| algorithm.starts_with("aws:kms"))
    }) || ["required: at least SSE-KMS", "required: at least DSSE-KMS"]
        .iter()
        .any(|required| record.evidence.contains(required))
}

/// The finding types: sensitive-data findings by what their detectors
/// found, configuration checks otherwise.
pub fn types(guard: &str, record: &FindingRecord<'_>) -> Vec<&'static str> {
    if guard != "tag-guard" {
        return vec![BEST_PRACTICES];
    }
    let mut types = BTreeSet::new();
    for detector in record.detectors {
        types.insert(match detector.as_str() {
            "payment-card" => FINANCIAL,
            "aws-access-key-id"
            | "aws-secret-access-key"
            | "aws-session-credentials"
            | "url-credentials"
            | "private-key" => PASSWORDS,
            _ => PII,
        });
    }
    if types.is_empty() {
        types.insert(PII);
    }
    let mut types: Vec<&'static str> = types.into_iter().collect();
    // PII first: the type the issue names for every tag finding.
    types.sort_by_key(|t| *t != PII);
    types
}

/// The ASFF resource type of an ARN Warden checks.
pub fn resource_type(resource: &str) -> &'static str {
    let Some(arn) = Arn::parse(resource) else {
        return "Other";
    };
    match (arn.service, arn.typed_resource()) {
        ("s3", None) => "AwsS3Bucket",
        ("iam", Some(("user", _))) => "AwsIamUser",
        ("cloudtrail", Some(("trail", _))) => "AwsCloudTrailTrail",
        _ => "Other",
    }
}

pub fn severity_label(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Low) => "LOW",
        Some(Severity::Medium) | None => "MEDIUM",
        Some(Severity::High) => "HIGH",
        Some(Severity::Critical) => "CRITICAL",
    }
}

/// One finding in the AWS Security Finding Format, as Warden imports it
/// (field names as in ASFF, so it serialises to the JSON Security Hub shows).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Asff {
    pub schema_version: &'static str,
    pub id: String,
    pub product_arn: String,
    pub product_name: &'static str,
    pub company_name: &'static str,
    pub generator_id: String,
    pub aws_account_id: String,
    pub types: Vec<&'static str>,
    pub created_at: String,
    pub updated_at: String,
    pub severity: AsffSeverity,
    pub title: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<AsffRemediation>,
    pub product_fields: BTreeMap<String, String>,
    pub resources: Vec<AsffResource>,
    pub compliance: AsffCompliance,
    pub workflow: AsffWorkflow,
    pub record_state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffSeverity {
    pub label: &'static str,
    /// Warden's own grade (`low` … `critical`).
    pub original: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffRemediation {
    pub recommendation: AsffRecommendation,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffRecommendation {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffResource {
    pub r#type: &'static str,
    pub id: String,
    pub partition: &'static str,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffCompliance {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_control_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_requirements: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffWorkflow {
    pub status: &'static str,
}

/// Cuts `text` to at most `max` characters (ASFF's length limits), on a
/// character boundary.
fn limit(mut text: String, max: usize) -> String {
    if text.chars().count() > max {
        text = text.chars().take(max.saturating_sub(3)).collect();
        text.push_str("...");
    }
    text
}

impl Asff {
    /// The finding for one record at `now` (RFC 3339).
    pub fn of(guard: &str, record: &FindingRecord<'_>, now: &str) -> Self {
        let passed = record.applied;
        let control = control(guard, record);
        let name = Arn::parse(record.resource).map_or(record.resource, |arn| arn.resource_name());
        let mut product_fields = BTreeMap::new();
        let mut field = |key: &str, value: &str| {
            product_fields.insert(format!("warden/{key}"), value.to_string());
        };
        field("guard", guard);
        field("rule", record.rule);
        field("mode", &record.mode.to_string());
        field("outcome", &record.outcome.to_string());
        match record.trigger {
            crate::outcome::Trigger::Event { .. } => {
                if let Some(id) = record.event_id {
                    field("event_id", id);
                }
                if let Some(event) = record.event_name {
                    field("event_name", event);
                }
            }
            crate::outcome::Trigger::Sweep { sweep_id } => field("sweep_id", sweep_id),
        }
        if let Some(principal) = record.principal {
            field("principal", principal);
        }
        let remediation = (!record.changes.is_empty()).then(|| {
            let actions: Vec<&str> = record.changes.iter().map(|c| c.action.as_str()).collect();
            let done = if passed {
                "made by Warden and confirmed on read-back"
            } else {
                "planned by Warden; made in remediate mode"
            };
            AsffRemediation {
                recommendation: AsffRecommendation {
                    text: limit(format!("{} ({done})", actions.join(", ")), 512),
                },
            }
        });
        Self {
            schema_version: SCHEMA_VERSION,
            id: finding_id(guard, record.rule, record.resource),
            product_arn: product_arn(record.region, record.account),
            product_name: "Warden",
            company_name: "Warden",
            generator_id: generator_id(guard, record.rule),
            aws_account_id: record.account.to_string(),
            types: types(guard, record),
            created_at: now.to_string(),
            updated_at: now.to_string(),
            severity: AsffSeverity {
                label: severity_label(record.severity),
                original: record.severity.unwrap_or(Severity::Medium).to_string(),
            },
            title: limit(format!("Warden {guard}: {} on {name}", record.rule), 256),
            description: limit(
                format!("{} (outcome: {})", record.evidence, record.outcome),
                1024,
            ),
            remediation,
            product_fields,
            resources: vec![AsffResource {
                r#type: resource_type(record.resource),
                id: record.resource.to_string(),
                partition: partition(record.region),
                region: record.region.to_string(),
            }],
            compliance: AsffCompliance {
                status: if passed { "PASSED" } else { "FAILED" },
                security_control_id: control,
                related_requirements: control.into_iter().map(str::to_string).collect(),
            },
            workflow: AsffWorkflow {
                status: if passed { "RESOLVED" } else { "NEW" },
            },
            record_state: "ACTIVE",
        }
    }

    /// The findings of one check: one per (resource, rule). Records that
    /// share one (tag-guard's findings per tag key) are merged: FAILED
    /// while any of them is not fixed, every evidence in the description,
    /// the highest severity.
    pub fn of_records(guard: &str, records: &[FindingRecord<'_>], now: &str) -> Vec<Self> {
        let mut out: Vec<(Self, Option<Severity>)> = Vec::new();
        for record in records {
            let finding = Self::of(guard, record, now);
            match out.iter_mut().find(|(f, _)| f.id == finding.id) {
                None => out.push((finding, record.severity)),
                Some((merged, severity)) => {
                    if finding.compliance.status == "FAILED" {
                        merged.compliance.status = "FAILED";
                        merged.workflow.status = "NEW";
                        merged.product_fields = finding.product_fields;
                        merged.remediation = finding.remediation.or(merged.remediation.take());
                    }
                    if record.severity > *severity {
                        *severity = record.severity;
                        merged.severity = finding.severity;
                    }
                    let text = format!("{} (outcome: {})", record.evidence, record.outcome);
                    if !merged.description.contains(&text) {
                        merged.description = limit(format!("{}; {text}", merged.description), 1024);
                    }
                }
            }
        }
        out.into_iter().map(|(f, _)| f).collect()
    }

    /// The finding as the JSON `BatchImportFindings` takes.
    pub fn to_json(&self) -> Result<Value, GuardError> {
        serde_json::to_value(self).map_err(|e| {
            GuardError::unusable(
                BATCH_IMPORT_FINDINGS,
                &self.id,
                format!("could not serialise the finding: {e}"),
            )
        })
    }
}
