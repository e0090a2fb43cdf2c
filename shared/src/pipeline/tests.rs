//! The pipeline over an in-memory guard (a fake guard and store); the
//! cases are in the child modules.

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
                calls: Calls::NONE,
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

    /// Nothing to read: the fake blocks no fix and its store is empty.
    fn start(
        _env: &(impl crate::config::Env + ?Sized),
        _aws: &SdkConfig,
    ) -> Result<(Self, Store), crate::ConfigError> {
        Ok((Fake { blocked: vec![] }, Store::with(&[])))
    }

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

/// A `Change` event on a thing that breaks `breaks`, by the fake that
/// blocks nothing.
async fn change(breaks: &[&'static str], mode: Mode) -> (Outcome, Store) {
    handle(thing(breaks), mode, event("Change")).await
}

/// The store with one thing, `thing`, that breaks `breaks`.
fn thing(breaks: &[&'static str]) -> Store {
    Store::with(&[("thing", breaks)])
}

/// The summary of an outcome where `b` needs a human and `a` was fixed.
fn b_held_a_fixed() -> (Status, Option<&'static str>, Vec<(&'static str, bool)>) {
    (
        Status::Notified,
        Some("b needs a human"),
        vec![("a", true), ("b", false)],
    )
}

fn summary(outcome: &Outcome) -> (Status, Option<&str>, Vec<(&str, bool)>) {
    let findings = outcome
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.applied))
        .collect();
    (outcome.status, outcome.reason.as_deref(), findings)
}

mod failures;
mod paths;
