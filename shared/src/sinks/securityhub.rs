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
use crate::error::GuardError;
use crate::signed::{CallError, DualStack, Service, SignedClient};
use aws_config::SdkConfig;
use serde_json::{Value, json};
use std::collections::BTreeSet;

mod asff;
pub use asff::*;

/// At most this many findings per `BatchImportFindings` call.
pub const IMPORT_BATCH: usize = 100;
/// At most this many resource ids in one `GetFindings` filter.
pub const LOOKUP_BATCH: usize = 10;
/// The fields a finding provider owns, copied from a finding Security Hub
/// returned when it is imported again: not those Security Hub sets itself
/// (`Region`, `ProcessedAt`, `FirstObservedAt`, the customer's `Note`,
/// `UserDefinedFields`, `VerificationState`, `WorkflowState`…), nor its own
/// `aws/securityhub/*` product fields (below).
const PROVIDER_FIELDS: [&str; 19] = [
    "SchemaVersion",
    "Id",
    "ProductArn",
    "ProductName",
    "CompanyName",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "UpdatedAt",
    "Severity",
    "Title",
    "Description",
    "Remediation",
    "ProductFields",
    "Resources",
    "Compliance",
    "Workflow",
    "RecordState",
];

/// What becomes of a finding Security Hub already holds, given this check:
/// archived when its resource is gone; PASSED and RESOLVED when it is
/// FAILED and its rule held on this check; `None` when nothing changes
/// (or this check's own findings already say it).
pub fn follow_up(
    existing: &Value,
    guard: &str,
    delivery: &Delivery<'_>,
    imported: &BTreeSet<String>,
    now: &str,
) -> Option<Value> {
    let id = existing["Id"].as_str()?;
    if imported.contains(id) || existing["RecordState"] != "ACTIVE" {
        return None;
    }
    let rule = existing["GeneratorId"]
        .as_str()?
        .strip_prefix(&format!("warden/{guard}/"))?;
    let resource = existing["Resources"][0]["Id"].as_str()?;
    let mut update = provider_copy(existing);
    update["UpdatedAt"] = json!(now);
    if delivery.gone.contains(&resource) {
        update["RecordState"] = json!("ARCHIVED");
        return Some(update);
    }
    let failed = existing["Compliance"]["Status"] == "FAILED";
    let held = delivery
        .passed
        .iter()
        .any(|(r, rules)| *r == resource && rules.contains(&rule));
    if !(failed && held) {
        return None;
    }
    update["Compliance"]["Status"] = json!("PASSED");
    update["Workflow"] = json!({"Status": "RESOLVED"});
    if let Some(fields) = update["ProductFields"].as_object_mut() {
        fields.insert("warden/outcome".into(), json!("compliant"));
    }
    Some(update)
}

/// The provider's fields of a finding Security Hub returned
/// ([`PROVIDER_FIELDS`]), for importing it again.
fn provider_copy(finding: &Value) -> Value {
    let mut copy = serde_json::Map::new();
    for field in PROVIDER_FIELDS {
        if let Some(value) = finding.get(field) {
            copy.insert(field.to_string(), value.clone());
        }
    }
    if let Some(Value::Object(fields)) = copy.get_mut("ProductFields") {
        fields.retain(|key, _| !key.starts_with("aws/"));
    }
    Value::Object(copy)
}

/// Security Hub as the SDK names it (endpoint variable, profile key,
/// signing name).
pub const SERVICE: Service = Service {
    name: "securityhub",
    endpoint_prefix: "securityhub",
    dual_stack: DualStack::ApiAws,
    content_sha256: false,
    service_id: "SecurityHub",
    endpoint_env: "AWS_ENDPOINT_URL_SECURITYHUB",
    profile_key: "securityhub",
};
/// `BatchImportFindings` and `GetFindings`, REST-JSON `POST`s.
pub const IMPORT_PATH: &str = "/findings/import";
pub const FINDINGS_PATH: &str = "/findings";

/// The Security Hub sink: each finding goes to the region it was found in,
/// through one signed client built at start-up ([`SignedClient`]).
#[derive(Debug)]
pub struct SecurityHub {
    client: SignedClient,
}

impl SecurityHub {
    pub fn new(aws: &SdkConfig) -> Self {
        Self {
            client: SignedClient::new(aws, SERVICE),
        }
    }

    /// The signed client, for a caller's own Security Hub calls (the tests
    /// enable Security Hub and read findings back through it).
    pub fn client(&self) -> &SignedClient {
        &self.client
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
        let mut findings: Vec<Value> = Asff::of_records(guard, delivery.records, &now)
            .iter()
            .map(Asff::to_json)
            .collect::<Result<_, _>>()?;
        let imported: BTreeSet<String> = findings
            .iter()
            .filter_map(|f| f["Id"].as_str().map(str::to_string))
            .collect();
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
                if let Some(before) = existing.iter().find(|e| e["Id"] == finding["Id"])
                    && let Some(created) = before.get("CreatedAt")
                {
                    finding["CreatedAt"] = created.clone();
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
    ) -> Result<Vec<Value>, GuardError> {
        let prefix = format!("warden/{guard}/");
        let filter =
            |value: &str, comparison: &str| json!({"Value": value, "Comparison": comparison});
        let mut found = Vec::new();
        for chunk in resources.chunks(LOOKUP_BATCH) {
            let filters = json!({
                "ProductArn": [filter(product, "EQUALS")],
                "GeneratorId": [filter(&prefix, "PREFIX")],
                "RecordState": [filter("ACTIVE", "EQUALS")],
                "ResourceId": chunk.iter().map(|r| filter(r, "EQUALS")).collect::<Vec<_>>(),
            });
            let pages = self
                .findings(region, &filters)
                .await
                .map_err(|e| GuardError::from_sdk(GET_FINDINGS, product, e))?;
            found.extend(pages.into_iter().filter(|f| {
                f["ProductArn"] == product
                    && f["GeneratorId"]
                        .as_str()
                        .is_some_and(|g| g.starts_with(&prefix))
                    && f["RecordState"] == "ACTIVE"
                    && f["Resources"].as_array().is_some_and(|resources| {
                        resources
                            .iter()
                            .any(|r| r["Id"].as_str().is_some_and(|id| chunk.contains(&id)))
                    })
            }));
        }
        Ok(found)
    }

    /// Every finding `GetFindings` returns for `filters` (`{}` for all),
    /// following its page tokens.
    pub async fn findings(&self, region: &str, filters: &Value) -> Result<Vec<Value>, CallError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut request = json!({"Filters": filters, "MaxResults": 100});
            if let Some(token) = &token {
                request["NextToken"] = json!(token);
            }
            let mut page = self
                .client
                .post_json(region, FINDINGS_PATH, &request)
                .await?;
            if let Some(findings) = page["Findings"].as_array_mut() {
                found.append(findings);
            }
            token = page["NextToken"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                return Ok(found);
            }
        }
    }

    /// `BatchImportFindings` in batches of at most [`IMPORT_BATCH`]; a
    /// finding Security Hub refuses fails the delivery, naming it.
    pub async fn import(
        &self,
        region: &str,
        product: &str,
        findings: Vec<Value>,
    ) -> Result<(), GuardError> {
        let sizes = vec![1; findings.len()];
        for range in batches(&sizes, IMPORT_BATCH, usize::MAX) {
            let batch = &findings[range];
            let count = batch.len();
            let output = self
                .client
                .post_json(region, IMPORT_PATH, &json!({"Findings": batch}))
                .await
                .map_err(|e| GuardError::from_sdk(BATCH_IMPORT_FINDINGS, product, e))?;
            let failed = output["FailedCount"].as_u64().unwrap_or(0);
            if failed > 0 {
                let first = &output["FailedFindings"][0];
                let text = |key: &str| first[key].as_str().unwrap_or_default().to_string();
                let code = Some(text("ErrorCode"))
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| "Unknown".into());
                let id = Some(text("Id"))
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| "?".into());
                let message = format!("{} (finding {id})", text("ErrorMessage"));
                return Err(entry_failure(
                    BATCH_IMPORT_FINDINGS,
                    product,
                    usize::try_from(failed).unwrap_or(count),
                    count,
                    &code,
                    &message,
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
