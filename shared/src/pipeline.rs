//! The one pipeline every guard runs:
//!
//! ```text
//! event ─▶ parse ─▶ skip? ─▶ read current state ─▶ evaluate ─▶ plan ─▶ apply (by mode) ─▶ record ─▶ notify + metrics
//! ```
//!
//! A guard supplies only what is its own ([`Guard`]): which events it
//! handles, how to find the resource, how to read its state, the pure
//! evaluate/plan step, and how to apply a plan. Skipping, exemptions, modes,
//! read-back confirmation, alerts, metrics and the outcome are done here, once.

use crate::config::{Config, Mode};
use crate::error::GuardError;
use crate::event::{CloudTrailEvent, EventError};
use crate::exempt::{Date, Exemption, Ignored};
use crate::outcome::{Finding, Outcome, Status};
use crate::record::{FindingRecord, Notifier, metric_line};
use aws_config::SdkConfig;
use serde_json::Value;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a guard knows that the pipeline does not.
pub trait Guard: Send + Sync {
    /// The guard's name in outcomes, logs and metrics (`bucket-guard`).
    const NAME: &'static str;
    /// Identifies one resource (a bucket name, a user name).
    type Target: Send + Sync;
    /// Everything the rules look at, read in one go.
    type State: Send + Sync;
    /// The typed changes to make. Holds only changes that are safe to make:
    /// a finding whose fix is unsafe is reported as blocked instead.
    type Plan: Send + Sync;

    /// Is this one of the events the guard subscribes to?
    fn handles(&self, event: &CloudTrailEvent) -> bool;

    /// The resource the event is about, from its request parameters.
    fn target(&self, event: &CloudTrailEvent) -> Result<Self::Target, EventError>;

    fn resource_arn(&self, target: &Self::Target) -> String;

    /// True when the event created the resource, so a read that cannot find
    /// it yet is eventual consistency worth a short retry, not a deletion.
    fn may_lag(&self, _event: &CloudTrailEvent) -> bool {
        false
    }

    /// Why an event the guard handles needs no check at all (a failed
    /// console sign-in, one that used MFA), or `None` to go on. Asked after
    /// the pipeline's own skips, before any AWS call.
    fn skip(&self, _event: &CloudTrailEvent) -> Option<String> {
        None
    }

    /// Reads the current state; `None` when the resource no longer exists.
    fn read(
        &self,
        target: &Self::Target,
    ) -> impl Future<Output = Result<Option<Snapshot<Self::State>>, GuardError>> + Send;

    /// The pure step: findings and the plan that fixes them, for the rules
    /// the exemption leaves in force.
    fn evaluate(
        &self,
        target: &Self::Target,
        state: &Self::State,
        exemption: &Exemption,
    ) -> Assessment<Self::Plan>;

    /// Makes the plan's changes.
    fn apply(
        &self,
        target: &Self::Target,
        plan: &Self::Plan,
    ) -> impl Future<Output = Result<(), GuardError>> + Send;
}

/// A resource's state and its tags (for exemptions).
#[derive(Debug, Clone)]
pub struct Snapshot<S> {
    pub state: S,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Assessment<P> {
    pub findings: Vec<Planned>,
    pub plan: P,
}

/// A finding and, when its fix must not be made automatically, why.
#[derive(Debug, Clone)]
pub struct Planned {
    pub finding: Finding,
    pub blocked: Option<String>,
    /// What inside the resource the finding is about (a tag key), for
    /// guards that can find one rule broken several times in one resource.
    /// Read-back confirmation matches findings by rule, resource and subject.
    pub subject: Option<String>,
}

impl Planned {
    pub fn fixable(finding: Finding) -> Self {
        Self {
            finding,
            blocked: None,
            subject: None,
        }
    }

    pub fn blocked(finding: Finding, why: impl Into<String>) -> Self {
        Self {
            finding,
            blocked: Some(why.into()),
            subject: None,
        }
    }

    pub fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    fn same_as(&self, other: &Planned) -> bool {
        self.finding.rule == other.finding.rule
            && self.finding.resource == other.finding.resource
            && self.subject == other.subject
    }
}

/// Runs one guard. Built once per cold start; shared by every invocation.
pub struct Pipeline<G> {
    guard: G,
    config: Config,
    notifier: Option<Notifier>,
    lag_retries: Vec<Duration>,
}

impl<G: Guard> Pipeline<G> {
    pub fn new(guard: G, config: Config, notifier: Option<Notifier>) -> Self {
        Self {
            guard,
            config,
            notifier,
            lag_retries: [200, 400, 800].map(Duration::from_millis).to_vec(),
        }
    }

    /// The pipeline as a function runs it: with the SNS notifier the
    /// configuration asks for (`WARDEN_TOPIC_ARN`), its client built from `aws`.
    pub fn build(guard: G, config: Config, aws: &SdkConfig) -> Self {
        let notifier = config
            .topic_arn
            .clone()
            .map(|topic| Notifier::new(crate::aws::sns(aws), topic));
        Self::new(guard, config, notifier)
    }

    pub fn guard(&self) -> &G {
        &self.guard
    }

    /// Handles one EventBridge event. `Ok` carries the outcome, whatever it
    /// is; `Err` is an infrastructure failure that Lambda should retry.
    pub async fn handle(&self, raw: Value) -> Result<Outcome, GuardError> {
        let event = match CloudTrailEvent::parse(&raw) {
            Ok(event) => event,
            Err(err) => {
                let (event_id, event_name) = CloudTrailEvent::identify(&raw);
                let outcome = Outcome {
                    guard: G::NAME.into(),
                    event_id,
                    event_name,
                    status: Status::Failed,
                    reason: Some(format!("malformed event: {err}")),
                    findings: vec![],
                };
                tracing::error!(guard = G::NAME, error = %err, "malformed event; no action taken");
                return Ok(outcome);
            }
        };
        let outcome = self.handle_event(&event).await?;
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

    async fn handle_event(&self, event: &CloudTrailEvent) -> Result<Outcome, GuardError> {
        if let Some(reason) = self.skip_reason(event) {
            return Ok(self.outcome(event, Status::Skipped, Some(reason), vec![]));
        }
        let target = match self.guard.target(event) {
            Ok(target) => target,
            Err(err) => {
                return Ok(self.outcome(
                    event,
                    Status::Failed,
                    Some(format!("malformed event: {err}")),
                    vec![],
                ));
            }
        };
        self.check(&target, event).await
    }

    /// Skips, in order: failed calls, read-only calls, events the guard does
    /// not handle, Warden's own calls, and the guard's own reasons
    /// ([`Guard::skip`]). None of them costs an AWS call.
    fn skip_reason(&self, event: &CloudTrailEvent) -> Option<String> {
        let detail = &event.detail;
        if let Some(code) = &detail.error_code {
            return Some(format!("the call failed ({code}), so nothing changed"));
        }
        if detail.read_only == Some(true) {
            return Some("read-only call".into());
        }
        if !self.guard.handles(event) {
            return Some(format!(
                "{} from {} is not an event {} handles",
                detail.event_name,
                detail.event_source,
                G::NAME
            ));
        }
        if let Some(arn) = self.config.self_arns.matching(&detail.user_identity) {
            return Some(format!("caused by Warden itself ({arn})"));
        }
        self.guard.skip(event)
    }

    async fn read_with_lag(
        &self,
        target: &G::Target,
        event: &CloudTrailEvent,
    ) -> Result<Option<Snapshot<G::State>>, GuardError> {
        let mut snapshot = self.guard.read(target).await?;
        if self.guard.may_lag(event) {
            for delay in &self.lag_retries {
                if snapshot.is_some() {
                    break;
                }
                tokio::time::sleep(*delay).await;
                snapshot = self.guard.read(target).await?;
            }
        }
        Ok(snapshot)
    }

    async fn check(
        &self,
        target: &G::Target,
        event: &CloudTrailEvent,
    ) -> Result<Outcome, GuardError> {
        let arn = self.guard.resource_arn(target);
        let Some(snapshot) = self.read_with_lag(target, event).await? else {
            return Ok(self.outcome(
                event,
                Status::Skipped,
                Some(format!("{arn} no longer exists")),
                vec![],
            ));
        };
        let exemption = self.exemption(&arn, &snapshot.tags);
        if exemption == Exemption::All {
            let reason = format!(
                "{arn} is exempt from every rule (tag {})",
                self.config.exemption_tag
            );
            return Ok(self.outcome(event, Status::Skipped, Some(reason), vec![]));
        }

        let assessment = self.guard.evaluate(target, &snapshot.state, &exemption);
        if assessment.findings.is_empty() {
            return Ok(self.outcome(event, Status::Compliant, None, vec![]));
        }

        let (status, reason, findings) = match self.config.mode {
            Mode::Observe => (Status::Observed, None, into_findings(assessment.findings)),
            Mode::Notify => (Status::Notified, None, into_findings(assessment.findings)),
            Mode::Remediate => self.remediate(target, &exemption, assessment).await?,
        };
        let outcome = self.outcome(event, status, reason, findings);
        self.record(&outcome, event).await?;
        Ok(outcome)
    }

    /// Applies the safe part of the plan, then reads the resource back and
    /// evaluates it again: a finding counts as applied only if its rule no
    /// longer fires.
    async fn remediate(
        &self,
        target: &G::Target,
        exemption: &Exemption,
        assessment: Assessment<G::Plan>,
    ) -> Result<(Status, Option<String>, Vec<Finding>), GuardError> {
        let blocked: Vec<String> = assessment
            .findings
            .iter()
            .filter_map(|p| p.blocked.clone())
            .collect();
        let mut planned = assessment.findings;
        if planned.iter().all(|p| p.blocked.is_some()) {
            return Ok((
                Status::Notified,
                Some(blocked.join("; ")),
                into_findings(planned),
            ));
        }

        self.guard.apply(target, &assessment.plan).await?;

        let arn = self.guard.resource_arn(target);
        let Some(after) = self.guard.read(target).await? else {
            let reason = format!("{arn} disappeared while it was being fixed");
            return Ok((Status::Failed, Some(reason), into_findings(planned)));
        };
        let still = self.guard.evaluate(target, &after.state, exemption);
        let mut unconfirmed = Vec::new();
        for p in &mut planned {
            let fixable = p.blocked.is_none();
            let holds = !still.findings.iter().any(|s| s.same_as(p));
            p.finding.applied = fixable && holds;
            if fixable && !holds && !unconfirmed.contains(&p.finding.rule) {
                unconfirmed.push(p.finding.rule.clone());
            }
        }
        let findings = into_findings(planned);
        Ok(if !unconfirmed.is_empty() {
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
        match Exemption::from_tag(value, Date::today()) {
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

    /// Logs each finding, prints its metric, and (outside `observe` mode)
    /// publishes it to the topic.
    async fn record(&self, outcome: &Outcome, event: &CloudTrailEvent) -> Result<(), GuardError> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let records: Vec<FindingRecord<'_>> = outcome
            .findings
            .iter()
            .map(|finding| FindingRecord {
                guard: G::NAME,
                rule: &finding.rule,
                resource: &finding.resource,
                account: &event.account,
                region: &event.detail.aws_region,
                event_id: &event.detail.event_id,
                event_name: &event.detail.event_name,
                principal: event.detail.user_identity.principal(),
                mode: self.config.mode,
                outcome: FindingRecord::finding_outcome(finding, outcome.status),
                evidence: &finding.evidence,
                changes: &finding.changes,
                applied: finding.applied,
                severity: finding.severity,
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
        if let (Some(notifier), true) = (&self.notifier, self.config.mode != Mode::Observe) {
            futures::future::try_join_all(records.iter().map(|record| notifier.publish(record)))
                .await?;
        }
        Ok(())
    }

    fn outcome(
        &self,
        event: &CloudTrailEvent,
        status: Status,
        reason: Option<String>,
        findings: Vec<Finding>,
    ) -> Outcome {
        Outcome {
            guard: G::NAME.into(),
            event_id: Some(event.detail.event_id.clone()),
            event_name: Some(event.detail.event_name.clone()),
            status,
            reason,
            findings,
        }
    }
}

fn into_findings(planned: Vec<Planned>) -> Vec<Finding> {
    planned.into_iter().map(|p| p.finding).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::SelfArns;
    use serde_json::json;
    use std::sync::Mutex;

    /// A guard over an in-memory resource: the state is the list of rules it
    /// currently breaks. `blocked` rules cannot be fixed automatically;
    /// `broken_apply` makes apply report success without changing anything.
    struct Fake {
        state: Mutex<Option<Vec<&'static str>>>,
        tags: Vec<(String, String)>,
        blocked: Vec<&'static str>,
        broken_apply: bool,
        applies: Mutex<u32>,
        /// Reads that find nothing before the resource shows up.
        invisible_reads: Mutex<u32>,
    }

    impl Fake {
        fn breaking(rules: &[&'static str]) -> Self {
            Self {
                state: Mutex::new(Some(rules.to_vec())),
                tags: vec![],
                blocked: vec![],
                broken_apply: false,
                applies: Mutex::new(0),
                invisible_reads: Mutex::new(0),
            }
        }
    }

    impl Guard for Fake {
        const NAME: &'static str = "fake-guard";
        type Target = String;
        type State = Vec<&'static str>;
        type Plan = Vec<&'static str>;

        fn handles(&self, event: &CloudTrailEvent) -> bool {
            ["Change", "Create", "Ignore"].contains(&event.detail.event_name.as_str())
        }
        fn skip(&self, event: &CloudTrailEvent) -> Option<String> {
            (event.detail.event_name == "Ignore").then(|| "the guard ignores it".into())
        }
        fn target(&self, event: &CloudTrailEvent) -> Result<String, EventError> {
            event.request_string(&["name"])
        }
        fn resource_arn(&self, target: &String) -> String {
            format!("arn:aws:fake:::{target}")
        }
        fn may_lag(&self, event: &CloudTrailEvent) -> bool {
            event.detail.event_name == "Create"
        }
        async fn read(&self, _: &String) -> Result<Option<Snapshot<Self::State>>, GuardError> {
            let mut invisible = self.invisible_reads.lock().unwrap();
            if *invisible > 0 {
                *invisible -= 1;
                return Ok(None);
            }
            let state = self.state.lock().unwrap().clone();
            Ok(state.map(|state| Snapshot {
                state,
                tags: self.tags.clone(),
            }))
        }
        fn evaluate(
            &self,
            target: &String,
            state: &Self::State,
            exemption: &Exemption,
        ) -> Assessment<Self::Plan> {
            let mut findings = vec![];
            let mut plan = vec![];
            for rule in state.iter().filter(|r| !exemption.covers(r)) {
                let finding = Finding::new(
                    rule,
                    &self.resource_arn(target),
                    format!("{rule} is broken"),
                    vec![],
                );
                if self.blocked.contains(rule) {
                    findings.push(Planned::blocked(finding, format!("{rule} needs a human")));
                } else {
                    findings.push(Planned::fixable(finding));
                    plan.push(*rule);
                }
            }
            Assessment { findings, plan }
        }
        async fn apply(&self, _: &String, plan: &Self::Plan) -> Result<(), GuardError> {
            *self.applies.lock().unwrap() += 1;
            if !self.broken_apply
                && let Some(state) = self.state.lock().unwrap().as_mut()
            {
                state.retain(|rule| !plan.contains(rule));
            }
            Ok(())
        }
    }

    fn config(mode: Mode) -> Config {
        Config {
            mode,
            topic_arn: None,
            self_arns: SelfArns::parse("arn:aws:iam::123456789012:role/warden-*").unwrap(),
            exemption_tag: "warden:exempt".into(),
        }
    }

    fn event(name: &str) -> Value {
        json!({"id": "env", "account": "123456789012", "region": "us-east-1", "detail": {
            "eventID": "e-1", "eventName": name, "eventSource": "fake.amazonaws.com",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice"},
            "requestParameters": {"name": "thing"}}})
    }

    async fn handle(guard: Fake, mode: Mode, event: Value) -> (Outcome, Fake) {
        let pipeline = Pipeline::new(guard, config(mode), None);
        let outcome = pipeline.handle(event).await.unwrap();
        (outcome, pipeline.guard)
    }

    fn summary(outcome: &Outcome) -> (Status, Option<&str>, Vec<(&str, bool)>) {
        let findings = outcome
            .findings
            .iter()
            .map(|f| (f.rule.as_str(), f.applied))
            .collect();
        (outcome.status, outcome.reason.as_deref(), findings)
    }

    #[tokio::test]
    async fn observe_and_notify_report_the_plan_and_change_nothing() {
        for (mode, status) in [
            (Mode::Observe, Status::Observed),
            (Mode::Notify, Status::Notified),
        ] {
            let (outcome, guard) = handle(Fake::breaking(&["a", "b"]), mode, event("Change")).await;
            assert_eq!(
                summary(&outcome),
                (status, None, vec![("a", false), ("b", false)])
            );
            assert_eq!(*guard.applies.lock().unwrap(), 0);
            assert_eq!(*guard.state.lock().unwrap(), Some(vec!["a", "b"]));
        }
    }

    #[tokio::test]
    async fn remediate_confirms_each_fix_by_reading_back() {
        let (outcome, guard) = handle(
            Fake::breaking(&["a", "b"]),
            Mode::Remediate,
            event("Change"),
        )
        .await;
        assert_eq!(
            summary(&outcome),
            (Status::Remediated, None, vec![("a", true), ("b", true)])
        );
        assert_eq!(*guard.state.lock().unwrap(), Some(vec![]));
        let (outcome, guard) = handle(guard, Mode::Remediate, event("Change")).await;
        assert_eq!(summary(&outcome), (Status::Compliant, None, vec![]));
        assert_eq!(
            *guard.applies.lock().unwrap(),
            1,
            "a compliant resource is not written"
        );
    }

    #[tokio::test]
    async fn a_fix_that_does_not_hold_is_a_failure() {
        let mut guard = Fake::breaking(&["a"]);
        guard.broken_apply = true;
        let (outcome, _) = handle(guard, Mode::Remediate, event("Change")).await;
        assert_eq!(
            summary(&outcome),
            (
                Status::Failed,
                Some("read-back after the change still breaks: a"),
                vec![("a", false)]
            )
        );
    }

    #[tokio::test]
    async fn unsafe_fixes_are_notified_and_the_rest_applied() {
        let mut guard = Fake::breaking(&["a", "b"]);
        guard.blocked = vec!["b"];
        let (outcome, guard) = handle(guard, Mode::Remediate, event("Change")).await;
        assert_eq!(
            summary(&outcome),
            (
                Status::Notified,
                Some("b needs a human"),
                vec![("a", true), ("b", false)]
            )
        );
        assert_eq!(*guard.state.lock().unwrap(), Some(vec!["b"]));

        let mut only_blocked = Fake::breaking(&["b"]);
        only_blocked.blocked = vec!["b"];
        let (outcome, guard) = handle(only_blocked, Mode::Remediate, event("Change")).await;
        assert_eq!(
            summary(&outcome),
            (
                Status::Notified,
                Some("b needs a human"),
                vec![("b", false)]
            )
        );
        assert_eq!(*guard.applies.lock().unwrap(), 0);
    }

    #[tokio::test]
    async fn skips_come_before_any_read() {
        let mut failed = event("Change");
        failed["detail"]["errorCode"] = json!("AccessDenied");
        let mut read_only = event("Change");
        read_only["detail"]["readOnly"] = json!(true);
        let mut own = event("Change");
        own["detail"]["userIdentity"] = json!({"type": "AssumedRole",
            "arn": "arn:aws:sts::123456789012:assumed-role/warden-Fn-1/s",
            "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/warden-Fn-1"}}});
        for (event, reason) in [
            (failed, "the call failed (AccessDenied), so nothing changed"),
            (read_only, "read-only call"),
            (
                super::tests::event("Describe"),
                "Describe from fake.amazonaws.com is not an event fake-guard handles",
            ),
            (
                own,
                "caused by Warden itself (arn:aws:sts::123456789012:assumed-role/warden-Fn-1/s)",
            ),
            (super::tests::event("Ignore"), "the guard ignores it"),
        ] {
            let mut guard = Fake::breaking(&["a"]);
            *guard.invisible_reads.get_mut().unwrap() = u32::MAX;
            let (outcome, guard) = handle(guard, Mode::Remediate, event).await;
            assert_eq!(summary(&outcome), (Status::Skipped, Some(reason), vec![]));
            assert_eq!(
                *guard.invisible_reads.lock().unwrap(),
                u32::MAX,
                "no read was made"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_resource_just_created_gets_a_short_retry() {
        let guard = Fake::breaking(&["a"]);
        *guard.invisible_reads.lock().unwrap() = 2;
        let (outcome, _) = handle(guard, Mode::Observe, event("Create")).await;
        assert_eq!(outcome.status, Status::Observed);

        let guard = Fake::breaking(&["a"]);
        *guard.invisible_reads.lock().unwrap() = 4;
        let (outcome, _) = handle(guard, Mode::Observe, event("Create")).await;
        assert_eq!(
            summary(&outcome),
            (
                Status::Skipped,
                Some("arn:aws:fake:::thing no longer exists"),
                vec![]
            )
        );

        let guard = Fake::breaking(&["a"]);
        *guard.invisible_reads.lock().unwrap() = 1;
        let (outcome, _) = handle(guard, Mode::Observe, event("Change")).await;
        assert_eq!(
            outcome.status,
            Status::Skipped,
            "no retry for a change to an existing resource"
        );
    }

    #[tokio::test]
    async fn exemptions() {
        let mut guard = Fake::breaking(&["a", "b"]);
        guard.tags = vec![("warden:exempt".into(), "all".into())];
        let (outcome, _) = handle(guard, Mode::Remediate, event("Change")).await;
        assert_eq!(
            summary(&outcome),
            (
                Status::Skipped,
                Some("arn:aws:fake:::thing is exempt from every rule (tag warden:exempt)"),
                vec![]
            )
        );

        let mut guard = Fake::breaking(&["a", "b"]);
        guard.tags = vec![("warden:exempt".into(), "b".into())];
        let (outcome, _) = handle(guard, Mode::Remediate, event("Change")).await;
        assert_eq!(
            summary(&outcome),
            (Status::Remediated, None, vec![("a", true)])
        );

        let mut guard = Fake::breaking(&["a"]);
        guard.tags = vec![("warden:exempt".into(), "all until=2001-01-01".into())];
        let (outcome, _) = handle(guard, Mode::Observe, event("Change")).await;
        assert_eq!(
            summary(&outcome),
            (Status::Observed, None, vec![("a", false)])
        );
    }
}
