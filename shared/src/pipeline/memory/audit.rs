//! The audit trail of a check: intents recorded before a write and
//! concluded after the read-back, unfinished ones settled, unmade fixes
//! recorded, and `ChangeToFixMs`.

use super::super::{Pipeline, into_findings};
use crate::error::GuardError;
use crate::guard::Guard;
use crate::outcome::{Finding, Status};
use crate::record::Context;
use crate::rule::Planned;
use crate::state::{ChangeRecord, ChangeStatus, Memory, StateTable};
use serde_json::Value;

impl<G: Guard> Pipeline<G> {
    /// Settles the changes an earlier invocation began and never completed
    /// (it died between the intent and the result): the resource as read
    /// now says whether the write happened.
    pub(in crate::pipeline) async fn resolve_pending(
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
    pub(in crate::pipeline) async fn record_unmade(
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
    pub(in crate::pipeline) fn change_record(
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
    pub(in crate::pipeline) fn measure_latency(&self, findings: &[Finding], context: &Context) {
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
    pub(in crate::pipeline) async fn intend(
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
    pub(in crate::pipeline) async fn conclude(
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
pub(in crate::pipeline) struct Intent {
    pub(in crate::pipeline) rule: String,
    pub(in crate::pipeline) resource: String,
    pub(in crate::pipeline) subject: Option<String>,
    pub(in crate::pipeline) record: ChangeRecord,
}

impl Intent {
    pub(in crate::pipeline) fn is(&self, planned: &Planned) -> bool {
        planned.finding.rule == self.rule
            && planned.finding.resource == self.resource
            && planned.subject == self.subject
    }
}
