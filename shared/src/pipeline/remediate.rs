//! Remediation: apply the plan, read back, re-check every rule, and one
//! more round or a fresh start when the resource changed underneath.

use super::Pipeline;
use super::memory::Intent;
use crate::error::GuardError;
use crate::exempt::Exemption;
use crate::guard::{Adapter, Applied, Guard, Input, Resource, Snapshot};
use crate::outcome::{Finding, Status};
use crate::record::Context;
use crate::rule::{Assessment, Planned, assess_holding};

/// What the fix rounds on one target stand on.
pub(super) struct Ground<'a, G: Guard> {
    pub(super) target: &'a G::Target,
    pub(super) evidence: Option<&'a G::Evidence>,
    pub(super) exemption: &'a Exemption,
    /// Why a rule's fix is held back, if it is.
    pub(super) held: &'a (dyn Fn(&str) -> Option<String> + Sync),
    /// The state the first plan was built on.
    pub(super) state: &'a G::State,
    pub(super) context: &'a Context,
}

impl<G: Guard> Pipeline<G> {
    /// Applies the safe part of the plan, then reads the resource back and
    /// evaluates every rule again: a finding counts as applied only if it no
    /// longer fires. A new finding on the read-back (the fix uncovered it, or
    /// someone changed the resource meanwhile) is reported, and fixed in one
    /// more round if it can be. If the resource changed under a write, the
    /// check starts again once from a fresh read. A write that no retry can
    /// help ends the check `failed` with its findings (they are published);
    /// one that may pass on a retry is returned as an error for Lambda.
    pub(super) async fn remediate(
        &self,
        ground: &Ground<'_, G>,
        first: Assessment<G::Plan>,
    ) -> Result<(Status, Option<String>, Vec<Finding>), GuardError> {
        let &Ground {
            target,
            state: first_state,
            context,
            ..
        } = ground;
        let arn = target.arn();
        let mut intents: Vec<Intent> = Vec::new();
        // The state the current plan was built on, once it is not the first.
        let mut basis: Option<Snapshot<G::State>> = None;
        let mut planned = first.findings;
        let mut plan = first.plan;
        let mut fixable = planned.iter().any(|p| p.blocked.is_none());
        let mut restarted = false;
        let mut failure: Option<String> = None;
        let mut rounds = 0;
        while fixable && rounds < 2 {
            rounds += 1;
            let state_now = basis.as_ref().map_or(first_state, |b| &b.state);
            self.intend(&mut intents, &planned, state_now, context)
                .await?;
            match self.adapter.apply(target, &plan).await {
                Ok(Applied::Done) => {}
                Ok(Applied::Changed(what)) if !restarted => {
                    restarted = true;
                    tracing::info!(
                        guard = G::NAME,
                        resource = arn,
                        what,
                        "changed while being fixed; checking again"
                    );
                    let Some((fresh, again)) = self.reassess(ground).await? else {
                        return self.disappeared(intents, planned, arn).await;
                    };
                    if again.findings.is_empty() {
                        let reason = format!(
                            "{arn} changed while it was being fixed ({what}); read again, it meets every rule"
                        );
                        return self
                            .conclude(
                                intents,
                                vec![],
                                Some(&fresh.state),
                                Status::Compliant,
                                Some(reason),
                            )
                            .await;
                    }
                    planned = again.findings;
                    plan = again.plan;
                    fixable = planned.iter().any(|p| p.blocked.is_none());
                    basis = Some(fresh);
                    rounds = 0;
                    continue;
                }
                Ok(Applied::Changed(what)) => {
                    failure = Some(format!(
                        "{arn} changed again while it was being fixed ({what}); nothing more was written: check it by hand"
                    ));
                }
                Err(err) if err.retryable() => return Err(err),
                Err(err) => failure = Some(format!("{err}: {}", err.remedy())),
            }
            let Some((after, still)) = self.reassess(ground).await? else {
                return self.disappeared(intents, planned, arn).await;
            };
            for p in &mut planned {
                p.finding.applied =
                    p.blocked.is_none() && !still.findings.iter().any(|s| s.same_as(p));
            }
            let new: Vec<Planned> = still
                .findings
                .into_iter()
                .filter(|s| !planned.iter().any(|p| p.same_as(s)))
                .collect();
            fixable = failure.is_none() && new.iter().any(|p| p.blocked.is_none());
            planned.extend(new);
            plan = still.plan;
            basis = Some(after);
        }
        let blocked: Vec<String> = planned.iter().filter_map(|p| p.blocked.clone()).collect();
        let mut unconfirmed: Vec<String> = Vec::new();
        for p in planned
            .iter()
            .filter(|p| p.blocked.is_none() && !p.finding.applied)
        {
            if !unconfirmed.contains(&p.finding.rule) {
                unconfirmed.push(p.finding.rule.clone());
            }
        }
        let (status, reason) = if let Some(failure) = failure {
            (Status::Failed, Some(failure))
        } else if !unconfirmed.is_empty() {
            let reason = format!(
                "read-back after the change still breaks: {}",
                unconfirmed.join(", ")
            );
            (Status::Failed, Some(reason))
        } else if !blocked.is_empty() {
            (Status::Notified, Some(blocked.join("; ")))
        } else {
            (Status::Remediated, None)
        };
        let last = basis.as_ref().map(|b| &b.state);
        self.conclude(intents, planned, last, status, reason).await
    }

    /// The resource read again and every rule assessed on what it is now;
    /// `None` once it is gone.
    async fn reassess(
        &self,
        ground: &Ground<'_, G>,
    ) -> Result<Option<(Snapshot<G::State>, Assessment<G::Plan>)>, GuardError> {
        let Some(now) = self.adapter.read(ground.target).await? else {
            return Ok(None);
        };
        let input = Input {
            target: ground.target,
            state: &now.state,
            evidence: ground.evidence,
        };
        let assessment = assess_holding(&self.guard, &input, ground.exemption, ground.held);
        Ok(Some((now, assessment)))
    }

    /// The check of a resource that went away while it was being fixed.
    async fn disappeared(
        &self,
        intents: Vec<Intent>,
        planned: Vec<Planned>,
        arn: &str,
    ) -> Result<(Status, Option<String>, Vec<Finding>), GuardError> {
        let reason = format!("{arn} disappeared while it was being fixed");
        self.conclude(intents, planned, None, Status::Failed, Some(reason))
            .await
    }
}
