//! EventBridge: every finding record, with its outcome, as one event on the
//! configured bus: `Source` `warden`, `DetailType` `Warden Finding`,
//! `Detail` the [`FindingRecord`] JSON (masked evidence only, exactly what
//! SNS and the logs carry), `Resources` the resource's ARN.
//!
//! `PutEvents` is one JSON call, made through the signed client
//! ([`crate::signed`]) as Security Hub's are: EventBridge's SDK would link
//! a whole service model into every function for it.

use super::{PUT_EVENTS, batches, entry_failure};
use crate::error::GuardError;
use crate::record::FindingRecord;
use crate::signed::{Call, DualStack, Service, SignedClient};
use aws_config::SdkConfig;
use serde_json::{Value, json};

pub const SOURCE: &str = "warden";
pub const DETAIL_TYPE: &str = "Warden Finding";
/// At most this many entries per `PutEvents` call.
pub const PUT_BATCH: usize = 10;
/// At most this many bytes in one `PutEvents` call (EventBridge counts the
/// entries' source, detail type, detail, resources and time).
pub const PUT_BYTES: usize = 256 * 1024;

/// EventBridge as the SDK names it (endpoint variable, profile key,
/// signing name).
pub const SERVICE: Service = Service {
    name: "events",
    endpoint_prefix: "events",
    dual_stack: DualStack::ApiAws,
    content_sha256: false,
    service_id: "EventBridge",
    endpoint_env: "AWS_ENDPOINT_URL_EVENTBRIDGE",
    profile_key: "eventbridge",
};
/// The JSON 1.1 protocol's operation header.
pub const TARGET: &str = "AWSEvents.PutEvents";

/// The bus findings are put on.
#[derive(Debug)]
pub struct EventBus {
    client: SignedClient,
    bus: String,
    /// The bus's region: an ARN's, or the function's own for a name.
    region: String,
}

/// The size EventBridge counts for an entry: 14 bytes of time, plus source,
/// detail type, detail and every resource, in UTF-8 bytes.
pub fn entry_size(entry: &Value) -> usize {
    let text = |key: &str| entry[key].as_str().map_or(0, str::len);
    14 + text("Source")
        + text("DetailType")
        + text("Detail")
        + entry["Resources"].as_array().map_or(0, |r| {
            r.iter().filter_map(Value::as_str).map(str::len).sum()
        })
}

impl EventBus {
    /// `bus` is the bus's name or ARN (`WARDEN_EVENT_BUS`); a name is the
    /// function's region's bus.
    pub fn new(aws: &SdkConfig, bus: String) -> Self {
        let region = crate::arn::Arn::parse(&bus)
            .map(|arn| arn.region.to_string())
            .filter(|r| !r.is_empty())
            .or_else(|| aws.region().map(|r| r.as_ref().to_string()))
            .unwrap_or_default();
        Self {
            client: SignedClient::new(aws, SERVICE),
            bus,
            region,
        }
    }

    pub fn bus(&self) -> &str {
        &self.bus
    }

    /// The entry for one record, as `PutEvents` takes it (`Time` in epoch
    /// seconds, the JSON 1.1 protocol's timestamps).
    pub fn entry(&self, record: &FindingRecord<'_>) -> Result<Value, GuardError> {
        let detail = serde_json::to_string(record).map_err(|e| {
            GuardError::unusable(
                PUT_EVENTS,
                &self.bus,
                format!("could not serialise the finding: {e}"),
            )
        })?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Ok(json!({
            "Time": now,
            "Source": SOURCE,
            "DetailType": DETAIL_TYPE,
            "Detail": detail,
            "Resources": [record.resource],
            "EventBusName": self.bus,
        }))
    }

    /// Puts one event per record, at most [`PUT_BATCH`] entries and
    /// [`PUT_BYTES`] per call; an entry EventBridge refuses fails the
    /// delivery, naming the first.
    pub async fn put(&self, records: &[FindingRecord<'_>]) -> Result<(), GuardError> {
        if self.region.is_empty() {
            return Err(GuardError::unusable(
                PUT_EVENTS,
                &self.bus,
                "no region is configured for the bus (set AWS_REGION, or name the bus by its ARN)",
            ));
        }
        let entries = records
            .iter()
            .map(|record| self.entry(record))
            .collect::<Result<Vec<_>, _>>()?;
        let sizes: Vec<usize> = entries.iter().map(entry_size).collect();
        for range in batches(&sizes, PUT_BATCH, PUT_BYTES) {
            let batch = &entries[range];
            let count = batch.len();
            let body = serde_json::to_vec(&json!({ "Entries": batch })).map_err(|e| {
                GuardError::unusable(PUT_EVENTS, &self.bus, format!("could not serialise: {e}"))
            })?;
            let call = Call {
                method: "POST",
                path: "/",
                host_prefix: "",
                content_type: Some("application/x-amz-json-1.1"),
                headers: &[("x-amz-target", TARGET)],
                body: &body,
            };
            let answer = self
                .client
                .send(&self.region, &call)
                .await
                .map_err(|e| GuardError::from_sdk(PUT_EVENTS, &self.bus, e))?;
            let output: Value = serde_json::from_slice(&answer.body).map_err(|e| {
                GuardError::unusable(
                    PUT_EVENTS,
                    &self.bus,
                    format!("EventBridge's answer is not JSON ({e})"),
                )
            })?;
            let failed = output["FailedEntryCount"].as_u64().unwrap_or(0);
            if failed > 0 {
                let first = output["Entries"]
                    .as_array()
                    .and_then(|entries| entries.iter().find(|e| e["ErrorCode"].is_string()));
                let text = |key: &str| first.and_then(|e| e[key].as_str()).map(str::to_string);
                return Err(entry_failure(
                    PUT_EVENTS,
                    &self.bus,
                    usize::try_from(failed).unwrap_or(count),
                    count,
                    &text("ErrorCode").unwrap_or_else(|| "Unknown".into()),
                    &text("ErrorMessage").unwrap_or_default(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_counted_as_eventbridge_counts_it() {
        let entry = json!({
            "Time": 1796390270,
            "Source": "warden",
            "DetailType": "Warden Finding",
            "Detail": "{\"a\":1}",
            "Resources": ["arn:aws:s3:::b", "ü"],
            "EventBusName": "default"
        });
        assert_eq!(entry_size(&entry), 14 + 6 + 14 + 7 + 14 + 2);
    }

    #[test]
    fn a_bus_is_in_its_arns_region_or_the_functions() {
        let aws = SdkConfig::builder()
            .region(aws_types::region::Region::new("eu-west-1"))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        assert_eq!(EventBus::new(&aws, "default".into()).region, "eu-west-1");
        let arn = "arn:aws:events:us-east-2:123456789012:event-bus/central";
        assert_eq!(EventBus::new(&aws, arn.into()).region, "us-east-2");
    }
}
