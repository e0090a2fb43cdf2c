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

use crate::config::{ConfigError, Env, Mode, whole};
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

mod changes;
mod claims;
mod items;
mod sweeps;

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
mod tests;
