//! A sweep through the sweep queue: the scheduled invocation plans one
//! message per shard; each message's shard then runs to its end or its
//! budget, sends what is left back as a continuation, and files its part
//! of the sweep, whose last part publishes the summary of the whole.

use super::{Invocation, SEND_MESSAGE, SEND_MESSAGE_BATCH, SweepFailure, Sweeper};
use crate::shard::{Shard, SweepRequest};
use crate::summary::{Summary, SweepError, SweepStatus};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use serde_json::{Value, json};
use std::time::Instant;
use tokio::sync::Semaphore;
use warden_shared::GuardError;
use warden_shared::state::SweepBooks;

impl Sweeper {
    /// The scheduled invocation: one message per shard on the sweep queue,
    /// which the function then consumes.
    pub(super) async fn plan(
        &self,
        request: SweepRequest,
        invocation: &Invocation,
    ) -> Result<Value, SweepFailure> {
        let queue = self
            .settings
            .queue_url
            .as_deref()
            .ok_or(SweepFailure::NoQueue("planning a sweep"))?;
        let sweep_id = invocation.sweep_id(&request);
        let shards = self.shards(&request, &sweep_id);
        let labels: Vec<String> = shards.iter().map(Shard::label).collect();
        if let Some(state) = &self.state {
            state.begin_sweep(&sweep_id, &labels).await?;
        }
        for (batch_index, batch) in shards.chunks(10).enumerate() {
            let entries = batch
                .iter()
                .enumerate()
                .map(|(i, shard)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(format!("shard-{}", batch_index * 10 + i))
                        .message_body(serde_json::to_string(shard).unwrap_or_default())
                        .build()
                        .map_err(|e| GuardError::unusable(SEND_MESSAGE_BATCH, queue, e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .sqs
                .send_message_batch()
                .queue_url(queue)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| GuardError::from_sdk(SEND_MESSAGE_BATCH, queue, e))?;
            if let Some(failed) = out.failed().first() {
                return Err(GuardError::Aws {
                    operation: SEND_MESSAGE_BATCH.operation,
                    resource: queue.to_string(),
                    message: format!(
                        "the queue refused {} of the sweep's shards ({}: {})",
                        out.failed().len(),
                        failed.code(),
                        failed.message().unwrap_or_default()
                    ),
                }
                .into());
            }
        }
        tracing::info!(sweep_id, shards = ?labels, "sweep planned onto the queue");
        Ok(json!({"sweep_id": sweep_id, "status": "planned", "shards": labels}))
    }

    /// An SQS batch: each message's shard runs to its end or its budget;
    /// what is left goes back to the queue as a continuation. A message is
    /// reported failed (and redelivered) only when its listing may pass on a
    /// retry or its continuation could not be sent.
    pub(super) async fn consume(
        &self,
        records: Vec<(String, Result<Shard, String>)>,
        invocation: &Invocation,
    ) -> Value {
        let permits = Semaphore::new(self.settings.concurrency);
        let runs = records.iter().map(|(id, shard)| {
            let permits = &permits;
            async move {
                let shard = match shard {
                    Ok(shard) => shard,
                    Err(why) => {
                        // Redelivering it would not make it readable.
                        tracing::error!(message_id = id, why, "not a sweep shard; dropped");
                        return (id, Ok(None));
                    }
                };
                let started = Instant::now();
                let end = self.run_shard(shard, invocation, permits).await;
                let mut summary = end.summary;
                summary.duration_ms = started.elapsed().as_millis() as u64;
                if end.retry {
                    self.log(&summary);
                    return (id, Err(()));
                }
                if let Some(cursor) = end.cursor {
                    let next = shard.resumed_at(cursor);
                    if let Err(err) = self.send(&next).await {
                        tracing::error!(message_id = id, shard = shard.label(), error = %err, "could not send the continuation; the shard will be redelivered");
                        return (id, Err(()));
                    }
                    summary.status = SweepStatus::Continued;
                    summary.continuation = serde_json::to_value(&next).ok();
                }
                match self.file(shard, &summary).await {
                    Ok(SweepBooks::Untracked) => self.report(&mut summary).await,
                    Ok(SweepBooks::Open) => self.log(&summary),
                    Ok(SweepBooks::Complete(parts)) => {
                        self.log(&summary);
                        let mut whole = Summary::new(&shard.sweep_id);
                        for part in parts {
                            match serde_json::from_value::<Summary>(part) {
                                Ok(part) => {
                                    whole.duration_ms += part.duration_ms;
                                    whole.merge(part);
                                }
                                Err(err) => whole.errors.push(SweepError::of_summary(
                                    None,
                                    format!("a shard's part could not be read back: {err}"),
                                )),
                            }
                        }
                        self.report(&mut whole).await;
                    }
                    Err(err) => {
                        // The books could not be kept: this run's part is
                        // published on its own rather than lost.
                        tracing::error!(sweep_id = summary.sweep_id, error = %err, "could not file the shard's part of the sweep");
                        self.report(&mut summary).await;
                    }
                }
                (id, Ok(Some(summary)))
            }
        });
        let results = futures::future::join_all(runs).await;
        let failures: Vec<Value> = results
            .iter()
            .filter(|(_, r)| r.is_err())
            .map(|(id, _)| json!({"itemIdentifier": id}))
            .collect();
        let summaries: Vec<Value> = results
            .into_iter()
            .filter_map(|(_, r)| r.ok().flatten())
            .filter_map(|s| serde_json::to_value(s).ok())
            .collect();
        json!({"batchItemFailures": failures, "summaries": summaries})
    }

    /// Files this run's part of a queued sweep in the state table.
    async fn file(&self, shard: &Shard, summary: &Summary) -> Result<SweepBooks, GuardError> {
        let Some(state) = &self.state else {
            return Ok(SweepBooks::Untracked);
        };
        let part = serde_json::to_value(summary).unwrap_or_default();
        let ended = summary.status != SweepStatus::Continued;
        state
            .file_sweep_part(&shard.sweep_id, &shard.label(), &part, ended)
            .await
    }

    async fn send(&self, shard: &Shard) -> Result<(), SweepFailure> {
        let queue = self
            .settings
            .queue_url
            .as_deref()
            .ok_or(SweepFailure::NoQueue("continuing a shard"))?;
        self.sqs
            .send_message()
            .queue_url(queue)
            .message_body(serde_json::to_string(shard).unwrap_or_default())
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(SEND_MESSAGE, queue, e))?;
        Ok(())
    }
}
