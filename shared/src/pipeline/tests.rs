//! The pipeline over an in-memory guard: modes, read-back, skips, eventual
//! consistency, exemptions, scopes, both ways in, and events that name
//! several resources.

use super::*;
use crate::event::EventError;
use crate::guard::{Applied, Check, Composed};
use crate::identity::SelfArns;
use crate::outcome::Severity;
use crate::rule::{Calls, Found, Meta, Remedy, Rule, RuleSpec, Scope};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;

/// A thing named by an event's `names`; its state is the list of rules it
/// currently breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Thing {
    arn: String,
}

impl Resource for Thing {
    fn arn(&self) -> &str {
        &self.arn
    }
}

/// The pure half: which rules cannot be fixed automatically.
struct Fake {
    blocked: Vec<&'static str>,
}

/// The in-memory world. `broken_apply` makes apply report success without
/// changing anything.
#[derive(Default)]
struct Store {
    things: Mutex<HashMap<String, Vec<&'static str>>>,
    tags: Vec<(String, String)>,
    broken_apply: bool,
    applies: Mutex<u32>,
    /// Reads that find nothing before the thing shows up.
    invisible_reads: Mutex<u32>,
    /// What the next applies meet instead of writing, in order.
    faults: Mutex<Vec<Fault>>,
    /// Rules the first apply also breaks, as someone else writing meanwhile.
    side_effect: Mutex<Vec<&'static str>>,
}

enum Fault {
    Fail(GuardError),
    /// The thing is changed to break these rules just before the write.
    ChangedTo(Vec<&'static str>),
}

impl Store {
    fn with(things: &[(&str, &[&'static str])]) -> Self {
        let store = Store::default();
        for (name, rules) in things {
            store
                .things
                .lock()
                .unwrap()
                .insert(arn(name), rules.to_vec());
        }
        store
    }

    fn breaks(&self, name: &str) -> Option<Vec<&'static str>> {
        self.things.lock().unwrap().get(&arn(name)).cloned()
    }
}

fn arn(name: &str) -> String {
    format!("arn:aws:fake:::{name}")
}

/// A rule that fires while the thing's state lists it.
struct Breaks<const N: usize>;

macro_rules! breaks_rule {
    ($n:literal, $name:literal, $scope:expr) => {
        impl RuleSpec<Fake> for Breaks<$n> {
            type Found = ();
            const META: Meta = Meta {
                name: $name,
                severity: Severity::Medium,
                scope: $scope,
                calls: Calls {
                    reads: &[],
                    fixes: &[],
                },
            };
            fn check(&self, _: &Fake, input: &Input<'_, Fake>) -> Vec<Found<()>> {
                if input.state.contains(&$name) {
                    vec![Found::new(format!("{} is broken", $name), ())]
                } else {
                    vec![]
                }
            }
            fn fix(&self, guard: &Fake, _: &Input<'_, Fake>, _: &()) -> Remedy<&'static str> {
                if guard.blocked.contains(&$name) {
                    Remedy::manual(format!("{} needs a human", $name))
                } else {
                    Remedy::Fix {
                        changes: vec![],
                        fix: $name,
                    }
                }
            }
        }
    };
}

breaks_rule!(0, "a", Scope::Standing);
breaks_rule!(1, "b", Scope::Standing);
breaks_rule!(2, "e", Scope::Event);

static RULES: [&dyn Rule<Fake>; 3] = [&Breaks::<0>, &Breaks::<1>, &Breaks::<2>];

impl Guard for Fake {
    const NAME: &'static str = "fake-guard";
    const READS: &'static [crate::AwsCall] = &[];
    type Target = Thing;
    type State = Vec<&'static str>;
    type Evidence = ();
    type Fix = &'static str;
    type Plan = Vec<&'static str>;
    type Adapter = Store;

    fn rules(&self) -> &'static [&'static dyn Rule<Self>] {
        &RULES
    }

    fn read_event(&self, event: &CloudTrailEvent) -> Reading<Thing, ()> {
        match event.detail.event_name.as_str() {
            "Change" | "Create" => {}
            "Ignore" => return Reading::Skip("the guard ignores it".into()),
            other => {
                return Reading::NotHandled(format!("{other} is not an event fake-guard handles"));
            }
        }
        let Some(names) = event.detail.request_parameters["names"].as_array() else {
            return Reading::Malformed(EventError::missing("detail.requestParameters.names"));
        };
        let targets = names
            .iter()
            .filter_map(Value::as_str)
            .map(|name| Thing { arn: arn(name) })
            .collect();
        Reading::Check(Check {
            targets,
            evidence: (),
            just_created: event.detail.event_name == "Create",
        })
    }

    fn plan(&self, _: &Input<'_, Self>, fixes: &[&&'static str]) -> Composed<Vec<&'static str>> {
        Composed::all(fixes.iter().map(|f| **f).collect())
    }
}

impl Adapter<Fake> for Store {
    async fn read(&self, thing: &Thing) -> Result<Option<Snapshot<Vec<&'static str>>>, GuardError> {
        let mut invisible = self.invisible_reads.lock().unwrap();
        if *invisible > 0 {
            *invisible -= 1;
            return Ok(None);
        }
        let state = self.things.lock().unwrap().get(&thing.arn).cloned();
        Ok(state.map(|state| Snapshot {
            state,
            tags: self.tags.clone(),
        }))
    }

    async fn apply(&self, thing: &Thing, plan: &Vec<&'static str>) -> Result<Applied, GuardError> {
        *self.applies.lock().unwrap() += 1;
        let fault = {
            let mut faults = self.faults.lock().unwrap();
            (!faults.is_empty()).then(|| faults.remove(0))
        };
        match fault {
            Some(Fault::Fail(err)) => return Err(err),
            Some(Fault::ChangedTo(rules)) => {
                self.things.lock().unwrap().insert(thing.arn.clone(), rules);
                return Ok(Applied::Changed("someone else wrote".into()));
            }
            None => {}
        }
        let mut things = self.things.lock().unwrap();
        if !self.broken_apply
            && let Some(state) = things.get_mut(&thing.arn)
        {
            state.retain(|rule| !plan.contains(rule));
            state.extend(self.side_effect.lock().unwrap().drain(..));
        }
        Ok(Applied::Done)
    }
}

fn config(mode: Mode) -> Config {
    Config {
        mode,
        topic_arn: None,
        self_arns: SelfArns::parse("arn:aws:iam::123456789012:role/warden-*").unwrap(),
        exemption_tag: "warden:exempt".into(),
        state: None,
        iac_changes: crate::config::IacChanges::Notify,
        sinks: Default::default(),
    }
}

fn event_on(name: &str, things: &[&str]) -> Value {
    json!({"id": "env", "account": "123456789012", "region": "us-east-1", "detail": {
        "eventID": "e-1", "eventName": name, "eventSource": "fake.amazonaws.com",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice"},
        "requestParameters": {"names": things}}})
}

fn event(name: &str) -> Value {
    event_on(name, &["thing"])
}

fn pipeline(store: Store, mode: Mode) -> Pipeline<Fake> {
    Pipeline::new(Fake { blocked: vec![] }, store, config(mode), None)
}

async fn handle(store: Store, mode: Mode, event: Value) -> (Outcome, Store) {
    handle_with(Fake { blocked: vec![] }, store, mode, event).await
}

async fn handle_with(guard: Fake, store: Store, mode: Mode, event: Value) -> (Outcome, Store) {
    let pipeline = Pipeline::new(guard, store, config(mode), None);
    let outcome = pipeline.handle(event).await.unwrap();
    (outcome, pipeline.adapter)
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
        let (outcome, store) = handle(
            Store::with(&[("thing", &["a", "b"])]),
            mode,
            event("Change"),
        )
        .await;
        assert_eq!(
            summary(&outcome),
            (status, None, vec![("a", false), ("b", false)])
        );
        assert_eq!(*store.applies.lock().unwrap(), 0);
        assert_eq!(store.breaks("thing"), Some(vec!["a", "b"]));
    }
}

#[tokio::test]
async fn the_outcome_says_what_started_the_check() {
    let (outcome, _) = handle(
        Store::with(&[("thing", &["a"])]),
        Mode::Observe,
        event("Change"),
    )
    .await;
    assert_eq!(
        serde_json::to_value(&outcome).unwrap(),
        json!({"guard": "fake-guard", "trigger": {"event": {"event_id": "e-1", "event_name": "Change"}},
               "event_id": "e-1", "event_name": "Change", "status": "observed",
               "findings": [{"rule": "a", "resource": "arn:aws:fake:::thing", "evidence": "a is broken",
                             "changes": [], "applied": false, "severity": "medium"}]})
    );
}

#[tokio::test]
async fn remediate_confirms_each_fix_by_reading_back() {
    let (outcome, store) = handle(
        Store::with(&[("thing", &["a", "b"])]),
        Mode::Remediate,
        event("Change"),
    )
    .await;
    assert_eq!(
        summary(&outcome),
        (Status::Remediated, None, vec![("a", true), ("b", true)])
    );
    assert_eq!(store.breaks("thing"), Some(vec![]));
    let (outcome, store) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(summary(&outcome), (Status::Compliant, None, vec![]));
    assert_eq!(
        *store.applies.lock().unwrap(),
        1,
        "a compliant resource is not written"
    );
}

#[tokio::test]
async fn a_fix_that_does_not_hold_is_a_failure() {
    let mut store = Store::with(&[("thing", &["a"])]);
    store.broken_apply = true;
    let (outcome, _) = handle(store, Mode::Remediate, event("Change")).await;
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
    let (outcome, store) = handle_with(
        Fake { blocked: vec!["b"] },
        Store::with(&[("thing", &["a", "b"])]),
        Mode::Remediate,
        event("Change"),
    )
    .await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Notified,
            Some("b needs a human"),
            vec![("a", true), ("b", false)]
        )
    );
    assert_eq!(store.breaks("thing"), Some(vec!["b"]));

    let (outcome, store) = handle_with(
        Fake { blocked: vec!["b"] },
        Store::with(&[("thing", &["b"])]),
        Mode::Remediate,
        event("Change"),
    )
    .await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Notified,
            Some("b needs a human"),
            vec![("b", false)]
        )
    );
    assert_eq!(*store.applies.lock().unwrap(), 0);
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
    let mut own_and_ignored = own.clone();
    own_and_ignored["detail"]["eventName"] = json!("Ignore");
    for (event, reason) in [
        (failed, "the call failed (AccessDenied), so nothing changed"),
        (read_only, "read-only call"),
        (
            super::tests::event("Describe"),
            "Describe is not an event fake-guard handles",
        ),
        (
            own,
            "caused by Warden itself (arn:aws:sts::123456789012:assumed-role/warden-Fn-1/s)",
        ),
        (
            own_and_ignored,
            "caused by Warden itself (arn:aws:sts::123456789012:assumed-role/warden-Fn-1/s)",
        ),
        (super::tests::event("Ignore"), "the guard ignores it"),
    ] {
        let store = Store::with(&[("thing", &["a"])]);
        *store.invisible_reads.lock().unwrap() = u32::MAX;
        let (outcome, store) = handle(store, Mode::Remediate, event).await;
        assert_eq!(summary(&outcome), (Status::Skipped, Some(reason), vec![]));
        assert_eq!(
            *store.invisible_reads.lock().unwrap(),
            u32::MAX,
            "no read was made"
        );
    }
}

#[tokio::test]
async fn a_malformed_event_names_the_field() {
    let mut bad = event("Change");
    bad["detail"]["requestParameters"] = json!({});
    let (outcome, _) = handle(Store::default(), Mode::Remediate, bad).await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Failed,
            Some("malformed event: event field `detail.requestParameters.names` is missing"),
            vec![]
        )
    );
}

#[tokio::test(start_paused = true)]
async fn a_resource_just_created_gets_a_short_retry() {
    let store = Store::with(&[("thing", &["a"])]);
    *store.invisible_reads.lock().unwrap() = 2;
    let (outcome, _) = handle(store, Mode::Observe, event("Create")).await;
    assert_eq!(outcome.status, Status::Observed);

    let store = Store::with(&[("thing", &["a"])]);
    *store.invisible_reads.lock().unwrap() = 4;
    let (outcome, _) = handle(store, Mode::Observe, event("Create")).await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Skipped,
            Some("arn:aws:fake:::thing no longer exists"),
            vec![]
        )
    );

    let store = Store::with(&[("thing", &["a"])]);
    *store.invisible_reads.lock().unwrap() = 1;
    let (outcome, _) = handle(store, Mode::Observe, event("Change")).await;
    assert_eq!(
        outcome.status,
        Status::Skipped,
        "no retry for a change to an existing resource"
    );
}

#[tokio::test]
async fn exemptions() {
    let mut store = Store::with(&[("thing", &["a", "b"])]);
    store.tags = vec![("warden:exempt".into(), "all".into())];
    let (outcome, _) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Skipped,
            Some("arn:aws:fake:::thing is exempt from every rule (tag warden:exempt)"),
            vec![]
        )
    );

    let mut store = Store::with(&[("thing", &["a", "b"])]);
    store.tags = vec![("warden:exempt".into(), "b".into())];
    let (outcome, _) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (Status::Remediated, None, vec![("a", true)])
    );

    let mut store = Store::with(&[("thing", &["a"])]);
    store.tags = vec![("warden:exempt".into(), "all until=2001-01-01".into())];
    let (outcome, _) = handle(store, Mode::Observe, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (Status::Observed, None, vec![("a", false)])
    );
}

#[tokio::test]
async fn event_rules_run_on_the_event_path_only() {
    let (outcome, _) = handle(
        Store::with(&[("thing", &["a", "e"])]),
        Mode::Observe,
        event("Change"),
    )
    .await;
    assert_eq!(
        summary(&outcome).2,
        vec![("a", false), ("e", false)],
        "an event proves what rule e needs"
    );

    let pipeline = pipeline(Store::with(&[("thing", &["a", "e"])]), Mode::Remediate);
    let context = Context::sweep("sweep-1", "123456789012", "us-east-1");
    let outcome = pipeline
        .check_resource(&Thing { arn: arn("thing") }, &context)
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&outcome).unwrap(),
        json!({"guard": "fake-guard", "trigger": {"sweep": {"sweep_id": "sweep-1"}},
               "event_id": null, "event_name": null, "status": "remediated",
               "findings": [{"rule": "a", "resource": "arn:aws:fake:::thing", "evidence": "a is broken",
                             "changes": [], "applied": true, "severity": "medium"}]}),
        "a sweep runs the standing rules only, through the same apply and read-back"
    );
    assert_eq!(pipeline.adapter.breaks("thing"), Some(vec!["e"]));
}

#[tokio::test]
async fn each_resource_of_an_event_is_checked_on_its_own() {
    let mut store = Store::with(&[("x", &["a"]), ("y", &["b"]), ("z", &[])]);
    store.broken_apply = false;
    let (outcome, store) = handle_with(
        Fake { blocked: vec!["b"] },
        store,
        Mode::Remediate,
        event_on("Change", &["x", "y", "z", "gone"]),
    )
    .await;
    let value = serde_json::to_value(&outcome).unwrap();
    assert_eq!(value["status"], "notified");
    assert_eq!(value["reason"], "b needs a human");
    assert_eq!(
        value["resources"],
        json!([
            {"resource": "arn:aws:fake:::x", "status": "remediated"},
            {"resource": "arn:aws:fake:::y", "status": "notified", "reason": "b needs a human"},
            {"resource": "arn:aws:fake:::z", "status": "compliant"},
            {"resource": "arn:aws:fake:::gone", "status": "skipped", "reason": "arn:aws:fake:::gone no longer exists"}
        ])
    );
    assert_eq!(
        summary(&outcome).2,
        vec![("a", true), ("b", false)],
        "every resource's findings, in order"
    );
    assert_eq!(store.breaks("x"), Some(vec![]));
    assert_eq!(store.breaks("y"), Some(vec!["b"]));
}

fn denied() -> GuardError {
    GuardError::AccessDenied {
        operation: "Fix",
        permission: "fake:Fix",
        resource: arn("thing"),
        message: "not authorized".into(),
    }
}

#[tokio::test]
async fn a_fix_no_retry_can_help_fails_the_check_and_still_reports_its_findings() {
    let store = Store::with(&[("thing", &["a", "b"])]);
    store.faults.lock().unwrap().push(Fault::Fail(denied()));
    let (outcome, store) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Failed,
            Some(
                "Fix on arn:aws:fake:::thing was denied: grant the function's role `fake:Fix` on it (not authorized): grant the permission to the function's role; Warden checks again on the next change or sweep"
            ),
            vec![("a", false), ("b", false)]
        )
    );
    assert_eq!(
        store.breaks("thing"),
        Some(vec!["a", "b"]),
        "nothing was changed"
    );
}

#[tokio::test]
async fn a_fix_a_retry_may_help_is_an_invocation_error() {
    let store = Store::with(&[("thing", &["a"])]);
    store
        .faults
        .lock()
        .unwrap()
        .push(Fault::Fail(GuardError::Throttled {
            operation: "Fix",
            resource: arn("thing"),
        }));
    let pipeline = pipeline(store, Mode::Remediate);
    let err = pipeline.handle(event("Change")).await.unwrap_err();
    assert_eq!(err.error_type(), "Warden.Throttled");
    assert!(
        err.to_string().starts_with("Fix on arn:aws:fake:::thing"),
        "{err}"
    );
}

#[tokio::test]
async fn a_resource_changed_under_the_fix_is_checked_again_from_a_fresh_read() {
    let store = Store::with(&[("thing", &["a"])]);
    store
        .faults
        .lock()
        .unwrap()
        .push(Fault::ChangedTo(vec!["b"]));
    let (outcome, store) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (Status::Remediated, None, vec![("b", true)]),
        "the plan was made again from what the resource holds now"
    );
    assert_eq!(*store.applies.lock().unwrap(), 2);

    let store = Store::with(&[("thing", &["a"])]);
    store
        .faults
        .lock()
        .unwrap()
        .extend([Fault::ChangedTo(vec!["a"]), Fault::ChangedTo(vec!["a"])]);
    let (outcome, _) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(outcome.status, Status::Failed);
    assert_eq!(
        outcome.reason.as_deref(),
        Some(
            "arn:aws:fake:::thing changed again while it was being fixed (someone else wrote); nothing more was written: check it by hand"
        )
    );
}

#[tokio::test]
async fn a_violation_found_on_the_read_back_is_reported_and_fixed() {
    let store = Store::with(&[("thing", &["a"])]);
    store.side_effect.lock().unwrap().push("b");
    let (outcome, store) = handle(store, Mode::Remediate, event("Change")).await;
    assert_eq!(
        summary(&outcome),
        (Status::Remediated, None, vec![("a", true), ("b", true)])
    );
    assert_eq!(store.breaks("thing"), Some(vec![]));
    assert_eq!(*store.applies.lock().unwrap(), 2, "one more round for b");
}

#[tokio::test]
async fn a_blocked_violation_found_on_the_read_back_is_reported() {
    let store = Store::with(&[("thing", &["a"])]);
    store.side_effect.lock().unwrap().push("b");
    let (outcome, _) = handle_with(
        Fake { blocked: vec!["b"] },
        store,
        Mode::Remediate,
        event("Change"),
    )
    .await;
    assert_eq!(
        summary(&outcome),
        (
            Status::Notified,
            Some("b needs a human"),
            vec![("a", true), ("b", false)]
        )
    );
}

#[tokio::test]
async fn events_that_are_not_cloudtrail_records_are_skipped_before_any_read() {
    let store = Store::with(&[("thing", &["a"])]);
    *store.invisible_reads.lock().unwrap() = u32::MAX;
    let guardduty = json!({"id": "gd-1", "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
                           "detail": {"id": "f-1", "type": "Recon:EC2/PortProbeUnprotectedPort"}});
    let (outcome, store) = handle(store, Mode::Remediate, guardduty).await;
    assert_eq!(
        serde_json::to_value(&outcome).unwrap(),
        json!({"guard": "fake-guard", "trigger": {"event": {"event_id": "gd-1", "event_name": null}},
               "event_id": "gd-1", "event_name": null, "status": "skipped",
               "reason": "not a CloudTrail event (detail-type `GuardDuty Finding`)", "findings": []})
    );
    assert_eq!(
        *store.invisible_reads.lock().unwrap(),
        u32::MAX,
        "no read was made"
    );
}
