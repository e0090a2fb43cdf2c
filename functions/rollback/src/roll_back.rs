//! One rollback, start to end: the checks that may refuse it, the write and
//! its read-back, and the books (the rollback's own change record, the
//! originals marked rolled back, the suppressions that keep them so).

use crate::undo::Undo;
use crate::{Answer, Ask, Rollback, TRIGGER_NAME, action_name, diff, error, failed};
use serde_json::{Value, json};
use warden_shared::state::{self, ChangeRecord, ChangeStatus, StateTable, Suppression};
use warden_shared::{GuardError, Mode, Trigger};

impl Rollback {
    pub(crate) async fn roll_back(&self, state: &StateTable, ask: &Ask<'_>) -> Answer {
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
        if let Some(why) = ineligible(&record) {
            return Ok(refused(&context, why));
        }
        let undo = match Undo::of(&self.guards, &record) {
            Ok(undo) => undo,
            Err(why) => return Ok(refused(&context, why)),
        };
        if record.before == record.after {
            return Ok(refused(
                &context,
                "the change's before- and after-state are the same: it wrote nothing to restore"
                    .into(),
            ));
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
                return Ok(refused(
                    &context,
                    format!(
                        "{} no longer exists: there is nothing to restore",
                        record.resource
                    ),
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
            let mut answer = refused(
                &context,
                format!(
                    "{} no longer holds what {} wrote: it changed since the change was made, so restoring the before-state would overwrite someone else's change; the difference is below (recorded: what Warden wrote; now: what the resource holds)",
                    record.resource, record.guard
                ),
            );
            answer["difference"] = json!(diff::difference(&record.after, &now));
            return Ok(answer);
        }
        let together = siblings(&record, &changes);
        let until = ask.until(state::now_ms());
        if ask.dry_run {
            let mut answer = context;
            answer["status"] = json!("would-roll-back");
            answer["writes"] = json!([undo.describe()]);
            answer["now"] = now;
            answer["restores"] = record.before.clone();
            answer["also_rolls_back"] = json!(ids(&together));
            answer["would_suppress"] = json!(
                with_siblings(&record, &together)
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
            let settled = ended(
                begun,
                ChangeStatus::NotApplied,
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
        if let Err(err) = suppress_all(state, &held).await {
            return failed(err, context);
        }
        if let Err(err) = undo.apply(&self.guards).await {
            lift(state, &held).await;
            let given_up = ended(&begun, ChangeStatus::Failed, err.to_string());
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
            let missed = ChangeRecord {
                after: back.clone(),
                ..ended(
                    &begun,
                    ChangeStatus::Failed,
                    "the read-back does not show the before-state restored".into(),
                )
            };
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
        let suppressions = suppressions(record, &together, &done.change_id, ask, &ask.until(now));
        if let Err(err) = suppress_all(state, &suppressions).await {
            return failed(err, context);
        }
        done.status = ChangeStatus::Applied;
        done.after = back.clone();
        done.completed_at = Some(state::format_time(now));
        if let Err(err) = state.put_change(&done).await {
            return failed(err, context);
        }
        for original in with_siblings(record, &together) {
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

/// The answer that refuses the rollback of the change `context` names.
fn refused(context: &Value, reason: String) -> Value {
    let mut answer = context.clone();
    answer["status"] = json!("refused");
    answer["reason"] = json!(reason);
    answer
}

/// `record` as it ends now, with `status`, for `reason`.
fn ended(record: &ChangeRecord, status: ChangeStatus, reason: String) -> ChangeRecord {
    ChangeRecord {
        status,
        completed_at: Some(state::format_time(state::now_ms())),
        reason: Some(reason),
        ..record.clone()
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
    with_siblings(record, together)
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

/// Writes `suppressions` in order, stopping at the first failure.
async fn suppress_all(state: &StateTable, suppressions: &[Suppression]) -> Result<(), GuardError> {
    for suppression in suppressions {
        state.suppress(suppression).await?;
    }
    Ok(())
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

/// ` (<lead><text>)`, or nothing without a text.
fn aside(lead: &str, text: Option<&str>) -> String {
    text.map(|t| format!(" ({lead}{t})")).unwrap_or_default()
}

/// Why a change's status keeps it from being rolled back.
fn ineligible(record: &ChangeRecord) -> Option<String> {
    let why = if let Some(original) = &record.rollback_of {
        format!(
            "is itself the rollback of {original}: a rollback is not rolled back; {} puts its fix back on the first event or sweep after the suppression ends",
            record.guard
        )
    } else {
        match record.status {
            ChangeStatus::Applied => return None,
            ChangeStatus::RolledBack => format!(
                "was already rolled back{}",
                aside("by ", record.rolled_back_by.as_deref())
            ),
            ChangeStatus::Pending => format!(
                "is still pending: its write was begun and not yet confirmed (it may be under way, or its invocation died); the next check of the resource by {} settles it, then ask again",
                record.guard
            ),
            ChangeStatus::WouldApply => format!(
                "was never applied ({} mode only records what it would change): there is nothing to roll back",
                record.mode
            ),
            ChangeStatus::NotApplied => format!(
                "was not applied{}: there is nothing to roll back",
                aside("", record.reason.as_deref())
            ),
            ChangeStatus::Failed => format!(
                "failed{}: its after-state was never confirmed, so there is no known state of Warden's to roll back from",
                aside("", record.reason.as_deref())
            ),
        }
    };
    Some(format!("{} {why}", record.change_id))
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

/// `record` first, then the changes made by the same write.
fn with_siblings<'a>(
    record: &'a ChangeRecord,
    together: &'a [&'a ChangeRecord],
) -> impl Iterator<Item = &'a ChangeRecord> {
    std::iter::once(record).chain(together.iter().copied())
}

fn ids(records: &[&ChangeRecord]) -> Vec<String> {
    records.iter().map(|r| r.change_id.clone()).collect()
}
