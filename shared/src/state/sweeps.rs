//! A queued sweep's books: which shards have ended, and every run's part
//! for the one summary the last run publishes.

use super::items::{n, s, text};
use super::*;

impl StateTable {
    /// Starts the books of a queued sweep of `shards` (their labels): each
    /// shard's runs report into them, and the run that ends the last shard
    /// gets every part back, to publish one summary for the whole sweep.
    pub async fn begin_sweep(&self, sweep_id: &str, shards: &[String]) -> Result<(), GuardError> {
        let expires = (now_ms() + i64::from(self.settings.claim_days) * DAY_MS) / 1000;
        self.put(&format!("sweep#{sweep_id}"), "sweep")
            .item("shards", n(i64::try_from(shards.len()).unwrap_or(i64::MAX)))
            .item("started_at", s(&format_time(now_ms())))
            .item("expires_at", n(expires))
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(PUT, self.table(), e))?;
        Ok(())
    }

    /// Files one run's part of a queued sweep (`part`, its summary as
    /// JSON); `ended` when that run finished its shard. Answers every part
    /// of the sweep once the last shard has ended, to the one run that ended
    /// it; [`SweepBooks::Untracked`] when no books were started for it.
    pub async fn file_sweep_part(
        &self,
        sweep_id: &str,
        shard: &str,
        part: &Value,
        ended: bool,
    ) -> Result<SweepBooks, GuardError> {
        let pk = format!("sweep#{sweep_id}");
        if self.get(&pk, "sweep").await?.is_none() {
            return Ok(SweepBooks::Untracked);
        }
        let expires = (now_ms() + i64::from(self.settings.claim_days) * DAY_MS) / 1000;
        self.put(&pk, &format!("part#{shard}#{}", new_change_id()))
            .item("record", s(&part.to_string()))
            .item("expires_at", n(expires))
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(PUT, self.table(), e))?;
        if !ended {
            return Ok(SweepBooks::Open);
        }
        // A set, so that a redelivered shard counts once.
        let books = self
            .update(&pk, "sweep")
            .update_expression("ADD ended :shard")
            .expression_attribute_values(":shard", AttributeValue::Ss(vec![shard.to_string()]))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(UPDATE, self.table(), e))?;
        let attributes = books.attributes.unwrap_or_default();
        let ended = attributes
            .get("ended")
            .and_then(|v| v.as_ss().ok())
            .map_or(0, Vec::len);
        let shards = attributes
            .get("shards")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(usize::MAX);
        if ended < shards {
            return Ok(SweepBooks::Open);
        }
        // Exactly one run publishes, even if two end the last shards at once.
        let claimed = self
            .update(&pk, "sweep")
            .update_expression("SET summarised_at = :at")
            .condition_expression("attribute_not_exists(summarised_at)")
            .expression_attribute_values(":at", s(&format_time(now_ms())))
            .send()
            .await;
        match claimed {
            Ok(_) => {}
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                return Ok(SweepBooks::Open);
            }
            Err(err) => return Err(GuardError::from_sdk(UPDATE, self.table(), err)),
        }
        let parts = self
            .query_key(&pk, Some("part#"))
            .await?
            .iter()
            .filter_map(|item| text(item, "record"))
            .filter_map(|json| serde_json::from_str(&json).ok())
            .collect();
        Ok(SweepBooks::Complete(parts))
    }
}
