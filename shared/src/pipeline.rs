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
use crate::exempt::Exemption;
use crate::guard::{Adapter, Guard, Input, Reading, Resource, Snapshot};
use crate::outcome::{Checked, Finding, Outcome, Status, Trigger};
use crate::record::{Context, Notifier};
use crate::rule::{Planned, assess_holding};
use crate::sinks::Sinks;
use crate::state::{Memory, StateTable};
use aws_config::SdkConfig;
use serde_json::Value;
use std::time::Duration;

/// Runs one guard. Built once per cold start; shared by every invocation.
pub struct Pipeline<G: Guard> {
    guard: G,
    adapter: G::Adapter,
    config: Config,
    notifier: Option<Notifier>,
    lag_retries: Vec<Duration>,
    /// Memory between invocations (`WARDEN_STATE_TABLE`).
    state: Option<StateTable>,
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
            state: None,
            sinks: None,
        }
    }

    /// The pipeline with a state table: deliveries claimed once, every
    /// change recorded, suppressions honoured, breakers in force.
    pub fn with_state(mut self, state: StateTable) -> Self {
        self.state = Some(state);
        self
    }

    /// The pipeline with findings sinks: every finding also goes to
    /// Security Hub and/or an EventBridge bus.
    pub fn with_sinks(mut self, sinks: Sinks) -> Self {
        self.sinks = Some(sinks);
        self
    }

    /// The pipeline as a function runs it: with the SNS notifier the
    /// configuration asks for (`WARDEN_TOPIC_ARN`), the state table
    /// (`WARDEN_STATE_TABLE`) and the findings sinks (`WARDEN_SECURITY_HUB`,
    /// `WARDEN_EVENT_BUS`), their clients built from `aws`.
    pub fn build(guard: G, adapter: G::Adapter, config: Config, aws: &SdkConfig) -> Self {
        let sinks = Sinks::new(&config.sinks, aws);
        let notifier = config
            .topic_arn
            .clone()
            .map(|topic| Notifier::new(crate::aws::sns(aws), topic));
        let state = config
            .state
            .clone()
            .map(|settings| StateTable::new(crate::aws::dynamodb(aws), settings));
        let pipeline = Self::new(guard, adapter, config, notifier);
        let pipeline = match state {
            Some(state) => pipeline.with_state(state),
            None => pipeline,
        };
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
        let claim = match self.claim(context, Some(target.arn())).await? {
            Ok(claim) => claim,
            Err(skipped) => return Ok(skipped),
        };
        let checked = self
            .settle(claim, async {
                let checked = vec![self.check(target, None, false, context).await?];
                self.record(&checked, context).await?;
                Ok(checked)
            })
            .await?;
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
        let claim = match self.claim(context, None).await? {
            Ok(claim) => claim,
            Err(skipped) => return Ok(skipped),
        };
        let evidence = Some(&check.evidence);
        let checked = self
            .settle(claim, async {
                let checked = futures::future::try_join_all(
                    check
                        .targets
                        .iter()
                        .map(|target| self.check(target, evidence, check.just_created, context)),
                )
                .await?;
                self.record(&checked, context).await?;
                Ok(checked)
            })
            .await?;
        Ok(Outcome::of(G::NAME, context.trigger.clone(), checked))
    }

    /// Every step from "read current state" on, for one target.
    async fn check(
        &self,
        target: &G::Target,
        evidence: Option<&G::Evidence>,
        just_created: bool,
        context: &Context,
    ) -> Result<Checked, GuardError> {
        let arn = target.arn();
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
        let memory = match &self.state {
            Some(state) => {
                let window = i64::from(state.settings().breaker_window_minutes) * 60_000;
                let memory = state.memory(arn, crate::state::now_ms() - window).await?;
                self.resolve_pending(state, &memory, &snapshot.state)
                    .await?;
                memory
            }
            None => Memory::default(),
        };
        let suppressed: Vec<String> = memory
            .suppressions
            .iter()
            .filter(|s| s.guard == G::NAME)
            .map(|s| s.rule.clone())
            .collect();
        let exemption = self
            .exemption(arn, &snapshot.tags)
            .and_rules(suppressed.iter().cloned());
        // Rules not assessed on this resource: their silence is no pass.
        let unassessed: Vec<String> = self
            .guard
            .rules()
            .iter()
            .map(|rule| rule.name())
            .filter(|rule| exemption.covers(rule))
            .map(str::to_string)
            .collect();
        let done = |status: Status, reason: Option<String>, findings: Vec<Finding>| Checked {
            resource: arn.to_string(),
            status,
            reason,
            findings,
            unassessed: unassessed.clone(),
        };
        if exemption == Exemption::All {
            let reason = format!(
                "{arn} is exempt from every rule (tag {})",
                self.config.exemption_tag
            );
            return Ok(done(Status::Skipped, Some(reason), vec![]));
        }
        if !suppressed.is_empty() {
            tracing::info!(guard = G::NAME, resource = arn, rules = ?suppressed, "rules suppressed by a rollback");
        }

        let input = Input {
            target,
            state: &snapshot.state,
            evidence,
        };
        let mut holds = self.holds(arn, &snapshot.tags, context, &memory);
        let mut assessment = assess_holding(&self.guard, &input, &exemption, &|rule| {
            holds.get(rule).cloned()
        });
        if assessment.findings.is_empty() {
            return Ok(done(Status::Compliant, None, vec![]));
        }
        let observed = match self.config.mode {
            Mode::Observe => Some(Status::Observed),
            Mode::Notify => Some(Status::Notified),
            Mode::Remediate => None,
        };
        if let Some(status) = observed {
            let mut findings = into_findings(assessment.findings);
            self.record_unmade(&mut findings, &snapshot.state, context, status, None)
                .await?;
            return Ok(done(status, None, findings));
        }
        if assessment.has_fixes()
            && let Some(why) = self.account_limit(context).await?
        {
            for rule in self.guard.rules() {
                holds.insert(rule.name().to_string(), why.clone());
            }
            assessment = assess_holding(&self.guard, &input, &exemption, &|rule| {
                holds.get(rule).cloned()
            });
        }
        let held = |rule: &str| holds.get(rule).cloned();
        let ground = Ground {
            target,
            evidence,
            exemption: &exemption,
            held: &held,
            state: &snapshot.state,
            context,
        };
        let fixed = self.remediate(&ground, assessment).await?;
        let (status, reason, mut findings) = fixed;
        let unmade_reason = reason.clone();
        self.record_unmade(
            &mut findings,
            &snapshot.state,
            context,
            status,
            unmade_reason.as_deref(),
        )
        .await?;
        self.measure_latency(&findings, context);
        Ok(done(status, reason, findings))
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
}

pub(super) fn into_findings(planned: Vec<Planned>) -> Vec<Finding> {
    planned.into_iter().map(|p| p.finding).collect()
}

mod memory;
mod remediate;
mod report;

use remediate::Ground;

#[cfg(test)]
mod tests;
