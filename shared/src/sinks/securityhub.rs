//! Security Hub: one ASFF finding per (resource, rule) in the account's
//! default product, imported with `BatchImportFindings`.
//!
//! - `Id` is `warden/<guard>/<rule>/<resource ARN>`, stable: a re-check
//!   updates the finding, never adds a second. `GeneratorId` is
//!   `warden/<guard>/<rule>`.
//! - `Compliance.Status` is FAILED (`Workflow.Status` NEW) while the
//!   resource breaks the rule, PASSED (`Workflow.Status` RESOLVED) once a fix
//!   is confirmed on read-back, or once a later check finds the rule holds (a
//!   fix someone else made). `RecordState` becomes ARCHIVED when the
//!   resource is gone.
//! - Mapped to Security Hub controls in `Compliance.SecurityControlId` and
//!   `Compliance.RelatedRequirements` ([`control`]); tag-guard's rules have
//!   no control.
//! - Only masked evidence: the description is the finding's evidence, which
//!   the guard masks; never a reason text that could echo an AWS message.

use super::{BATCH_IMPORT_FINDINGS, Delivery, GET_FINDINGS, batches, entry_failure, now_rfc3339};
use crate::arn::{Arn, partition};
use crate::aws::Regional;
use crate::error::GuardError;
use crate::outcome::Severity;
use crate::record::FindingRecord;
use aws_config::SdkConfig;
use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, Compliance, ComplianceStatus, Partition,
    Recommendation, RecordState, Remediation, Resource, SeverityLabel, StringFilter,
    StringFilterComparison, Workflow, WorkflowStatus,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// At most this many findings per `BatchImportFindings` call.
pub const IMPORT_BATCH: usize = 100;
/// At most this many resource ids in one `GetFindings` filter.
pub const LOOKUP_BATCH: usize = 10;
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

    /// The SDK's form of the finding, for `BatchImportFindings`.
    pub fn to_sdk(&self) -> AwsSecurityFinding {
        let resources = self
            .resources
            .iter()
            .map(|r| {
                // Set in place: a `Resource` holds every ASFF resource
                // detail inline (about 30 KB), too big to move through a
                // builder chain on a small stack.
                let mut resource = Resource::builder().build();
                resource.r#type = Some(r.r#type.to_string());
                resource.id = Some(r.id.clone());
                resource.partition = Some(Partition::from(r.partition));
                resource.region = Some(r.region.clone());
                resource
            })
            .collect();
        AwsSecurityFinding::builder()
            .schema_version(self.schema_version)
            .id(&self.id)
            .product_arn(&self.product_arn)
            .product_name(self.product_name)
            .company_name(self.company_name)
            .generator_id(&self.generator_id)
            .aws_account_id(&self.aws_account_id)
            .set_types(Some(self.types.iter().map(|t| t.to_string()).collect()))
            .created_at(&self.created_at)
            .updated_at(&self.updated_at)
            .severity(
                aws_sdk_securityhub::types::Severity::builder()
                    .label(SeverityLabel::from(self.severity.label))
                    .original(&self.severity.original)
                    .build(),
            )
            .title(&self.title)
            .description(&self.description)
            .set_remediation(self.remediation.as_ref().map(|r| {
                Remediation::builder()
                    .recommendation(
                        Recommendation::builder()
                            .text(&r.recommendation.text)
                            .build(),
                    )
                    .build()
            }))
            .set_product_fields(Some(self.product_fields.clone().into_iter().collect()))
            .set_resources(Some(resources))
            .compliance(
                Compliance::builder()
                    .status(ComplianceStatus::from(self.compliance.status))
                    .set_security_control_id(
                        self.compliance.security_control_id.map(str::to_string),
                    )
                    .set_related_requirements(
                        (!self.compliance.related_requirements.is_empty())
                            .then(|| self.compliance.related_requirements.clone()),
                    )
                    .build(),
            )
            .workflow(
                Workflow::builder()
                    .status(WorkflowStatus::from(self.workflow.status))
                    .build(),
            )
            .record_state(RecordState::from(self.record_state))
            .build()
    }
}

/// What becomes of a finding Security Hub already holds, given this check:
/// archived when its resource is gone; PASSED and RESOLVED when it is
/// FAILED and its rule held on this check; `None` when nothing changes
/// (or this check's own findings already say it).
pub fn follow_up(
    existing: &AwsSecurityFinding,
    guard: &str,
    delivery: &Delivery<'_>,
    imported: &BTreeSet<String>,
    now: &str,
) -> Option<AwsSecurityFinding> {
    let id = existing.id.as_deref()?;
    if imported.contains(id) || existing.record_state != Some(RecordState::Active) {
        return None;
    }
    let rule = existing
        .generator_id
        .as_deref()?
        .strip_prefix(&format!("warden/{guard}/"))?;
    let resource = existing.resources.as_deref()?.first()?.id.as_deref()?;
    let mut update = provider_copy(existing);
    update.updated_at = Some(now.to_string());
    if delivery.gone.contains(&resource) {
        update.record_state = Some(RecordState::Archived);
        return Some(update);
    }
    let failed = existing.compliance.as_ref().and_then(|c| c.status.as_ref())
        == Some(&ComplianceStatus::Failed);
    let held = delivery
        .passed
        .iter()
        .any(|(r, rules)| *r == resource && rules.contains(&rule));
    if !(failed && held) {
        return None;
    }
    let mut compliance = existing
        .compliance
        .clone()
        .unwrap_or_else(|| Compliance::builder().build());
    compliance.status = Some(ComplianceStatus::Passed);
    update.compliance = Some(compliance);
    update.workflow = Some(Workflow::builder().status(WorkflowStatus::Resolved).build());
    if let Some(fields) = update.product_fields.as_mut() {
        fields.insert("warden/outcome".into(), "compliant".into());
    }
    Some(update)
}

/// The fields a finding provider owns, copied from a finding Security Hub
/// returned, for re-importing it: not those Security Hub sets itself
/// (`Region`, its `aws/securityhub/*` product fields, the customer's
/// `Note`, `UserDefinedFields`, `VerificationState`…).
fn provider_copy(f: &AwsSecurityFinding) -> AwsSecurityFinding {
    let product_fields = f.product_fields.as_ref().map(|fields| {
        fields
            .iter()
            .filter(|(key, _)| !key.starts_with("aws/"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    });
    AwsSecurityFinding::builder()
        .set_schema_version(f.schema_version.clone())
        .set_id(f.id.clone())
        .set_product_arn(f.product_arn.clone())
        .set_product_name(f.product_name.clone())
        .set_company_name(f.company_name.clone())
        .set_generator_id(f.generator_id.clone())
        .set_aws_account_id(f.aws_account_id.clone())
        .set_types(f.types.clone())
        .set_created_at(f.created_at.clone())
        .set_updated_at(f.updated_at.clone())
        .set_severity(f.severity.clone())
        .set_title(f.title.clone())
        .set_description(f.description.clone())
        .set_remediation(f.remediation.clone())
        .set_product_fields(product_fields)
        .set_resources(f.resources.clone())
        .set_compliance(f.compliance.clone())
        .set_workflow(f.workflow.clone())
        .set_record_state(f.record_state.clone())
        .build()
}

/// The Security Hub sink: a client per region (each finding goes to the
/// region it was found in), built on first use.
pub struct SecurityHub {
    clients: Regional<Client>,
}

impl std::fmt::Debug for SecurityHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityHub").finish_non_exhaustive()
    }
}

fn regional_client(config: &SdkConfig, region: &str) -> Client {
    let conf = aws_sdk_securityhub::config::Builder::from(config)
        .region(aws_sdk_securityhub::config::Region::new(region.to_string()))
        .build();
    Client::from_conf(conf)
}

impl SecurityHub {
    pub fn new(aws: &SdkConfig) -> Self {
        Self {
            clients: Regional::new(aws, regional_client),
        }
    }

    /// The client for `region`.
    pub fn client(&self, region: &str) -> Client {
        self.clients.client(region)
    }

    /// Imports one check's findings, and updates what this check changed
    /// about findings Security Hub already holds.
    ///
    /// A check that found nothing for a rule cannot tell, by itself, whether
    /// Security Hub holds a FAILED finding for it (a fix someone else made).
    /// Two ways to find out: import a PASSED finding for every rule that
    /// held on every resource checked (one import per check, but a finding
    /// per compliant resource and rule, each import an ingestion event Security
    /// Hub bills, on every sweep of every resource), or ask. Warden asks: one
    /// `GetFindings` per check (the resources of one event or sweep step in
    /// one filter, by resource id, generator prefix `warden/<guard>/`,
    /// product and `ACTIVE`), made only when Security Hub is on and there is
    /// something to record: a finding, a standing rule that held, or a gone
    /// resource. The same answer archives a gone resource's findings and
    /// keeps a re-checked finding's `CreatedAt`, and only the findings that
    /// change are imported. Reads are not billed, and the answer's findings give the
    /// re-import its original `CreatedAt`, title and severity. Event-only
    /// rules (a `StopLogging`) never count as held: their absence proves
    /// nothing about the resource.
    pub async fn deliver(&self, delivery: &Delivery<'_>) -> Result<(), GuardError> {
        let now = now_rfc3339();
        let guard = delivery.guard;
        let mut findings: Vec<AwsSecurityFinding> = Asff::of_records(guard, delivery.records, &now)
            .iter()
            .map(Asff::to_sdk)
            .collect();
        let imported: BTreeSet<String> = findings.iter().filter_map(|f| f.id.clone()).collect();
        // The resources this check found something on are looked up too
        // (in the same call): a re-check keeps the finding's `CreatedAt`.
        let mut lookups: Vec<&str> = delivery
            .passed
            .iter()
            .filter(|(_, rules)| !rules.is_empty())
            .map(|(resource, _)| *resource)
            .chain(delivery.gone.iter().copied())
            .chain(delivery.records.iter().map(|r| r.resource))
            .collect();
        lookups.sort_unstable();
        lookups.dedup();
        let product = product_arn(delivery.region, delivery.account);
        if !lookups.is_empty() {
            let existing = self
                .active_findings(delivery.region, &product, guard, &lookups)
                .await?;
            for finding in &mut findings {
                if let Some(before) = existing.iter().find(|e| e.id == finding.id) {
                    finding.created_at.clone_from(&before.created_at);
                }
            }
            findings.extend(
                existing
                    .iter()
                    .filter_map(|f| follow_up(f, guard, delivery, &imported, &now)),
            );
        }
        self.import(delivery.region, &product, findings).await
    }

    /// The `ACTIVE` findings of this guard on `resources` in the default
    /// product. The filter is also applied to the answer, so an emulator
    /// that ignores filters gets the same result.
    pub async fn active_findings(
        &self,
        region: &str,
        product: &str,
        guard: &str,
        resources: &[&str],
    ) -> Result<Vec<AwsSecurityFinding>, GuardError> {
        let client = self.client(region);
        let prefix = format!("warden/{guard}/");
        let filter = |value: &str, comparison: StringFilterComparison| {
            StringFilter::builder()
                .value(value)
                .comparison(comparison)
                .build()
        };
        let mut found = Vec::new();
        for chunk in resources.chunks(LOOKUP_BATCH) {
            let mut filters = AwsSecurityFindingFilters::builder()
                .product_arn(filter(product, StringFilterComparison::Equals))
                .generator_id(filter(&prefix, StringFilterComparison::Prefix))
                .record_state(filter("ACTIVE", StringFilterComparison::Equals));
            for resource in chunk {
                filters = filters.resource_id(filter(resource, StringFilterComparison::Equals));
            }
            let filters = filters.build();
            let mut token: Option<String> = None;
            loop {
                let page = client
                    .get_findings()
                    .filters(filters.clone())
                    .max_results(100)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| GuardError::from_sdk(GET_FINDINGS, product, e))?;
                found.extend(
                    page.findings()
                        .iter()
                        .filter(|f| {
                            f.product_arn.as_deref() == Some(product)
                                && f.generator_id
                                    .as_deref()
                                    .is_some_and(|g| g.starts_with(&prefix))
                                && f.record_state == Some(RecordState::Active)
                                && f.resources()
                                    .iter()
                                    .any(|r| r.id.as_deref().is_some_and(|id| chunk.contains(&id)))
                        })
                        .cloned(),
                );
                token = page
                    .next_token()
                    .filter(|t| !t.is_empty())
                    .map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// `BatchImportFindings` in batches of at most [`IMPORT_BATCH`]; a
    /// finding Security Hub refuses fails the delivery, naming it.
    pub async fn import(
        &self,
        region: &str,
        product: &str,
        findings: Vec<AwsSecurityFinding>,
    ) -> Result<(), GuardError> {
        if findings.is_empty() {
            return Ok(());
        }
        let client = self.client(region);
        let sizes = vec![1; findings.len()];
        for range in batches(&sizes, IMPORT_BATCH, usize::MAX) {
            let batch = findings[range].to_vec();
            let count = batch.len();
            let output = client
                .batch_import_findings()
                .set_findings(Some(batch))
                .send()
                .await
                .map_err(|e| GuardError::from_sdk(BATCH_IMPORT_FINDINGS, product, e))?;
            let failed = output.failed_count().unwrap_or(0);
            if failed > 0 {
                let first = output.failed_findings().first();
                let code = first
                    .and_then(|f| f.error_code.as_deref())
                    .unwrap_or("Unknown");
                let message = format!(
                    "{} (finding {})",
                    first.and_then(|f| f.error_message.as_deref()).unwrap_or(""),
                    first.and_then(|f| f.id.as_deref()).unwrap_or("?")
                );
                return Err(entry_failure(
                    BATCH_IMPORT_FINDINGS,
                    product,
                    usize::try_from(failed).unwrap_or(count),
                    count,
                    code,
                    &message,
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Mode;
    use crate::outcome::{Change, Finding, Status};
    use crate::record::Context;
    use serde_json::json;

    const BUCKET: &str = "arn:aws:s3:::data-bucket";

    /// The record of `finding` seen in observe mode.
    fn observed<'a>(
        guard: &'a str,
        finding: &'a Finding,
        context: &'a Context,
    ) -> FindingRecord<'a> {
        FindingRecord::new(
            guard,
            finding,
            context,
            Mode::Observe,
            (Status::Observed, None),
        )
    }

    fn tls_finding(applied: bool) -> Finding {
        let mut finding = Finding::new(
            "tls-required",
            BUCKET,
            "the bucket policy does not deny requests without TLS",
            vec![Change {
                action: "add-bucket-policy-statement".into(),
                before: serde_json::Value::Null,
                after: json!({"Sid": "WardenDenyInsecureTransport"}),
                change_id: None,
            }],
        )
        .with_severity(Severity::Medium);
        finding.applied = applied;
        finding
    }

    #[test]
    fn a_failed_finding_in_asff() {
        let finding = tls_finding(false);
        let context = Context::sweep("sweep-1", "123456789012", "eu-west-1");
        let record = FindingRecord::new(
            "bucket-guard",
            &finding,
            &context,
            Mode::Notify,
            (Status::Notified, None),
        );
        let asff = Asff::of("bucket-guard", &record, "2026-12-02T08:00:00.000Z");
        assert_eq!(
            serde_json::to_value(&asff).unwrap(),
            json!({
                "SchemaVersion": "2018-10-08",
                "Id": "warden/bucket-guard/tls-required/arn:aws:s3:::data-bucket",
                "ProductArn": "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default",
                "ProductName": "Warden",
                "CompanyName": "Warden",
                "GeneratorId": "warden/bucket-guard/tls-required",
                "AwsAccountId": "123456789012",
                "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
                "CreatedAt": "2026-12-02T08:00:00.000Z",
                "UpdatedAt": "2026-12-02T08:00:00.000Z",
                "Severity": {"Label": "MEDIUM", "Original": "medium"},
                "Title": "Warden bucket-guard: tls-required on data-bucket",
                "Description": "the bucket policy does not deny requests without TLS (outcome: notified)",
                "Remediation": {"Recommendation": {"Text": "add-bucket-policy-statement (planned by Warden; made in remediate mode)"}},
                "ProductFields": {
                    "warden/guard": "bucket-guard",
                    "warden/mode": "notify",
                    "warden/outcome": "notified",
                    "warden/rule": "tls-required",
                    "warden/sweep_id": "sweep-1"
                },
                "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::data-bucket", "Partition": "aws", "Region": "eu-west-1"}],
                "Compliance": {"Status": "FAILED", "SecurityControlId": "S3.5", "RelatedRequirements": ["S3.5"]},
                "Workflow": {"Status": "NEW"},
                "RecordState": "ACTIVE"
            })
        );
        let sdk = asff.to_sdk();
        assert_eq!(sdk.id.as_deref(), Some(asff.id.as_str()));
        assert_eq!(
            sdk.compliance.as_ref().and_then(|c| c.status.clone()),
            Some(ComplianceStatus::Failed)
        );
        assert_eq!(
            sdk.resources()[0].partition,
            Some(Partition::Aws),
            "{sdk:?}"
        );
    }

    #[test]
    fn a_confirmed_fix_is_passed_and_resolved() {
        let finding = tls_finding(true);
        let context = Context::sweep("sweep-1", "123456789012", "cn-north-1");
        let record = FindingRecord::new(
            "bucket-guard",
            &finding,
            &context,
            Mode::Remediate,
            (Status::Remediated, None),
        );
        let asff = Asff::of("bucket-guard", &record, "t");
        assert_eq!(asff.compliance.status, "PASSED");
        assert_eq!(asff.workflow.status, "RESOLVED");
        assert_eq!(
            asff.product_arn,
            "arn:aws-cn:securityhub:cn-north-1:123456789012:product/123456789012/default"
        );
        assert_eq!(asff.resources[0].partition, "aws-cn");
        assert_eq!(
            asff.remediation.unwrap().recommendation.text,
            "add-bucket-policy-statement (made by Warden and confirmed on read-back)"
        );
    }

    #[test]
    fn controls_types_and_resource_types() {
        let context = Context::sweep("s", "123456789012", "us-gov-west-1");
        let cases = [
            (
                "bucket-guard",
                "tls-version",
                "arn:aws:s3:::b",
                Some("S3.5"),
            ),
            (
                "bucket-guard",
                "public-access-block",
                "arn:aws:s3:::b",
                Some("S3.8"),
            ),
            (
                "bucket-guard",
                "default-encryption",
                "arn:aws:s3:::b",
                Some("S3.4"),
            ),
            (
                "mfa-guard",
                "console-mfa",
                "arn:aws:iam::123456789012:user/a",
                Some("IAM.5"),
            ),
            (
                "mfa-guard",
                "root-console-mfa",
                "arn:aws:iam::123456789012:root",
                Some("IAM.9"),
            ),
            (
                "mfa-guard",
                "quarantine-lift",
                "arn:aws:iam::123456789012:user/a",
                None,
            ),
            (
                "trail-guard",
                "trail-logging",
                "arn:aws:cloudtrail:us-east-1:123456789012:trail/t",
                Some("CloudTrail.1"),
            ),
            (
                "trail-guard",
                "multi-region",
                "arn:aws:cloudtrail:us-east-1:123456789012:trail/t",
                Some("CloudTrail.1"),
            ),
            (
                "trail-guard",
                "log-file-validation",
                "arn:aws:cloudtrail:us-east-1:123456789012:trail/t",
                Some("CloudTrail.4"),
            ),
            (
                "trail-guard",
                "log-encryption",
                "arn:aws:cloudtrail:us-east-1:123456789012:trail/t",
                Some("CloudTrail.2"),
            ),
            (
                "tag-guard",
                "sensitive-tag",
                "arn:aws:sns:us-east-1:123456789012:topic",
                None,
            ),
            (
                "tag-guard",
                "sensitive-field",
                "arn:aws:iam::123456789012:role/r",
                None,
            ),
        ];
        for (guard, rule, resource, expected) in cases {
            let finding = Finding::new(rule, resource, "seen", vec![]);
            let record = observed(guard, &finding, &context);
            assert_eq!(control(guard, &record), expected, "{guard} {rule}");
        }
        let kms = Finding::new(
            "default-encryption",
            "arn:aws:s3:::b",
            "default encryption is SSE-S3 (AES256); required: at least SSE-KMS with a customer key",
            vec![],
        );
        let record = observed("bucket-guard", &kms, &context);
        assert_eq!(control("bucket-guard", &record), Some("S3.17"));

        let mut tag = Finding::new(
            "sensitive-tag",
            "arn:aws:sns:us-east-1:1:t",
            "tag `Owner` holds email j***@e***.com",
            vec![],
        );
        tag.detectors = vec![
            "payment-card".into(),
            "email".into(),
            "aws-secret-access-key".into(),
        ];
        let record = observed("tag-guard", &tag, &context);
        assert_eq!(types("tag-guard", &record), vec![PII, FINANCIAL, PASSWORDS]);
        tag.detectors = vec![];
        let record = observed("tag-guard", &tag, &context);
        assert_eq!(types("tag-guard", &record), vec![PII]);
        let asff = Asff::of("tag-guard", &record, "t");
        assert_eq!(asff.resources[0].r#type, "Other");
        assert_eq!(asff.resources[0].partition, "aws-us-gov");
        assert!(asff.compliance.related_requirements.is_empty());
        assert_eq!(asff.compliance.security_control_id, None);

        assert_eq!(
            resource_type("arn:aws:iam::123456789012:user/ops/alice"),
            "AwsIamUser"
        );
        assert_eq!(
            resource_type("arn:aws:cloudtrail:eu-west-1:123456789012:trail/org"),
            "AwsCloudTrailTrail"
        );
        assert_eq!(resource_type("arn:aws:s3:::b"), "AwsS3Bucket");
        assert_eq!(resource_type("arn:aws:iam::123456789012:role/r"), "Other");
        assert_eq!(severity_label(None), "MEDIUM");
        assert_eq!(severity_label(Some(Severity::Critical)), "CRITICAL");
    }

    #[test]
    fn findings_on_one_resource_and_rule_are_merged() {
        let context = Context::sweep("s", "123456789012", "us-east-1");
        let mut first = Finding::new(
            "sensitive-tag",
            "arn:aws:sns:us-east-1:123456789012:t",
            "tag `Owner` holds email j***@e***.com",
            vec![],
        )
        .with_severity(Severity::Medium);
        first.applied = true;
        let second = Finding::new(
            "sensitive-tag",
            "arn:aws:sns:us-east-1:123456789012:t",
            "tag `Card` holds payment-card 4111********1111",
            vec![],
        )
        .with_severity(Severity::High);
        let records: Vec<FindingRecord<'_>> = [&first, &second]
            .into_iter()
            .map(|f| {
                FindingRecord::new(
                    "tag-guard",
                    f,
                    &context,
                    Mode::Remediate,
                    (Status::Failed, None),
                )
            })
            .collect();
        let merged = Asff::of_records("tag-guard", &records, "t");
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].compliance.status, "FAILED");
        assert_eq!(merged[0].workflow.status, "NEW");
        assert_eq!(merged[0].severity.label, "HIGH");
        assert_eq!(
            merged[0].description,
            "tag `Owner` holds email j***@e***.com (outcome: remediated); tag `Card` holds payment-card 4111********1111 (outcome: failed)"
        );
    }
}
