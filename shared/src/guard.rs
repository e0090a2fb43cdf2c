//! What a guard is: a pure half (its settings, how it reads an event, its
//! rules and how their fixes combine into writes) and an I/O half (the
//! [`Adapter`] that reads and writes the resource through the SDK).
//!
//! The pure half never holds an SDK client, so no rule can reach AWS: a rule
//! sees the guard's settings and an [`Input`] (the target, its state as read,
//! and what the triggering event did), and returns findings and fixes.

use crate::config::{ConfigError, Env};
use crate::error::{AwsCall, GuardError};
use crate::event::{CloudTrailEvent, EventError};
use crate::rule::Rule;
use std::fmt::Debug;
use std::future::Future;

/// A resource a guard checks: anything with an ARN.
pub trait Resource: Send + Sync + Clone + Debug {
    fn arn(&self) -> &str;
}

/// A guard's pure half. Built once per cold start from typed settings.
pub trait Guard: Send + Sync + Sized + 'static {
    /// The guard's name in outcomes, logs and metrics (`bucket-guard`).
    const NAME: &'static str;
    /// The calls every check makes whatever rules are in force: the tags read
    /// for exemptions. The least-privilege test adds them to the rules' calls.
    const READS: &'static [AwsCall];

    /// One resource the rules look at (a bucket, a user, a trail).
    type Target: Resource;
    /// Everything the rules read of one target, read in one go.
    type State: Send + Sync + Debug;
    /// What an event tells beyond the resource's state: what the call did
    /// (a `StopLogging` proves the trail was logging). Rules that need it run
    /// on the event path only.
    type Evidence: Send + Sync + Debug;
    /// One finding's typed fix.
    type Fix: Send + Sync + Clone + Debug;
    /// The writes that make a set of fixes on one target.
    type Plan: Send + Sync + Debug;
    /// The I/O half.
    type Adapter: Adapter<Self>;

    /// The guard from the function's settings, and its adapter with its
    /// clients built from `aws`: the one way `main` and the tests build it.
    /// A setting that is missing or wrong refuses the start.
    fn start(
        env: &(impl Env + ?Sized),
        aws: &aws_config::SdkConfig,
    ) -> Result<(Self, Self::Adapter), ConfigError>;

    /// Every rule, in the order findings are reported.
    fn rules(&self) -> &'static [&'static dyn Rule<Self>];

    /// Reads an event once: not handled, skipped, malformed, or which
    /// targets to check with what evidence.
    fn read_event(&self, event: &CloudTrailEvent) -> Reading<Self::Target, Self::Evidence>;

    /// What a target that cannot be found means, given what the event did:
    /// `None` (the default) skips it as gone; a state is checked like any
    /// other (a `DeleteTrail` whose trail is gone is the deletion itself).
    fn missing(&self, _evidence: Option<&Self::Evidence>) -> Option<Self::State> {
        None
    }

    /// The part of a target's state that `rule`'s fix writes, whole and
    /// exactly as read: what an audit record keeps as before- and
    /// after-state, and what rollback compares and restores. `Null` (the
    /// default) when the rule writes nothing that can be restored.
    fn written(&self, _rule: &str, _state: &Self::State) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// Combines the fixes of one target's findings into the writes that make
    /// them. A fix the writes cannot carry (a policy that would pass S3's size
    /// limit) is held back, by its index in `fixes`, with the reason.
    fn plan(&self, input: &Input<'_, Self>, fixes: &[&Self::Fix]) -> Composed<Self::Plan>;
}

/// The I/O half of a guard: built once with its SDK clients.
pub trait Adapter<G: Guard>: Send + Sync {
    /// Reads a target's current state and tags; `None` when it no longer
    /// exists.
    fn read(
        &self,
        target: &G::Target,
    ) -> impl Future<Output = Result<Option<Snapshot<G::State>>, GuardError>> + Send;

    /// Makes the plan's writes. Immediately before each write the adapter
    /// re-reads what it is about to replace; if that changed since the plan
    /// was built, it writes nothing more and answers [`Applied::Changed`], and
    /// the pipeline checks again from a fresh read.
    fn apply(
        &self,
        target: &G::Target,
        plan: &G::Plan,
    ) -> impl Future<Output = Result<Applied, GuardError>> + Send;
}

/// What applying a plan came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Every write was made.
    Done,
    /// The resource changed between the read the plan was built on and a
    /// write (someone else wrote in between): that write, and any after it,
    /// was not made. Says what changed.
    Changed(String),
}

/// How a guard reads an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading<T, E> {
    /// Not one of the guard's events, and why.
    NotHandled(String),
    /// One of its events that needs no check, and why (a failed sign-in).
    Skip(String),
    /// A field the guard needs is missing or unreadable.
    Malformed(EventError),
    /// Check these targets with this evidence.
    Check(Check<T, E>),
}

impl<T, E> Reading<T, E> {
    /// "`PutObject` from `s3.amazonaws.com` is not an event bucket-guard handles".
    pub fn not_handled(guard: &str, event: &CloudTrailEvent) -> Self {
        Reading::NotHandled(format!(
            "{} from {} is not an event {guard} handles",
            event.detail.event_name, event.detail.event_source
        ))
    }
}

/// The targets an event names and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check<T, E> {
    pub targets: Vec<T>,
    pub evidence: E,
    /// The event created the targets: a read that cannot find one yet is
    /// eventual consistency worth a short retry, not a deletion.
    pub just_created: bool,
}

impl<T, E> Check<T, E> {
    pub fn one(target: T, evidence: E) -> Self {
        Self {
            targets: vec![target],
            evidence,
            just_created: false,
        }
    }

    pub fn created(mut self, just_created: bool) -> Self {
        self.just_created = just_created;
        self
    }
}

/// A resource's state and its tags (for exemptions).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot<S> {
    pub state: S,
    pub tags: Vec<(String, String)>,
}

/// What a rule looks at.
pub struct Input<'a, G: Guard> {
    pub target: &'a G::Target,
    pub state: &'a G::State,
    /// What the triggering event did; `None` on the resource path (a sweep).
    pub evidence: Option<&'a G::Evidence>,
}

impl<G: Guard> Debug for Input<'_, G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("target", self.target)
            .field("state", self.state)
            .field("evidence", &self.evidence)
            .finish()
    }
}

impl<G: Guard> Clone for Input<'_, G> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<G: Guard> Copy for Input<'_, G> {}

impl<G: Guard> Input<'_, G> {
    pub fn arn(&self) -> &str {
        self.target.arn()
    }
}

/// The writes for one target, and the fixes they could not carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Composed<P> {
    pub plan: P,
    /// `(index into the fixes, why)` for each fix held back.
    pub held: Vec<(usize, String)>,
}

impl<P> Composed<P> {
    pub fn all(plan: P) -> Self {
        Self { plan, held: vec![] }
    }
}

/// Every IAM action a guard's checks and fixes may need: the calls made for
/// every target and each rule's reads and fixes, sorted and without
/// repeats. The template's role for the guard is tested against this list.
pub fn permissions<G: Guard>(guard: &G) -> Vec<&'static str> {
    let mut actions: Vec<&'static str> = G::READS
        .iter()
        .chain(guard.rules().iter().flat_map(|rule| {
            let calls = rule.calls();
            calls.reads.iter().chain(calls.fixes.iter())
        }))
        .map(|call| call.permission)
        .collect();
    actions.sort_unstable();
    actions.dedup();
    actions
}
