//! The pipeline's memory (the state table): each delivery claimed once,
//! every change recorded (intent before the write, result after the
//! read-back), unfinished intents settled, fixes held back by the circuit
//! breakers and for CloudFormation's changes, and `ChangeToFixMs`.

use super::{Pipeline, into_findings};
use crate::config::{IacChanges, Mode};
use crate::error::GuardError;
use crate::guard::Guard;
use crate::outcome::{Checked, Finding, Outcome, Status};
use crate::record::Context;
use crate::rule::Planned;
use crate::state::{ChangeRecord, ChangeStatus, Claim, Memory, StateTable};
use serde_json::Value;

impl<G: Guard> Pipeline<G> {
    /// Claims this delivery in the state table before anything is done
    /// about it. `Ok(Ok(key))` to go on (`None` without a table); `Ok(Err)`
    /// is the outcome of a delivery handled before. A delivery another
    /// invocation is handling right now is an error, so Lambda retries it
    /// later rather than drop it.
    pub(super) async fn claim(
        &self,
        context: &Context,
        resource: Option<&str>,
    ) -> Result<Result<Option<String>, Outcome>, GuardError> {
        let Some(state) = &self.state else {
            return Ok(Ok(None));
        };
        let Some(key) = crate::state::claim_key(G::NAME, &context.trigger, resource) else {
            return Ok(Ok(None));
        };
        match state.claim(&key).await? {
            Claim::Taken => Ok(Ok(Some(key))),
            Claim::Handled { at, status } => Ok(Err(Outcome::bare(
                G::NAME,
                context.trigger.clone(),
                Status::Skipped,
                Some(format!("already handled at {at} ({status})")),
            ))),
            Claim::Busy { since } => Err(GuardError::Aws {
                operation: "claim",
                resource: resource.unwrap_or(&key).to_string(),
                message: format!(
                    "another invocation has been handling this delivery since {since}; Lambda will retry it"
                ),
            }),
        }
    }

    /// Runs `work` under a claim: marks the claim handled with the outcome,
    /// or gives it up on an error so that Lambda's retry is handled.
    pub(super) async fn settle(
        &self,
        claim: Option<String>,
        work: impl std::future::Future<Output = Result<Vec<Checked>, GuardError>>,
    ) -> Result<Vec<Checked>, GuardError> {
        let result = work.await;
        let (Some(state), Some(key)) = (&self.state, claim) else {
            return result;
        };
        match result {
            Ok(checked) => {
                let status = checked
                    .iter()
                    .map(|c| c.status)
                    .max_by_key(|s| s.attention())
                    .unwrap_or(Status::Skipped);
                state.finish(&key, status).await?;
                Ok(checked)
            }
            Err(err) => {
                if let Err(release) = state.release(&key).await {
                    tracing::error!(guard = G::NAME, claim = key, error = %release,
                        "could not give up the claim; the retry will wait until it goes stale");
                }
                Err(err)
            }
        }
    }

    /// Why fixes are held back on this resource for the rules they name:
    /// CloudFormation made the change (`IacChanges=notify`), or a circuit
    /// breaker tripped (something keeps undoing the rule's fix).
    pub(super) fn holds(
        &self,
        arn: &str,
        tags: &[(String, String)],
        context: &Context,
        memory: &Memory,
    ) -> std::collections::BTreeMap<String, String> {
        let mut holds = std::collections::BTreeMap::new();
        if self.config.mode != Mode::Remediate {
            return holds;
        }
        if context.by_cloudformation && self.config.iac_changes == IacChanges::Notify {
            let stack = tags
                .iter()
                .find(|(key, _)| key == "aws:cloudformation:stack-name")
                .map_or_else(
                    || {
                        "a CloudFormation stack (its name is not tagged on the resource)"
                            .to_string()
                    },
                    |(_, name)| format!("CloudFormation stack `{name}`"),
                );
            let why = format!(
                "changed by {stack}: fix the stack's template, or Warden and the next deploy will undo each other (IacChanges=notify)"
            );
            for rule in self.guard.rules() {
                holds.insert(rule.name().to_string(), why.clone());
            }
            return holds;
        }
        let Some(state) = &self.state else {
            return holds;
        };
        let settings = state.settings();
        for rule in self.guard.rules() {
            let fixes: Vec<&ChangeRecord> = memory
                .recent
                .iter()
                .filter(|r| r.guard == G::NAME && r.rule == rule.name())
                .filter(|r| r.status == ChangeStatus::Applied && r.rollback_of.is_none())
                .collect();
            if fixes.len() < settings.breaker_changes as usize {
                continue;
            }
            let mut principals: Vec<&str> = fixes
                .iter()
                .filter_map(|r| r.principal.as_deref())
                .chain(context.principal.as_deref())
                .collect();
            principals.sort_unstable();
            principals.dedup();
            let oldest = fixes.iter().map(|r| r.created_ms()).min().unwrap_or(0);
            let until = crate::state::format_time(
                oldest + i64::from(settings.breaker_window_minutes) * 60_000,
            );
            holds.insert(
                rule.name().to_string(),
                format!(
                    "circuit breaker: Warden fixed {} on {arn} {} times in the last {} minutes and it was undone each time, by {}: notify only until {until}; find what keeps changing it",
                    rule.name(),
                    fixes.len(),
                    settings.breaker_window_minutes,
                    if principals.is_empty() { "an unknown principal".to_string() } else { principals.join(", ") },
                ),
            );
        }
        holds
    }

    /// Counts this fix against the account's hourly limit; the reason to
    /// hold it back once the limit is passed. The first fix past it sends
    /// one alert saying the rest of the hour is notify-only.
    pub(super) async fn account_limit(
        &self,
        context: &Context,
    ) -> Result<Option<String>, GuardError> {
        let Some(state) = &self.state else {
            return Ok(None);
        };
        let limit = u64::from(state.settings().account_changes_per_hour);
        if limit == 0 {
            return Ok(None);
        }
        let count = state.tally(&context.account).await?;
        if count <= limit {
            return Ok(None);
        }
        let why = format!(
            "account {} passed {limit} remediations this hour (WARDEN_ACCOUNT_CHANGES_PER_HOUR): notify only for the rest of the hour",
            context.account
        );
        if count == limit + 1 {
            tracing::warn!(guard = G::NAME, account = %context.account, limit, "account remediation limit reached; notify only for the rest of the hour");
            if let Some(notifier) = &self.notifier {
                notifier
                    .notice(
                        &format!(
                            "Warden: account {} remediation limit reached",
                            context.account
                        ),
                        &why,
                    )
                    .await?;
            }
        }
        Ok(Some(why))
    }

    /// Settles the changes an earlier invocation began and never completed
    /// (it died between the intent and the result): the resource as read
    /// now says whether the write happened.
    pub(super) async fn resolve_pending(
        &self,
        state: &StateTable,
        memory: &Memory,
        now: &G::State,
    ) -> Result<(), GuardError> {
        let resolved: Vec<ChangeRecord> = memory
            .pending
            .iter()
            .filter(|r| r.guard == G::NAME)
            .map(|record| {
                let current = self.guard.written(&record.rule, now);
                let mut record = record.clone();
                if current == record.before {
                    record.status = ChangeStatus::NotApplied;
                    record.reason = Some(
                        "the invocation that began it stopped before the write: the resource still holds the before-state".into(),
                    );
                } else {
                    record.status = ChangeStatus::Applied;
                    record.after = current;
                    record.reason = Some(
                        "the invocation that began it stopped before confirming: a later check read the resource changed from the before-state".into(),
                    );
                }
                record.completed_at = Some(crate::state::format_time(crate::state::now_ms()));
                record
            })
            .collect();
        futures::future::try_join_all(resolved.iter().map(|r| state.put_change(r))).await?;
        for record in &resolved {
            tracing::info!(guard = G::NAME, change_id = %record.change_id, status = %record.status, "resolved an unfinished change");
        }
        Ok(())
    }

    /// Records each finding's changes that were not made (observe and
    /// notify modes, fixes held back or refused) as `would-apply`, and
    /// gives their changes a change id.
    pub(super) async fn record_unmade(
        &self,
        findings: &mut [Finding],
        state_before: &G::State,
        context: &Context,
        status: Status,
        reason: Option<&str>,
    ) -> Result<(), GuardError> {
        let Some(state) = &self.state else {
            return Ok(());
        };
        let mut records = Vec::new();
        for finding in findings.iter_mut() {
            if finding.applied
                || finding.changes.is_empty()
                || finding.changes.iter().any(|c| c.change_id.is_some())
            {
                continue;
            }
            let mut record = self.change_record(finding, state_before, context);
            record.status = ChangeStatus::WouldApply;
            record.after =
                serde_json::to_value(finding.changes.iter().map(|c| &c.after).collect::<Vec<_>>())
                    .unwrap_or(Value::Null);
            record.outcome = Some(status);
            record.reason = reason.map(str::to_string);
            record.completed_at = Some(record.created_at.clone());
            for change in &mut finding.changes {
                change.change_id = Some(record.change_id.clone());
            }
            records.push(record);
        }
        futures::future::try_join_all(records.iter().map(|r| state.put_change(r))).await?;
        Ok(())
    }

    /// A new record of `finding`'s change on the resource as it is in
    /// `state_before`.
    pub(super) fn change_record(
        &self,
        finding: &Finding,
        state_before: &G::State,
        context: &Context,
    ) -> ChangeRecord {
        ChangeRecord {
            change_id: crate::state::new_change_id(),
            resource: finding.resource.clone(),
            account: context.account.clone(),
            region: context.region.clone(),
            guard: G::NAME.to_string(),
            rule: finding.rule.clone(),
            trigger: context.trigger.clone(),
            principal: context.principal.clone(),
            mode: self.config.mode,
            actions: finding.changes.iter().map(|c| c.action.clone()).collect(),
            before: self.guard.written(&finding.rule, state_before),
            after: Value::Null,
            status: ChangeStatus::Pending,
            outcome: None,
            reason: None,
            created_at: crate::state::format_time(crate::state::now_ms()),
            completed_at: None,
            rollback_of: None,
            rolled_back_by: None,
        }
    }

    /// Prints `ChangeToFixMs` for each fix confirmed on the event path:
    /// from the call's `eventTime` to now, just after the read-back.
    pub(super) fn measure_latency(&self, findings: &[Finding], context: &Context) {
        let Some(event_ms) = context
            .event_time
            .as_deref()
            .and_then(crate::state::parse_time)
        else {
            return;
        };
        let now = crate::state::now_ms();
        for finding in findings.iter().filter(|f| f.applied) {
            let latency = u64::try_from(now - event_ms).unwrap_or(0);
            println!(
                "{}",
                crate::record::change_to_fix_line(G::NAME, &finding.rule, latency, now)
            );
        }
    }

    /// Writes the intent of each fix about to be made, before the write:
    /// the record of a change that is begun and not concluded survives a
    /// crash, and the next check of the resource settles it.
    pub(super) async fn intend(
        &self,
        intents: &mut Vec<Intent>,
        planned: &[Planned],
        state_now: &G::State,
        context: &Context,
    ) -> Result<(), GuardError> {
        let Some(state) = &self.state else {
            return Ok(());
        };
        let new: Vec<Intent> = planned
            .iter()
            .filter(|p| p.blocked.is_none())
            .filter(|p| !intents.iter().any(|i| i.is(p)))
            .map(|p| Intent {
                rule: p.finding.rule.clone(),
                resource: p.finding.resource.clone(),
                subject: p.subject.clone(),
                record: self.change_record(&p.finding, state_now, context),
            })
            .collect();
        futures::future::try_join_all(new.iter().map(|i| state.put_change(&i.record))).await?;
        intents.extend(new);
        Ok(())
    }

    /// Completes each intent from the findings as confirmed on the
    /// read-back (`last`), gives the findings' changes their change ids, and
    /// returns the check's result.
    pub(super) async fn conclude(
        &self,
        intents: Vec<Intent>,
        mut planned: Vec<Planned>,
        last: Option<&G::State>,
        status: Status,
        reason: Option<String>,
    ) -> Result<(Status, Option<String>, Vec<Finding>), GuardError> {
        if let Some(state) = &self.state {
            let now = crate::state::format_time(crate::state::now_ms());
            let mut records = Vec::new();
            for intent in intents {
                let mut record = intent.record;
                let found = planned.iter_mut().find(|p| {
                    p.finding.rule == intent.rule
                        && p.finding.resource == intent.resource
                        && p.subject == intent.subject
                });
                record.after = last.map_or(Value::Null, |s| self.guard.written(&record.rule, s));
                match found {
                    Some(p) => {
                        record.status = if p.finding.applied {
                            ChangeStatus::Applied
                        } else {
                            ChangeStatus::Failed
                        };
                        if !p.finding.applied {
                            record.reason = reason.clone();
                        }
                        for change in &mut p.finding.changes {
                            change.change_id = Some(record.change_id.clone());
                        }
                    }
                    None => {
                        record.status = ChangeStatus::NotApplied;
                        record.reason = Some(
                            "the resource changed before the write and no longer broke the rule"
                                .into(),
                        );
                    }
                }
                record.outcome = Some(status);
                record.completed_at = Some(now.clone());
                records.push(record);
            }
            futures::future::try_join_all(records.iter().map(|r| state.put_change(r))).await?;
        }
        Ok((status, reason, into_findings(planned)))
    }
}

/// A fix whose intent is recorded, to be concluded after the read-back.
pub(super) struct Intent {
    pub(super) rule: String,
    pub(super) resource: String,
    pub(super) subject: Option<String>,
    pub(super) record: ChangeRecord,
}

impl Intent {
    pub(super) fn is(&self, planned: &Planned) -> bool {
        planned.finding.rule == self.rule
            && planned.finding.resource == self.resource
            && planned.subject == self.subject
    }
}
