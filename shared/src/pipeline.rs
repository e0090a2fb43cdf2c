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

use crate::config::{Config, IacChanges, Mode};
use crate::error::GuardError;
use crate::event::CloudTrailEvent;
use crate::exempt::{Exemption, Ignored};
use crate::guard::{Adapter, Applied, Guard, Input, Reading, Resource, Snapshot};
use crate::outcome::{Checked, Finding, Outcome, Status, Trigger};
use crate::record::{Context, FindingRecord, Notifier, metric_line};
use crate::rule::{Assessment, Planned, assess_holding};
use crate::sinks::{Delivery, Sinks};
use crate::state::{ChangeRecord, ChangeStatus, Claim, Memory, StateTable};
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

    /// Claims this delivery in the state table before anything is done
    /// about it. `Ok(Ok(key))` to go on (`None` without a table); `Ok(Err)`
    /// is the outcome of a delivery handled before. A delivery another
    /// invocation is handling right now is an error, so Lambda retries it
    /// later rather than drop it.
    async fn claim(
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
    async fn settle(
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

    /// Every step from "read current state" on, for one target.
    async fn check(
        &self,
        target: &G::Target,
        evidence: Option<&G::Evidence>,
        just_created: bool,
        context: &Context,
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

    /// Why fixes are held back on this resource for the rules they name:
    /// CloudFormation made the change (`IacChanges=notify`), or a circuit
    /// breaker tripped (something keeps undoing the rule's fix).
    fn holds(
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
    async fn account_limit(&self, context: &Context) -> Result<Option<String>, GuardError> {
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
    async fn resolve_pending(
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
    async fn record_unmade(
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
    fn change_record(
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
    fn measure_latency(&self, findings: &[Finding], context: &Context) {
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
        ground: &Ground<'_, G>,
        first: Assessment<G::Plan>,
    ) -> Result<(Status, Option<String>, Vec<Finding>), GuardError> {
        let &Ground {
            target,
            evidence,
            exemption,
            held,
            state: first_state,
            context,
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
                    let Some(fresh) = self.adapter.read(target).await? else {
                        let reason = format!("{arn} disappeared while it was being fixed");
                        return self
                            .conclude(intents, planned, None, Status::Failed, Some(reason))
                            .await;
                    };
                    let input = Input {
                        target,
                        state: &fresh.state,
                        evidence,
                    };
                    let again = assess_holding(&self.guard, &input, exemption, held);
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
            let Some(after) = self.adapter.read(target).await? else {
                let reason = format!("{arn} disappeared while it was being fixed");
                return self
                    .conclude(intents, planned, None, Status::Failed, Some(reason))
                    .await;
            };
            let input = Input {
                target,
                state: &after.state,
                evidence,
            };
            let still = assess_holding(&self.guard, &input, exemption, held);
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

    /// Writes the intent of each fix about to be made, before the write:
    /// the record of a change that is begun and not concluded survives a
    /// crash, and the next check of the resource settles it.
    async fn intend(
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
    async fn conclude(
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

/// What the fix rounds on one target stand on.
struct Ground<'a, G: Guard> {
    target: &'a G::Target,
    evidence: Option<&'a G::Evidence>,
    exemption: &'a Exemption,
    /// Why a rule's fix is held back, if it is.
    held: &'a (dyn Fn(&str) -> Option<String> + Sync),
    /// The state the first plan was built on.
    state: &'a G::State,
    context: &'a Context,
}

/// A fix whose intent is recorded, to be concluded after the read-back.
struct Intent {
    rule: String,
    resource: String,
    subject: Option<String>,
    record: ChangeRecord,
}

impl Intent {
    fn is(&self, planned: &Planned) -> bool {
        planned.finding.rule == self.rule
            && planned.finding.resource == self.resource
            && planned.subject == self.subject
    }
}

fn into_findings(planned: Vec<Planned>) -> Vec<Finding> {
    planned.into_iter().map(|p| p.finding).collect()
}

#[cfg(test)]
mod tests;
