//! EventBridge: every finding record, with its outcome, as one event on the
//! configured bus: `Source` `warden`, `DetailType` `Warden Finding`,
//! `Detail` the [`FindingRecord`] JSON (masked evidence only, exactly what
//! SNS and the logs carry), `Resources` the resource's ARN.

use super::{PUT_EVENTS, batches, entry_failure};
use crate::error::GuardError;
use crate::record::FindingRecord;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

pub const SOURCE: &str = "warden";
pub const DETAIL_TYPE: &str = "Warden Finding";
/// At most this many entries per `PutEvents` call.
pub const PUT_BATCH: usize = 10;
/// At most this many bytes in one `PutEvents` call (EventBridge counts the
/// entries' source, detail type, detail, resources and time).
pub const PUT_BYTES: usize = 256 * 1024;

/// The bus findings are put on.
#[derive(Debug, Clone)]
pub struct EventBus {
    client: Client,
    bus: String,
}

/// The size EventBridge counts for an entry: 14 bytes of time, plus source,
/// detail type, detail and every resource, in UTF-8 bytes.
pub fn entry_size(entry: &PutEventsRequestEntry) -> usize {
    14 + entry.source().map_or(0, str::len)
        + entry.detail_type().map_or(0, str::len)
        + entry.detail().map_or(0, str::len)
        + entry.resources().iter().map(String::len).sum::<usize>()
}

impl EventBus {
    /// `bus` is the bus's name or ARN (`WARDEN_EVENT_BUS`).
    pub fn new(client: Client, bus: String) -> Self {
        Self { client, bus }
    }

    pub fn bus(&self) -> &str {
        &self.bus
    }

    /// The entry for one record.
    pub fn entry(&self, record: &FindingRecord<'_>) -> Result<PutEventsRequestEntry, GuardError> {
        let detail = serde_json::to_string(record).map_err(|e| {
            GuardError::unusable(
                PUT_EVENTS,
                &self.bus,
                format!("could not serialise the finding: {e}"),
            )
        })?;
        Ok(PutEventsRequestEntry::builder()
            .time(aws_smithy_types::DateTime::from(
                std::time::SystemTime::now(),
            ))
            .source(SOURCE)
            .detail_type(DETAIL_TYPE)
            .detail(detail)
            .resources(record.resource)
            .event_bus_name(&self.bus)
            .build())
    }

    /// Puts one event per record, at most [`PUT_BATCH`] entries and
    /// [`PUT_BYTES`] per call; an entry EventBridge refuses fails the
    /// delivery, naming the first.
    pub async fn put(&self, records: &[FindingRecord<'_>]) -> Result<(), GuardError> {
        let entries = records
            .iter()
            .map(|record| self.entry(record))
            .collect::<Result<Vec<_>, _>>()?;
        let sizes: Vec<usize> = entries.iter().map(entry_size).collect();
        for range in batches(&sizes, PUT_BATCH, PUT_BYTES) {
            let batch = entries[range].to_vec();
            let count = batch.len();
            let output = self
                .client
                .put_events()
                .set_entries(Some(batch))
                .send()
                .await
                .map_err(|e| GuardError::from_sdk(PUT_EVENTS, &self.bus, e))?;
            let failed = output.failed_entry_count();
            if failed > 0 {
                let first = output.entries().iter().find(|e| e.error_code().is_some());
                return Err(entry_failure(
                    PUT_EVENTS,
                    &self.bus,
                    usize::try_from(failed).unwrap_or(count),
                    count,
                    first.and_then(|e| e.error_code()).unwrap_or("Unknown"),
                    first.and_then(|e| e.error_message()).unwrap_or(""),
                ));
            }
        }
        Ok(())
    }
}
