//! Memory between invocations: one DynamoDB table (`WARDEN_STATE_TABLE`).
//!
//! It holds four kinds of item, each found by the key the question it
//! answers asks with:
//!
//! | item | `pk` | `sk` | asked |
//! | --- | --- | --- | --- |
//! | event claim | `claim#<guard>#<eventID>` (a sweep: `claim#<guard>#sweep#<sweep id>#<arn>`) | `claim` | "was this delivery handled?" (conditional put) |
//! | change record | `resource#<arn>` | `change#<created ms, 13 digits>#<change_id>` | "what did Warden change on this resource?" (newest first) |
//! | suppression | `resource#<arn>` | `suppress#<guard>#<rule>` | "may this rule act on this resource?" |
//! | account counter | `account#<account>` | `hour#<YYYY-MM-DDTHH>` | "how many fixes this hour?" (atomic add) |
//! | sweep books | `sweep#<sweep id>` | `sweep` (shards, the set of those ended), `part#<shard>#<id>` (each run's summary) | "was that the sweep's last shard?" (atomic set add) |
//!
//! A check of one resource reads everything it needs about it (suppressions,
//! unfinished changes, recent changes for the breaker) with one query on
//! `resource#<arn>`. Change records also carry `change_id`, the key of the
//! sparse index `by-change-id`, which is how `rollback` finds one. Every item
//! has an expiry (`expires_at`, the table's TTL attribute): claims after
//! `WARDEN_CLAIM_DAYS`, change records after `WARDEN_AUDIT_DAYS`,
//! suppressions when they end.
//!
//! Nothing here ever holds a detected secret: change records keep what the
//! guard's [`crate::Guard::written`] returns, which for tags is the masked
//! value.

use crate::config::{ConfigError, Env, Mode};
use crate::error::{AwsCall, GuardError};
use crate::outcome::{Status, Trigger};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_smithy_types::date_time::{DateTime, Format};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

const GET: AwsCall = AwsCall::new("dynamodb:GetItem", "dynamodb:GetItem");
const PUT: AwsCall = AwsCall::new("dynamodb:PutItem", "dynamodb:PutItem");
const UPDATE: AwsCall = AwsCall::new("dynamodb:UpdateItem", "dynamodb:UpdateItem");
const DELETE: AwsCall = AwsCall::new("dynamodb:DeleteItem", "dynamodb:DeleteItem");
const QUERY: AwsCall = AwsCall::new("dynamodb:Query", "dynamodb:Query");

/// Every call the state table makes: the template grants each function
/// these on the table and its indexes, and nothing else of DynamoDB.
pub const CALLS: [AwsCall; 5] = [GET, PUT, UPDATE, DELETE, QUERY];

/// The index on `change_id`.
pub const CHANGE_INDEX: &str = "by-change-id";

/// A claim still `in-progress` after this long belongs to an invocation
/// that died (the functions time out after 30 s): the next delivery takes
/// it over instead of waiting for it.
const STALE_CLAIM_MS: i64 = 60_000;

const DAY_MS: i64 = 86_400_000;

/// The state table's settings. Absent (`WARDEN_STATE_TABLE` unset) means
/// no memory at all: every function works as it does without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSettings {
    pub table: String,
    /// How long a handled event is remembered (a later duplicate is skipped).
    pub claim_days: u32,
    /// How long a rollback keeps its rule off the resource.
    pub suppression_days: u32,
    /// More than this many changes by one rule on one resource within the
    /// window means something is undoing them: the next is only notified.
    pub breaker_changes: u32,
    pub breaker_window_minutes: u32,
    /// Fixes one account may get in an hour before the rest of the hour is
    /// notify-only; 0 is no limit.
    pub account_changes_per_hour: u32,
    /// How long change records are kept.
    pub audit_days: u32,
}

impl StateSettings {
    pub const TABLE: &'static str = "WARDEN_STATE_TABLE";
    pub const CLAIM_DAYS: &'static str = "WARDEN_CLAIM_DAYS";
    pub const SUPPRESSION_DAYS: &'static str = "WARDEN_SUPPRESSION_DAYS";
    pub const BREAKER_CHANGES: &'static str = "WARDEN_BREAKER_CHANGES";
    pub const BREAKER_WINDOW_MINUTES: &'static str = "WARDEN_BREAKER_WINDOW_MINUTES";
    pub const ACCOUNT_CHANGES_PER_HOUR: &'static str = "WARDEN_ACCOUNT_CHANGES_PER_HOUR";
    pub const AUDIT_DAYS: &'static str = "WARDEN_AUDIT_DAYS";

    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Option<Self>, ConfigError> {
        let Some(table) = env.value(Self::TABLE) else {
            return Ok(None);
        };
        Ok(Some(Self {
            table,
            claim_days: whole(env, Self::CLAIM_DAYS, 7, 1..=365)?,
            suppression_days: whole(env, Self::SUPPRESSION_DAYS, 7, 1..=365)?,
            breaker_changes: whole(env, Self::BREAKER_CHANGES, 3, 1..=1000)?,
            breaker_window_minutes: whole(env, Self::BREAKER_WINDOW_MINUTES, 60, 1..=10_080)?,
            account_changes_per_hour: whole(env, Self::ACCOUNT_CHANGES_PER_HOUR, 100, 0..=100_000)?,
            audit_days: whole(env, Self::AUDIT_DAYS, 365, 1..=3653)?,
        }))
    }
}

/// A whole number setting within `range`, or `default` when unset.
fn whole(
    env: &(impl Env + ?Sized),
    var: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    let Some(value) = env.value(var) else {
        return Ok(default);
    };
    value
        .parse::<u32>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| ConfigError::Invalid {
            var,
            value,
            allowed: format!("a whole number from {} to {}", range.start(), range.end()),
        })
}

/// What became of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ChangeStatus {
    /// Written before the write: the write may or may not have happened
    /// (the next check of the resource settles it).
    Pending,
    /// Made and confirmed by the read-back.
    Applied,
    /// Not made (the resource changed first, or the intent was never
    /// carried out).
    NotApplied,
    /// Made, or attempted, and not confirmed by the read-back.
    Failed,
    /// What `observe` or `notify` mode (or a held-back fix) would have
    /// changed.
    WouldApply,
    /// Undone by `rollback` (see `rolled_back_by`).
    RolledBack,
}

/// One change Warden made or would have made, with the exact state before
/// and after of what it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRecord {
    pub change_id: String,
    pub resource: String,
    pub account: String,
    pub region: String,
    pub guard: String,
    pub rule: String,
    pub trigger: Trigger,
    pub principal: Option<String>,
    pub mode: Mode,
    /// The finding's change actions (`put-bucket-encryption`).
    pub actions: Vec<String>,
    /// What the rule's fix writes, as read before it (`Guard::written`).
    pub before: Value,
    /// The same, as read back after the write; for a change not made, the
    /// planned changes.
    pub after: Value,
    pub status: ChangeStatus,
    /// The status of the check the change belongs to.
    pub outcome: Option<Status>,
    pub reason: Option<String>,
    /// RFC 3339, UTC, milliseconds.
    pub created_at: String,
    pub completed_at: Option<String>,
    /// On the record of a rollback: the change it undid.
    pub rollback_of: Option<String>,
    /// On a change that was undone: the rollback's own change id.
    pub rolled_back_by: Option<String>,
}

impl ChangeRecord {
    /// When the record was created, in milliseconds since the epoch.
    pub fn created_ms(&self) -> i64 {
        parse_time(&self.created_at).unwrap_or(0)
    }
}

/// A rule switched off on one resource until a time, by a rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub resource: String,
    pub guard: String,
    pub rule: String,
    /// RFC 3339, UTC.
    pub until: String,
    /// The rollback that asked for it.
    pub change_id: String,
    pub reason: String,
}

impl Suppression {
    pub fn in_force(&self, now_ms: i64) -> bool {
        parse_time(&self.until).is_some_and(|until| until > now_ms)
    }
}

/// What the table knows about one resource that a check needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memory {
    /// Suppressions in force.
    pub suppressions: Vec<Suppression>,
    /// Changes whose write was begun and never completed.
    pub pending: Vec<ChangeRecord>,
    /// Changes made within the breaker's window, newest first.
    pub recent: Vec<ChangeRecord>,
}

/// Where a queued sweep's books stand after a run filed its part.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepBooks {
    /// Shards are still running (or another run publishes the summary).
    Open,
    /// This run ended the last shard: every run's part, to merge and
    /// publish once.
    Complete(Vec<Value>),
    /// No books for this sweep (planned without a state table, or expired):
    /// each run reports its own part.
    Untracked,
}

/// The answer to a claim on a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours: handle it, then [`StateTable::finish`] (or
    /// [`StateTable::release`] on a failure Lambda will retry).
    Taken,
    /// Handled before, at this time, to this status.
    Handled { at: String, status: String },
    /// Another invocation is handling it now (since this time).
    Busy { since: String },
}

/// The state table, with its client built once at start-up.
#[derive(Debug, Clone)]
pub struct StateTable {
    client: Client,
    settings: StateSettings,
}

impl StateTable {
    pub fn new(client: Client, settings: StateSettings) -> Self {
        Self { client, settings }
    }

    pub fn settings(&self) -> &StateSettings {
        &self.settings
    }

    fn table(&self) -> &str {
        &self.settings.table
    }

    /// Claims a delivery (`key` from [`claim_key`]) with a conditional
    /// write: it succeeds only for the first delivery, or over a claim that
    /// expired or was left by an invocation that died.
    pub async fn claim(&self, key: &str) -> Result<Claim, GuardError> {
        let now = now_ms();
        let expires = (now + i64::from(self.settings.claim_days) * DAY_MS) / 1000;
        let put = self
            .client
            .put_item()
            .table_name(self.table())
            .item("pk", s(key))
            .item("sk", s("claim"))
            .item("state", s("in-progress"))
            .item("claimed_at", s(&format_time(now)))
            .item("claimed_ms", n(now))
            .item("expires_at", n(expires))
            .condition_expression(
                "attribute_not_exists(pk) OR expires_at < :now_s \
                 OR (#state = :progress AND claimed_ms < :stale)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now_s", n(now / 1000))
            .expression_attribute_values(":progress", s("in-progress"))
            .expression_attribute_values(":stale", n(now - STALE_CLAIM_MS))
            .send()
            .await;
        match put {
            Ok(_) => Ok(Claim::Taken),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                let item = self.get(key, "claim").await?.unwrap_or_default();
                let text = |name: &str| {
                    item.get(name)
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                };
                Ok(if text("state") == "handled" {
                    Claim::Handled {
                        at: text("handled_at"),
                        status: text("status"),
                    }
                } else {
                    Claim::Busy {
                        since: text("claimed_at"),
                    }
                })
            }
            Err(err) => Err(GuardError::from_sdk(PUT, self.table(), err)),
        }
    }

    /// Marks a claimed delivery handled, to `status`.
    pub async fn finish(&self, key: &str, status: Status) -> Result<(), GuardError> {
        self.client
            .update_item()
            .table_name(self.table())
            .key("pk", s(key))
            .key("sk", s("claim"))
            .update_expression("SET #state = :handled, handled_at = :at, #status = :status")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":handled", s("handled"))
            .expression_attribute_values(":at", s(&format_time(now_ms())))
            .expression_attribute_values(":status", s(&status.to_string()))
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(UPDATE, self.table(), e))?;
        Ok(())
    }

    /// Gives a claim up, so Lambda's retry of the same delivery is handled.
    pub async fn release(&self, key: &str) -> Result<(), GuardError> {
        self.client
            .delete_item()
            .table_name(self.table())
            .key("pk", s(key))
            .key("sk", s("claim"))
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(DELETE, self.table(), e))?;
        Ok(())
    }

    /// Creates or replaces a change record.
    pub async fn put_change(&self, record: &ChangeRecord) -> Result<(), GuardError> {
        let json = serde_json::to_string(record).map_err(|e| GuardError::Refused {
            operation: PUT.operation,
            resource: self.table().to_string(),
            message: format!("could not serialise change {}: {e}", record.change_id),
        })?;
        let expires = (record.created_ms() + i64::from(self.settings.audit_days) * DAY_MS) / 1000;
        self.client
            .put_item()
            .table_name(self.table())
            .item("pk", s(&resource_key(&record.resource)))
            .item("sk", s(&change_sort_key(record)))
            .item("change_id", s(&record.change_id))
            .item("guard", s(&record.guard))
            .item("rule", s(&record.rule))
            .item("status", s(&record.status.to_string()))
            .item("created_ms", n(record.created_ms()))
            .item("record", s(&json))
            .item("expires_at", n(expires))
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(PUT, &record.resource, e))?;
        Ok(())
    }

    /// The change recorded under `change_id`, as last written.
    pub async fn change(&self, change_id: &str) -> Result<Option<ChangeRecord>, GuardError> {
        let found = self
            .client
            .query()
            .table_name(self.table())
            .index_name(CHANGE_INDEX)
            .key_condition_expression("change_id = :id")
            .expression_attribute_values(":id", s(change_id))
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(QUERY, self.table(), e))?;
        let Some(keys) = found.items().first() else {
            return Ok(None);
        };
        // The index is eventually consistent: read the record itself.
        let (Some(pk), Some(sk)) = (text(keys, "pk"), text(keys, "sk")) else {
            return Ok(None);
        };
        match self.get(&pk, &sk).await? {
            Some(item) => decode(&item, self.table()).map(Some),
            None => Ok(None),
        }
    }

    /// Every change recorded on `resource`, newest first.
    pub async fn changes_of(&self, resource: &str) -> Result<Vec<ChangeRecord>, GuardError> {
        let items = self.query_resource(resource, Some("change#"), None).await?;
        let mut records = items
            .iter()
            .map(|item| decode(item, self.table()))
            .collect::<Result<Vec<ChangeRecord>, _>>()?;
        records.sort_by_key(|r| std::cmp::Reverse(r.created_ms()));
        Ok(records)
    }

    /// The suppressions in force on `resource`.
    pub async fn suppressions_of(&self, resource: &str) -> Result<Vec<Suppression>, GuardError> {
        let now = now_ms();
        let items = self
            .query_resource(resource, Some("suppress#"), None)
            .await?;
        let mut suppressions = Vec::new();
        for item in &items {
            let suppression: Suppression = decode(item, self.table())?;
            if suppression.in_force(now) {
                suppressions.push(suppression);
            }
        }
        Ok(suppressions)
    }

    /// Switches `rule` off on `resource` until the suppression's end.
    pub async fn suppress(&self, suppression: &Suppression) -> Result<(), GuardError> {
        let json = serde_json::to_string(suppression).map_err(|e| GuardError::Refused {
            operation: PUT.operation,
            resource: self.table().to_string(),
            message: format!("could not serialise the suppression: {e}"),
        })?;
        let until = parse_time(&suppression.until).ok_or_else(|| GuardError::Refused {
            operation: PUT.operation,
            resource: suppression.resource.clone(),
            message: format!("`{}` is not an RFC 3339 time", suppression.until),
        })?;
        self.client
            .put_item()
            .table_name(self.table())
            .item("pk", s(&resource_key(&suppression.resource)))
            .item(
                "sk",
                s(&format!(
                    "suppress#{}#{}",
                    suppression.guard, suppression.rule
                )),
            )
            .item("record", s(&json))
            .item("expires_at", n(until / 1000))
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(PUT, &suppression.resource, e))?;
        Ok(())
    }

    /// What a check of `resource` needs to know, in one query: suppressions
    /// in force, changes never completed, and changes since `since_ms`.
    pub async fn memory(&self, resource: &str, since_ms: i64) -> Result<Memory, GuardError> {
        let items = self.query_resource(resource, None, Some(since_ms)).await?;
        let now = now_ms();
        let mut memory = Memory::default();
        for item in &items {
            let sk = text(item, "sk").unwrap_or_default();
            if sk.starts_with("suppress#") {
                let suppression: Suppression = decode(item, self.table())?;
                if suppression.in_force(now) {
                    memory.suppressions.push(suppression);
                }
            } else if sk.starts_with("change#") {
                let record: ChangeRecord = decode(item, self.table())?;
                if record.status == ChangeStatus::Pending {
                    memory.pending.push(record);
                } else if record.created_ms() >= since_ms {
                    memory.recent.push(record);
                }
            }
        }
        memory
            .recent
            .sort_by_key(|r| std::cmp::Reverse(r.created_ms()));
        Ok(memory)
    }

    /// Counts one more fix for `account` this hour; answers the count so far.
    pub async fn tally(&self, account: &str) -> Result<u64, GuardError> {
        let now = now_ms();
        let hour = format_time(now).get(..13).unwrap_or_default().to_string();
        let expires = (now + 2 * DAY_MS) / 1000;
        let out = self
            .client
            .update_item()
            .table_name(self.table())
            .key("pk", s(&format!("account#{account}")))
            .key("sk", s(&format!("hour#{hour}")))
            .update_expression("ADD changes :one SET expires_at = :expires")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":expires", n(expires))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(UPDATE, self.table(), e))?;
        Ok(out
            .attributes()
            .and_then(|a| a.get("changes"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Starts the books of a queued sweep of `shards` (their labels): each
    /// shard's runs report into them, and the run that ends the last shard
    /// gets every part back, to publish one summary for the whole sweep.
    pub async fn begin_sweep(&self, sweep_id: &str, shards: &[String]) -> Result<(), GuardError> {
        let expires = (now_ms() + i64::from(self.settings.claim_days) * DAY_MS) / 1000;
        self.client
            .put_item()
            .table_name(self.table())
            .item("pk", s(&format!("sweep#{sweep_id}")))
            .item("sk", s("sweep"))
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
        self.client
            .put_item()
            .table_name(self.table())
            .item("pk", s(&pk))
            .item("sk", s(&format!("part#{shard}#{}", new_change_id())))
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
            .client
            .update_item()
            .table_name(self.table())
            .key("pk", s(&pk))
            .key("sk", s("sweep"))
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
            .client
            .update_item()
            .table_name(self.table())
            .key("pk", s(&pk))
            .key("sk", s("sweep"))
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

    async fn get(
        &self,
        pk: &str,
        sk: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, GuardError> {
        let out = self
            .client
            .get_item()
            .table_name(self.table())
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(GET, self.table(), e))?;
        Ok(out.item)
    }

    /// Every item under `resource#<arn>`: with `prefix`, those whose sort
    /// key starts with it; with `since_ms`, only suppressions, pending
    /// changes and changes since then (the rest of the history stays on the
    /// server).
    async fn query_resource(
        &self,
        resource: &str,
        prefix: Option<&str>,
        since_ms: Option<i64>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, GuardError> {
        self.query(&resource_key(resource), prefix, since_ms).await
    }

    /// Every item under `pk` whose sort key starts with `prefix`.
    async fn query_key(
        &self,
        pk: &str,
        prefix: Option<&str>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, GuardError> {
        self.query(pk, prefix, None).await
    }

    async fn query(
        &self,
        pk: &str,
        prefix: Option<&str>,
        since_ms: Option<i64>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, GuardError> {
        let mut items = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(self.table())
                .consistent_read(true)
                .expression_attribute_values(":pk", s(pk))
                .set_exclusive_start_key(start.take());
            query = match prefix {
                Some(prefix) => query
                    .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .expression_attribute_values(":prefix", s(prefix)),
                None => query.key_condition_expression("pk = :pk"),
            };
            if let Some(since) = since_ms {
                query = query
                    .filter_expression(
                        "begins_with(sk, :suppress) OR #status = :pending OR created_ms >= :since",
                    )
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":suppress", s("suppress#"))
                    .expression_attribute_values(":pending", s("pending"))
                    .expression_attribute_values(":since", n(since));
            }
            let out = query
                .send()
                .await
                .map_err(|e| GuardError::from_sdk(QUERY, pk, e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(items)
    }
}

/// The claim key of one delivery to one guard: each guard that receives an
/// event claims it for itself.
pub fn claim_key(guard: &str, trigger: &Trigger, resource: Option<&str>) -> Option<String> {
    match trigger {
        Trigger::Event {
            event_id: Some(id), ..
        } => Some(format!("claim#{guard}#{id}")),
        Trigger::Event { event_id: None, .. } => None,
        Trigger::Sweep { sweep_id } => {
            resource.map(|arn| format!("claim#{guard}#sweep#{sweep_id}#{arn}"))
        }
    }
}

fn resource_key(arn: &str) -> String {
    format!("resource#{arn}")
}

fn change_sort_key(record: &ChangeRecord) -> String {
    format!("change#{:013}#{}", record.created_ms(), record.change_id)
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn text(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

/// The JSON an item keeps in `record`.
fn decode<T: serde::de::DeserializeOwned>(
    item: &HashMap<String, AttributeValue>,
    table: &str,
) -> Result<T, GuardError> {
    let unreadable = |why: String| GuardError::Refused {
        operation: QUERY.operation,
        resource: table.to_string(),
        message: format!(
            "item {} / {} is not one Warden can read ({why}); was it written by hand?",
            text(item, "pk").unwrap_or_default(),
            text(item, "sk").unwrap_or_default()
        ),
    };
    let json = text(item, "record").ok_or_else(|| unreadable("no `record` attribute".into()))?;
    serde_json::from_str(&json).map_err(|e| unreadable(e.to_string()))
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// RFC 3339 in UTC with milliseconds: `2026-12-02T08:15:00.123Z`.
pub fn format_time(ms: i64) -> String {
    let time = DateTime::from_millis(ms);
    let seconds = DateTime::from_secs(time.secs())
        .fmt(Format::DateTime)
        .unwrap_or_default();
    let whole = seconds.trim_end_matches('Z');
    format!("{whole}.{:03}Z", ms.rem_euclid(1000))
}

/// Milliseconds since the epoch of an RFC 3339 time.
pub fn parse_time(text: &str) -> Option<i64> {
    let time = DateTime::from_str(text, Format::DateTime).ok()?;
    time.to_millis().ok()
}

/// A new change id: `chg-` and 24 hex digits, from the clock and the
/// process's random hash keys (no two in one sandbox alike).
pub fn new_change_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(count);
    hasher.write_i64(now_ms());
    hasher.write_u32(std::process::id());
    let random = hasher.finish();
    format!("chg-{:08x}{random:016x}", (now_ms() / 1000) & 0xffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_with_milliseconds() {
        let ms = 1_796_000_000_123;
        let text = format_time(ms);
        assert_eq!(text, "2026-11-30T00:53:20.123Z");
        assert_eq!(parse_time(&text), Some(ms));
        assert_eq!(parse_time("2026-12-01T10:00:00Z"), Some(1_796_119_200_000));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn change_ids_differ() {
        let a = new_change_id();
        let b = new_change_id();
        assert_ne!(a, b);
        assert!(a.starts_with("chg-") && a.len() == 28, "{a}");
    }

    #[test]
    fn claim_keys_are_per_guard_and_per_sweep_resource() {
        let event = Trigger::Event {
            event_id: Some("e-1".into()),
            event_name: Some("PutBucketPolicy".into()),
        };
        assert_eq!(
            claim_key("bucket-guard", &event, None).as_deref(),
            Some("claim#bucket-guard#e-1")
        );
        let sweep = Trigger::Sweep {
            sweep_id: "s-1".into(),
        };
        assert_eq!(
            claim_key("bucket-guard", &sweep, Some("arn:aws:s3:::b")).as_deref(),
            Some("claim#bucket-guard#sweep#s-1#arn:aws:s3:::b")
        );
        let unknown = Trigger::Event {
            event_id: None,
            event_name: None,
        };
        assert_eq!(claim_key("bucket-guard", &unknown, None), None);
    }

    #[test]
    fn settings_default_and_refuse_nonsense() {
        let none: [(&str, &str); 0] = [];
        assert_eq!(StateSettings::from_env(&none[..]), Ok(None));
        let settings = StateSettings::from_env(&[("WARDEN_STATE_TABLE", "warden-state")][..])
            .unwrap()
            .unwrap();
        assert_eq!(
            settings,
            StateSettings {
                table: "warden-state".into(),
                claim_days: 7,
                suppression_days: 7,
                breaker_changes: 3,
                breaker_window_minutes: 60,
                account_changes_per_hour: 100,
                audit_days: 365,
            }
        );
        let err = StateSettings::from_env(
            &[
                ("WARDEN_STATE_TABLE", "t"),
                ("WARDEN_BREAKER_CHANGES", "three"),
            ][..],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"WARDEN_BREAKER_CHANGES="three" is not valid: use a whole number from 1 to 1000"#
        );
    }
}
