//! The pipeline's memory (the state table): each delivery claimed once,
//! every change recorded (intent before the write, result after the
//! read-back), unfinished intents settled, fixes held back by the circuit
//! breakers and for CloudFormation's changes, and `ChangeToFixMs`.

use super::Pipeline;
use crate::config::{IacChanges, Mode};
use crate::error::GuardError;
use crate::guard::Guard;
use crate::outcome::{Checked, Outcome, Status};
use crate::record::Context;
use crate::state::{ChangeRecord, ChangeStatus, Claim, Memory};

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
}

mod audit;

pub(super) use audit::Intent;
