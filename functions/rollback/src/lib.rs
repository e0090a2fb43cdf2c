//! rollback: undoes one change Warden made, exactly, and keeps it undone
//! for a while.
//!
//! Invoked directly (`sam remote invoke RollbackFunction`, `aws lambda
//! invoke`) with one of:
//!
//! - `{"change_id": "chg-…"}`: restores the change's recorded before-state,
//!   but only if the resource still holds what Warden wrote (its recorded
//!   after-state); otherwise it refuses and shows the difference. The
//!   rollback is recorded as a change of its own (`rollback_of`), the
//!   original is marked `rolled-back` (`rolled_back_by`), and the rule is
//!   suppressed on the resource for `WARDEN_SUPPRESSION_DAYS` days (or the
//!   request's `suppress_days`), so neither the next event nor the next
//!   sweep puts the change back.
//! - `{"change_id": "chg-…", "dry_run": true}`: the same checks, and the
//!   writes it would make, without making them.
//! - `{"resource": "<arn>"}`: the resource's changes, newest first, and the
//!   suppressions in force on it.
//!
//! What "the part a rule writes" is, and the writes that restore it, are each
//! guard's own (`Guard::written` and the guards' `restore` modules); this
//! crate reads the record, compares, and keeps the books.
//!
//! Every answer is JSON with a `status`: `rolled-back`, `would-roll-back`
//! (a dry run), `refused` (with the `reason`, and the `difference` when the
//! resource changed since), `failed` (an AWS error no retry can help, or a
//! read-back that does not show the restore) or `error` (a request or a
//! setting rollback cannot work with). AWS failures a retry may help are
//! returned to the runtime as errors instead, so Lambda's retries apply.

pub mod diff;
pub mod permissions;
pub mod request;
pub mod undo;

use request::Request;
use serde_json::{Value, json};
use undo::{Guards, Undo};
use warden_shared::config::Env;
use warden_shared::state::{
    self, ChangeRecord, ChangeStatus, StateSettings, StateTable, Suppression,
};
use warden_shared::{ConfigError, GuardError, Mode, Trigger};

/// The event name a rollback's own change record carries as its trigger.
pub const TRIGGER_NAME: &str = "Rollback";

const DAY_MS: i64 = 86_400_000;

/// rollback's settings, read once at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `None` without `WARDEN_STATE_TABLE`: every request is answered with
    /// an error saying so.
    pub state: Option<StateSettings>,
    /// The stack's quarantine policy, the only policy rollback detaches.
    pub quarantine_policy_arn: Option<String>,
}

impl Settings {
    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        let state = StateSettings::from_env(env)?;
        let quarantine_policy_arn = match env.value(mfa_guard::MfaGuard::QUARANTINE_POLICY_ARN) {
            None => None,
            // mfa-guard's own check of the ARN, and nothing else of its
            // settings: rollback only ever detaches.
            Some(arn) => Some(
                mfa_guard::MfaGuard::from_env(
                    &[(mfa_guard::MfaGuard::QUARANTINE_POLICY_ARN, arn.as_str())][..],
                )?
                .quarantine_policy_arn,
            ),
        };
        Ok(Self {
            state,
            quarantine_policy_arn,
        })
    }
}

/// The function: the state table and every guard's clients, built once.
pub struct Rollback {
    state: Option<StateTable>,
    guards: Guards,
}

/// What one request came to: an answer, or an AWS failure a retry may help
/// (returned to the runtime, so Lambda retries).
pub type Answer = Result<Value, GuardError>;

fn error(reason: impl Into<String>) -> Value {
    json!({"status": "error", "reason": reason.into()})
}

/// An AWS failure: a retry may help (`Err`), or the answer says what to
/// do about it.
fn failed(err: GuardError, context: Value) -> Answer {
    if err.retryable() {
        return Err(err);
    }
    let mut answer = context;
    answer["status"] = json!("failed");
    answer["reason"] = json!(err.to_string());
    answer["remedy"] = json!(err.remedy());
    Ok(answer)
}

impl Rollback {
    pub fn new(settings: Settings, aws: &aws_config::SdkConfig) -> Self {
        Self {
            state: settings
                .state
                .map(|s| StateTable::new(warden_shared::aws::dynamodb(aws), s)),
            guards: Guards::new(aws, settings.quarantine_policy_arn),
        }
    }

    /// Answers one invocation; `invocation` (the Lambda request id) names
    /// the rollback's trigger in its own change record.
    pub async fn handle(&self, payload: Value, invocation: &str) -> Answer {
        let request = match Request::parse(&payload) {
            Ok(request) => request,
            Err(reason) => return Ok(error(reason)),
        };
        let Some(state) = &self.state else {
            return Ok(error(format!(
                "the state table is not configured ({} is unset): without it Warden keeps no change records, so there is nothing to roll back; deploy the template's WardenStateTable",
                StateSettings::TABLE
            )));
        };
        let answer = match request {
            Request::List { resource } => self.list(state, &resource).await,
            Request::Rollback {
                change_id,
                dry_run,
                suppress_days,
                reason,
            } => {
                let ask = Ask {
                    change_id: &change_id,
                    dry_run,
                    suppress_days: suppress_days.unwrap_or(state.settings().suppression_days),
                    reason: reason.as_deref(),
                    invocation,
                };
                self.roll_back(state, &ask).await
            }
        };
        if let Ok(answer) = &answer {
            tracing::info!(answer = %answer, "rollback");
        }
        answer
    }

    /// A resource's changes, newest first, and its suppressions in force.
    async fn list(&self, state: &StateTable, resource: &str) -> Answer {
        let (changes, suppressions) =
            tokio::join!(state.changes_of(resource), state.suppressions_of(resource));
        let context = json!({"resource": resource});
        let (changes, suppressions) = match (changes, suppressions) {
            (Ok(changes), Ok(suppressions)) => (changes, suppressions),
            (Err(err), _) | (_, Err(err)) => return failed(err, context),
        };
        Ok(json!({
            "resource": resource,
            "changes": changes,
            "suppressions": suppressions,
        }))
    }

    async fn roll_back(&self, state: &StateTable, ask: &Ask<'_>) -> Answer {
        let context = json!({"change_id": ask.change_id});
        let record = match state.change(ask.change_id).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                return Ok(error(format!(
                    "no change {} in the state table {}: list a resource's changes with {{\"resource\": \"<arn>\"}}",
                    ask.change_id,
                    state.settings().table
                )));
            }
            Err(err) => return failed(err, context),
        };
        let context = json!({
            "change_id": record.change_id,
            "resource": record.resource,
            "guard": record.guard,
            "rule": record.rule,
        });
        let refuse = |reason: String| {
            let mut answer = context.clone();
            answer["status"] = json!("refused");
            answer["reason"] = json!(reason);
            Ok(answer)
        };
        if let Some(why) = ineligible(&record) {
            return refuse(why);
        }
        let undo = match Undo::of(&self.guards, &record) {
            Ok(undo) => undo,
            Err(why) => return refuse(why),
        };
        if record.before == record.after {
            return refuse(
                "the change's before- and after-state are the same: it wrote nothing to restore"
                    .into(),
            );
        }
        let changes = match state.changes_of(&record.resource).await {
            Ok(changes) => changes,
            Err(err) => return failed(err, context),
        };
        // A rollback of this change that was begun and never finished (its
        // process died between the write and the books; the guard's next
        // check may have settled its record as applied meanwhile, as it
        // settles any unfinished change): finish its books first. The
        // original is still `applied`, or it would have been refused above.
        let unfinished: Vec<&ChangeRecord> = changes
            .iter()
            .filter(|c| {
                c.rollback_of.as_deref() == Some(record.change_id.as_str())
                    && matches!(c.status, ChangeStatus::Pending | ChangeStatus::Applied)
            })
            .collect();
        let now = match undo.read(&self.guards, &record.rule).await {
            Ok(Some(now)) => now,
            Ok(None) => {
                return refuse(format!(
                    "{} no longer exists: there is nothing to restore",
                    record.resource
                ));
            }
            Err(err) => return failed(err, context),
        };
        if !ask.dry_run
            && let Some(begun) = unfinished.first()
            && undo.holds(&record.before, &now)
        {
            let begun = (*begun).clone();
            return self
                .finish(state, ask, &record, &changes, &undo, begun, now, context)
                .await;
        }
        if now != record.after {
            let mut answer = context.clone();
            answer["status"] = json!("refused");
            answer["reason"] = json!(format!(
                "{} no longer holds what {} wrote: it changed since the change was made, so restoring the before-state would overwrite someone else's change; the difference is below (recorded: what Warden wrote; now: what the resource holds)",
                record.resource, record.guard
            ));
            answer["difference"] = json!(diff::difference(&record.after, &now));
            return Ok(answer);
        }
        let together = siblings(&record, &changes);
        let until = state::format_time(state::now_ms() + i64::from(ask.suppress_days) * DAY_MS);
        if ask.dry_run {
            let mut answer = context;
            answer["status"] = json!("would-roll-back");
            answer["writes"] = json!([undo.describe()]);
            answer["now"] = now;
            answer["restores"] = record.before.clone();
            answer["also_rolls_back"] = json!(ids(&together));
            answer["would_suppress"] = json!(
                std::iter::once(&record)
                    .chain(together.iter().copied())
                    .map(|r| json!({"guard": r.guard, "rule": r.rule, "resource": r.resource, "until": until}))
                    .collect::<Vec<_>>()
            );
            return Ok(answer);
        }
        // Settle what an earlier attempt left behind: it never wrote, since
        // the resource still holds Warden's after-state.
        for begun in unfinished
            .into_iter()
            .filter(|c| c.status == ChangeStatus::Pending)
        {
            let mut settled = begun.clone();
            settled.status = ChangeStatus::NotApplied;
            settled.completed_at = Some(state::format_time(state::now_ms()));
            settled.reason = Some(
                "superseded: the resource still held the change's after-state when the rollback was asked again".into(),
            );
            if let Err(err) = state.put_change(&settled).await {
                return failed(err, context);
            }
        }
        // The intent, before the write.
        let begun = ChangeRecord {
            change_id: state::new_change_id(),
            resource: record.resource.clone(),
            account: record.account.clone(),
            region: record.region.clone(),
            guard: record.guard.clone(),
            rule: record.rule.clone(),
            trigger: Trigger::Event {
                event_id: Some(ask.invocation.to_string()),
                event_name: Some(TRIGGER_NAME.to_string()),
            },
            principal: None,
            mode: Mode::Remediate,
            actions: vec![action_name(undo.call().operation)],
            before: now.clone(),
            after: record.before.clone(),
            status: ChangeStatus::Pending,
            outcome: None,
            reason: Some(ask.reason().to_string()),
            created_at: state::format_time(state::now_ms()),
            completed_at: None,
            rollback_of: Some(record.change_id.clone()),
            rolled_back_by: None,
        };
        if let Err(err) = state.put_change(&begun).await {
            return failed(err, context);
        }
        // Suppressed before the write: the write's own CloudTrail event must
        // find the rule off, or the guard would put the change straight back.
        let held = suppressions(&record, &together, &begun.change_id, ask, &until);
        for suppression in &held {
            if let Err(err) = state.suppress(suppression).await {
                return failed(err, context);
            }
        }
        if let Err(err) = undo.apply(&self.guards).await {
            lift(state, &held).await;
            let mut given_up = begun.clone();
            given_up.status = ChangeStatus::Failed;
            given_up.completed_at = Some(state::format_time(state::now_ms()));
            given_up.reason = Some(err.to_string());
            if let Err(books) = state.put_change(&given_up).await {
                tracing::error!(error = %books, change_id = %given_up.change_id, "could not record the failed rollback");
            }
            return failed(err, context);
        }
        let back = match undo.read(&self.guards, &record.rule).await {
            Ok(Some(back)) => back,
            Ok(None) => Value::Null,
            Err(err) => return failed(err, context),
        };
        if !undo.holds(&record.before, &back) {
            lift(state, &held).await;
            let mut missed = begun.clone();
            missed.status = ChangeStatus::Failed;
            missed.after = back.clone();
            missed.completed_at = Some(state::format_time(state::now_ms()));
            missed.reason = Some("the read-back does not show the before-state restored".into());
            if let Err(err) = state.put_change(&missed).await {
                return failed(err, context);
            }
            let mut answer = context;
            answer["status"] = json!("failed");
            answer["rollback_change_id"] = json!(missed.change_id);
            answer["reason"] = json!(format!(
                "{} was written, but the read-back does not show the recorded before-state: someone or something changed it at the same moment",
                undo.call().operation
            ));
            answer["difference"] = json!(diff::difference(&record.before, &back));
            return Ok(answer);
        }
        self.finish(state, ask, &record, &changes, &undo, begun, back, context)
            .await
    }

    /// The books once the before-state reads back: the suppressions, the
    /// rollback's record completed, the original (and any change made by
    /// the same write) marked rolled back.
    #[allow(clippy::too_many_arguments)]
    async fn finish(
        &self,
        state: &StateTable,
        ask: &Ask<'_>,
        record: &ChangeRecord,
        changes: &[ChangeRecord],
        undo: &Undo,
        mut done: ChangeRecord,
        back: Value,
        context: Value,
    ) -> Answer {
        let together = siblings(record, changes);
        let now = state::now_ms();
        let until = state::format_time(now + i64::from(ask.suppress_days) * DAY_MS);
        let suppressions = suppressions(record, &together, &done.change_id, ask, &until);
        for suppression in &suppressions {
            if let Err(err) = state.suppress(suppression).await {
                return failed(err, context);
            }
        }
        done.status = ChangeStatus::Applied;
        done.after = back.clone();
        done.completed_at = Some(state::format_time(now));
        if let Err(err) = state.put_change(&done).await {
            return failed(err, context);
        }
        for original in std::iter::once(record).chain(together.iter().copied()) {
            let mut undone = original.clone();
            undone.status = ChangeStatus::RolledBack;
            undone.rolled_back_by = Some(done.change_id.clone());
            if let Err(err) = state.put_change(&undone).await {
                return failed(err, context);
            }
        }
        let mut answer = context;
        answer["status"] = json!("rolled-back");
        answer["rollback_change_id"] = json!(done.change_id);
        answer["writes"] = json!([undo.describe()]);
        answer["restored"] = back;
        answer["also_rolled_back"] = json!(ids(&together));
        answer["suppressions"] = json!(suppressions);
        Ok(answer)
    }
}

/// The suppressions a rollback writes: its rule, and the rules of the
/// changes made by the same write, on the resource until `until`.
fn suppressions(
    record: &ChangeRecord,
    together: &[&ChangeRecord],
    rollback_id: &str,
    ask: &Ask<'_>,
    until: &str,
) -> Vec<Suppression> {
    std::iter::once(record)
        .chain(together.iter().copied())
        .map(|r| Suppression {
            resource: r.resource.clone(),
            guard: r.guard.clone(),
            rule: r.rule.clone(),
            until: until.to_string(),
            change_id: rollback_id.to_string(),
            reason: format!("{} (rollback of {})", ask.reason(), r.change_id),
        })
        .collect()
}

/// Ends suppressions written for a rollback that did not happen: each is
/// rewritten to end now. A failure is logged: the suppression then simply
/// runs its course.
async fn lift(state: &StateTable, held: &[Suppression]) {
    let now = state::format_time(state::now_ms());
    for suppression in held {
        let lifted = Suppression {
            until: now.clone(),
            reason: format!("{}; lifted: the rollback was not made", suppression.reason),
            ..suppression.clone()
        };
        if let Err(err) = state.suppress(&lifted).await {
            tracing::error!(error = %err, rule = %suppression.rule, resource = %suppression.resource, "could not lift the suppression of a rollback that was not made; it ends at its time");
        }
    }
}

/// One rollback request, resolved against the settings.
struct Ask<'a> {
    change_id: &'a str,
    dry_run: bool,
    suppress_days: u32,
    reason: Option<&'a str>,
    invocation: &'a str,
}

impl Ask<'_> {
    fn reason(&self) -> &str {
        self.reason.unwrap_or("rolled back on request")
    }
}

/// ` (<lead><text>)`, or nothing without a text.
fn aside(lead: &str, text: Option<&str>) -> String {
    text.map(|t| format!(" ({lead}{t})")).unwrap_or_default()
}

/// Why a change's status keeps it from being rolled back.
fn ineligible(record: &ChangeRecord) -> Option<String> {
    if let Some(original) = &record.rollback_of {
        return Some(format!(
            "{} is itself the rollback of {original}: a rollback is not rolled back; {} puts its fix back on the first event or sweep after the suppression ends",
            record.change_id, record.guard
        ));
    }
    match record.status {
        ChangeStatus::Applied => None,
        ChangeStatus::RolledBack => Some(format!(
            "{} was already rolled back{}",
            record.change_id,
            aside("by ", record.rolled_back_by.as_deref())
        )),
        ChangeStatus::Pending => Some(format!(
            "{} is still pending: its write was begun and not yet confirmed (it may be under way, or its invocation died); the next check of the resource by {} settles it, then ask again",
            record.change_id, record.guard
        )),
        ChangeStatus::WouldApply => Some(format!(
            "{} was never applied ({} mode only records what it would change): there is nothing to roll back",
            record.change_id, record.mode
        )),
        ChangeStatus::NotApplied => Some(format!(
            "{} was not applied{}: there is nothing to roll back",
            record.change_id,
            aside("", record.reason.as_deref())
        )),
        ChangeStatus::Failed => Some(format!(
            "{} failed{}: its after-state was never confirmed, so there is no known state of Warden's to roll back from",
            record.change_id,
            aside("", record.reason.as_deref())
        )),
    }
}

/// Changes made by the same write as `record`: the same guard, trigger and
/// exact before- and after-state on the same resource under another rule
/// (bucket-guard's two TLS rules merge into one policy write). Restoring
/// one restores them all, so they are rolled back and suppressed together.
fn siblings<'a>(record: &ChangeRecord, changes: &'a [ChangeRecord]) -> Vec<&'a ChangeRecord> {
    changes
        .iter()
        .filter(|c| {
            c.change_id != record.change_id
                && c.rule != record.rule
                && c.guard == record.guard
                && c.resource == record.resource
                && c.trigger == record.trigger
                && c.status == ChangeStatus::Applied
                && c.rollback_of.is_none()
                && c.before == record.before
                && c.after == record.after
        })
        .collect()
}

fn ids(records: &[&ChangeRecord]) -> Vec<String> {
    records.iter().map(|r| r.change_id.clone()).collect()
}

/// `PutBucketPolicy` → `put-bucket-policy`, as change actions are named.
pub fn action_name(operation: &str) -> String {
    let mut name = String::new();
    let mut previous: Option<char> = None;
    for c in operation.chars() {
        if c.is_ascii_uppercase() && previous.is_some_and(|p| !p.is_ascii_uppercase()) {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
        previous = Some(c);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names() {
        assert_eq!(action_name("PutBucketPolicy"), "put-bucket-policy");
        assert_eq!(action_name("DetachUserPolicy"), "detach-user-policy");
        assert_eq!(action_name("StopLogging"), "stop-logging");
    }

    #[test]
    fn settings_read_once_and_checked() {
        let none: [(&str, &str); 0] = [];
        assert_eq!(
            Settings::from_env(&none[..]),
            Ok(Settings {
                state: None,
                quarantine_policy_arn: None
            })
        );
        let err = Settings::from_env(
            &[
                ("WARDEN_STATE_TABLE", "t"),
                ("WARDEN_QUARANTINE_POLICY_ARN", "warden-quarantine"),
            ][..],
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"WARDEN_QUARANTINE_POLICY_ARN="warden-quarantine" is not valid"#),
            "{err}"
        );
        let err = Settings::from_env(
            &[
                ("WARDEN_STATE_TABLE", "t"),
                ("WARDEN_SUPPRESSION_DAYS", "a week"),
            ][..],
        )
        .unwrap_err();
        assert!(err.to_string().contains("WARDEN_SUPPRESSION_DAYS"), "{err}");
    }
}
