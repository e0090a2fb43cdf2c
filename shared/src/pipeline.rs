//! The one pipeline every guard runs, with two ways in:
//!
//! ```text
//! event ──▶ parse ─▶ skip? ─▶ read the event once ─┐
//!                                                  ├─▶ read current state ─▶ exemptions ─▶ evaluate + plan ─▶ apply (by mode) ─▶ read back ─▶ record ─▶ notify + metrics
//! resource (a sweep) ──────────────────────────────┘
//! ```
//!
//! A guard supplies only what is its own ([`Guard`], [`Adapter`]). From
//! "read current state" on, both paths share every step, and each target an
//! event names goes through them on its own (its own exemptions, read-back
//! and status), into one outcome.

use crate::config::{Config, Mode};
use crate::error::GuardError;
use crate::event::CloudTrailEvent;
use crate::exempt::{Exemption, Ignored};
use crate::guard::{Adapter, Applied, Guard, Input, Reading, Resource, Snapshot};
use crate::outcome::{Checked, Finding, Outcome, Status, Trigger};
use crate::record::{Context, FindingRecord, Notifier, metric_line};
use crate::sinks::{Delivery, Sinks};
use crate::rule::{Assessment, Planned, assess};
use aws_config::SdkConfig;
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Runs one guard. Built once per cold start; shared by every invocation.
pub struct Pipeline<G: Guard> {
    guard: G,
    adapter: G::Adapter,
    config: Config,
    notifier: Option<Notifier>,
    lag_retries: Vec<Duration>,
    /// Security Hub and EventBridge (`WARDEN_SECURITY_HUB`, `WARDEN_EVENT_BUS`).
    sinks: Option<Sinks>,
}

impl<G: Guard> Pipeline<G> {
    pub fn new(guard: G, adapter: G::Adapter, config: Config, notifier: Option<Notifier>) -> Self {
        Self {
            guard,
            adapter,
            config,
            notifier,
            lag_retries: [200, 400, 800].map(Duration::from_millis).to_vec(),
            sinks: None,
        }
    }

    /// The pipeline with findings sinks: every finding also goes to
    /// Security Hub and/or an EventBridge bus.
    pub fn with_sinks(mut self, sinks: Sinks) -> Self {
        self.sinks = Some(sinks);
        self
    }

    /// The pipeline as a function runs it: with the SNS notifier the
    /// configuration asks for (`WARDEN_TOPIC_ARN`) and the findings sinks
    /// (`WARDEN_SECURITY_HUB`, `WARDEN_EVENT_BUS`), their clients built from `aws`.
    pub fn build(guard: G, adapter: G::Adapter, config: Config, aws: &SdkConfig) -> Self {
        let sinks = Sinks::new(&config.sinks, aws);
        let notifier = config
            .topic_arn
            .clone()
            .map(|topic| Notifier::new(crate::aws::sns(aws), topic));
        let pipeline = Self::new(guard, adapter, config, notifier);
        match sinks {
            Some(sinks) => pipeline.with_sinks(sinks),
            None => pipeline,
        }
    }

    pub fn guard(&self) -> &G {
        &self.guard
    }

    pub fn adapter(&self) -> &G::Adapter {
        &self.adapter
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The event path: handles one EventBridge event. `Ok` carries the
    /// outcome, whatever it is; `Err` is an infrastructure failure that
    /// Lambda should retry.
    pub async fn handle(&self, raw: Value) -> Result<Outcome, GuardError> {
        if let Some(reason) = CloudTrailEvent::not_to_check(&raw) {
            let (event_id, event_name) = CloudTrailEvent::identify(&raw);
            let trigger = Trigger::Event {
                event_id,
                event_name,
            };
            let outcome = Outcome::bare(G::NAME, trigger, Status::Skipped, Some(reason));
            tracing::info!(
                guard = G::NAME,
                status = %outcome.status,
                outcome = %serde_json::to_string(&outcome).unwrap_or_default(),
                "handled event"
            );
            return Ok(outcome);
        }
        let event = match CloudTrailEvent::parse(&raw) {
            Ok(event) => event,
            Err(err) => {
                let (event_id, event_name) = CloudTrailEvent::identify(&raw);
                let trigger = Trigger::Event {
                    event_id,
                    event_name,
                };
                tracing::error!(guard = G::NAME, error = %err, "malformed event; no action taken");
                let reason = format!("malformed event: {err}");
                return Ok(Outcome::bare(
                    G::NAME,
                    trigger,
                    Status::Failed,
                    Some(reason),
                ));
            }
        };
        let context = Context::of_event(&event);
        let outcome = self.handle_event(&event, &context).await?;
        tracing::info!(
            guard = G::NAME,
            event_id = %event.detail.event_id,
            event_name = %event.detail.event_name,
            status = %outcome.status,
            outcome = %serde_json::to_string(&outcome).unwrap_or_default(),
            "handled event"
        );
        Ok(outcome)
    }

    /// The resource path: checks one target no event names (the sweeper's),
    /// with the rules that stand on the resource's state alone.
    pub async fn check_resource(
        &self,
        target: &G::Target,
        context: &Context,
    ) -> Result<Outcome, GuardError> {
        let checked = vec![self.check(target, None, false).await?];
        self.record(&checked, context).await?;
        let outcome = Outcome::of(G::NAME, context.trigger.clone(), checked);
        tracing::info!(
            guard = G::NAME,
            resource = target.arn(),
            status = %outcome.status,
            outcome = %serde_json::to_string(&outcome).unwrap_or_default(),
            "checked resource"
        );
        Ok(outcome)
    }

    /// Skips, in order (failed calls and events that are not CloudTrail
    /// records are skipped before the event is read): read-only calls,
    /// events the guard does not handle, Warden's own calls, and the guard's
    /// own reasons. None of them costs an AWS call. The guard reads the
    /// event once.
    async fn handle_event(
        &self,
        event: &CloudTrailEvent,
        context: &Context,
    ) -> Result<Outcome, GuardError> {
        let detail = &event.detail;
        let skipped = |reason: String| {
            Outcome::bare(
                G::NAME,
                context.trigger.clone(),
                Status::Skipped,
                Some(reason),
            )
        };
        if detail.read_only == Some(true) {
            return Ok(skipped("read-only call".into()));
        }
        let reading = self.guard.read_event(event);
        if let Reading::NotHandled(why) = reading {
            return Ok(skipped(why));
        }
        if let Some(arn) = self.config.self_arns.matching(&detail.user_identity) {
            return Ok(skipped(format!("caused by Warden itself ({arn})")));
        }
        let check = match reading {
            Reading::NotHandled(why) | Reading::Skip(why) => return Ok(skipped(why)),
            Reading::Malformed(err) => {
                return Ok(Outcome::bare(
                    G::NAME,
                    context.trigger.clone(),
                    Status::Failed,
                    Some(format!("malformed event: {err}")),
                ));
            }
            Reading::Check(check) => check,
        };
        let evidence = Some(&check.evidence);
        let checked = futures::future::try_join_all(
            check
                .targets
                .iter()
                .map(|target| self.check(target, evidence, check.just_created)),
        )
        .await?;
        self.record(&checked, context).await?;
        Ok(Outcome::of(G::NAME, context.trigger.clone(), checked))
    }

    /// Every step from "read current state" on, for one target.
    async fn check(
        &self,
        target: &G::Target,
        evidence: Option<&G::Evidence>,
        just_created: bool,
    ) -> Result<Checked, GuardError> {
        let arn = target.arn();
        let done = |status: Status, reason: Option<String>, findings: Vec<Finding>| Checked {
            resource: arn.to_string(),
            status,
            reason,
            findings,
        };
        let read = self.read_with_lag(target, just_created).await?;
        let missing = || {
            self.guard.missing(evidence).map(|state| Snapshot {
                state,
                tags: vec![],
            })
        };
        let Some(snapshot) = read.or_else(missing) else {
            return Ok(Checked::gone(arn));
        };
        let exemption = self.exemption(arn, &snapshot.tags);
        if exemption == Exemption::All {
            let reason = format!(
                "{arn} is exempt from every rule (tag {})",
                self.config.exemption_tag
            );
            return Ok(done(Status::Skipped, Some(reason), vec![]));
        }

        let input = Input {
            target,
            state: &snapshot.state,
            evidence,
        };
        let assessment = assess(&self.guard, &input, &exemption);
        if assessment.findings.is_empty() {
            return Ok(done(Status::Compliant, None, vec![]));
        }
        Ok(match self.config.mode {
            Mode::Observe => done(Status::Observed, None, into_findings(assessment.findings)),
            Mode::Notify => done(Status::Notified, None, into_findings(assessment.findings)),
            Mode::Remediate => {
                let (status, reason, findings) = self
                    .remediate(target, evidence, &exemption, assessment)
                    .await?;
                done(status, reason, findings)
            }
        })
    }

    async fn read_with_lag(
        &self,
        target: &G::Target,
        just_created: bool,
    ) -> Result<Option<Snapshot<G::State>>, GuardError> {
        let mut snapshot = self.adapter.read(target).await?;
        if just_created {
            for delay in &self.lag_retries {
                if snapshot.is_some() {
                    break;
                }
                tokio::time::sleep(*delay).await;
                snapshot = self.adapter.read(target).await?;
            }
        }
        Ok(snapshot)
    }

    /// Applies the safe part of the plan, then reads the resource back and
    /// evaluates every rule again: a finding counts as applied only if it no
    /// longer fires. A new finding on the read-back (the fix uncovered it, or
    /// someone changed the resource meanwhile) is reported, and fixed in one
    /// more round if it can be. If the resource changed under a write, the
    /// check starts again once from a fresh read. A write that no retry can
    /// help ends the check `failed` with its findings (they are published);
    /// one that may pass on a retry is returned as an error for Lambda.
    async fn remediate(
        &self,
        target: &G::Target,
        evidence: Option<&G::Evidence>,
        exemption: &Exemption,
        first: Assessment<G::Plan>,
    ) -> Result<(Status, Option<String>, Vec<Finding>), GuardError> {
        let arn = target.arn();
        let mut planned = first.findings;
        let mut plan = first.plan;
        let mut fixable = planned.iter().any(|p| p.blocked.is_none());
        let mut restarted = false;
        let mut failure: Option<String> = None;
        let mut rounds = 0;
        while fixable && rounds < 2 {
            rounds += 1;
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
                    let Some(fresh) = self.adapter.read(target).await? else {
                        let reason = format!("{arn} disappeared while it was being fixed");
                        return Ok((Status::Failed, Some(reason), into_findings(planned)));
                    };
                    let input = Input {
                        target,
                        state: &fresh.state,
                        evidence,
                    };
                    let again = assess(&self.guard, &input, exemption);
                    if again.findings.is_empty() {
                        let reason = format!(
                            "{arn} changed while it was being fixed ({what}); read again, it meets every rule"
                        );
                        return Ok((Status::Compliant, Some(reason), vec![]));
                    }
                    planned = again.findings;
                    plan = again.plan;
                    fixable = planned.iter().any(|p| p.blocked.is_none());
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
            let Some(after) = self.adapter.read(target).await? else {
                let reason = format!("{arn} disappeared while it was being fixed");
                return Ok((Status::Failed, Some(reason), into_findings(planned)));
            };
            let input = Input {
                target,
                state: &after.state,
                evidence,
            };
            let still = assess(&self.guard, &input, exemption);
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
        let findings = into_findings(planned);
        Ok(if let Some(failure) = failure {
            (Status::Failed, Some(failure), findings)
        } else if !unconfirmed.is_empty() {
            let reason = format!(
                "read-back after the change still breaks: {}",
                unconfirmed.join(", ")
            );
            (Status::Failed, Some(reason), findings)
        } else if !blocked.is_empty() {
            (Status::Notified, Some(blocked.join("; ")), findings)
        } else {
            (Status::Remediated, None, findings)
        })
    }

    fn exemption(&self, arn: &str, tags: &[(String, String)]) -> Exemption {
        let Some((_, value)) = tags
            .iter()
            .find(|(key, _)| *key == self.config.exemption_tag)
        else {
            return Exemption::None;
        };
        match Exemption::from_tag(value, crate::exempt::today()) {
            Ok(exemption) => exemption,
            Err(Ignored::Expired(until)) => {
                tracing::info!(guard = G::NAME, resource = arn, %until, "exemption expired; enforcing every rule");
                Exemption::None
            }
            Err(Ignored::Unreadable(why)) => {
                tracing::warn!(
                    guard = G::NAME,
                    resource = arn,
                    why,
                    "exemption tag not understood; enforcing every rule"
                );
                Exemption::None
            }
        }
    }

    /// Logs each finding, prints its metric, (outside `observe` mode)
    /// publishes it to the topic, and delivers the check to the findings
    /// sinks (in every mode: see [`crate::sinks`]); each finding carries its
    /// own resource's status. SNS and the sinks are called concurrently; any
    /// failure fails the invocation, so Lambda retries the event.
    async fn record(&self, checked: &[Checked], context: &Context) -> Result<(), GuardError> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let records: Vec<FindingRecord<'_>> = checked
            .iter()
            .flat_map(|c| {
                c.findings.iter().map(|finding| {
                    let outcome = (c.status, c.reason.as_deref());
                    FindingRecord::new(G::NAME, finding, context, self.config.mode, outcome)
                })
            })
            .collect();
        for record in &records {
            tracing::warn!(
                guard = G::NAME,
                rule = record.rule,
                resource = record.resource,
                outcome = %record.outcome,
                finding = %serde_json::to_string(record).unwrap_or_default(),
                "finding"
            );
            println!(
                "{}",
                metric_line(G::NAME, record.rule, record.outcome, now_ms)
            );
        }
        let sns = async {
            if let (Some(notifier), true) = (&self.notifier, self.config.mode != Mode::Observe) {
                futures::future::try_join_all(
                    records.iter().map(|record| notifier.publish(record)),
                )
                .await?;
            }
            Ok::<(), GuardError>(())
        };
        let sinks = async {
            let Some(sinks) = &self.sinks else {
                return Ok(());
            };
            // The rules that stand on a resource's state and found nothing
            // on it: each resource that was read and evaluated. Event-only
            // rules prove nothing by their silence.
            let standing: Vec<&str> = self
                .guard
                .rules()
                .iter()
                .filter(|rule| rule.scope() == crate::rule::Scope::Standing)
                .map(|rule| rule.name())
                .collect();
            let passed: Vec<(&str, Vec<&str>)> = checked
                .iter()
                .filter(|c| c.status != Status::Skipped)
                .map(|c| {
                    let held = standing
                        .iter()
                        .copied()
                        .filter(|rule| !c.findings.iter().any(|f| f.rule == *rule))
                        .collect();
                    (c.resource.as_str(), held)
                })
                .collect();
            let gone: Vec<&str> = checked
                .iter()
                .filter(|c| c.is_gone())
                .map(|c| c.resource.as_str())
                .collect();
            if records.is_empty() && gone.is_empty() && passed.iter().all(|(_, r)| r.is_empty()) {
                return Ok(());
            }
            sinks
                .deliver(&Delivery {
                    guard: G::NAME,
                    account: &context.account,
                    region: &context.region,
                    records: &records,
                    passed: &passed,
                    gone: &gone,
                })
                .await
        };
        futures::future::try_join(sns, sinks).await?;
        Ok(())
    }
}

fn into_findings(planned: Vec<Planned>) -> Vec<Finding> {
    planned.into_iter().map(|p| p.finding).collect()
}

#[cfg(test)]
mod tests;
