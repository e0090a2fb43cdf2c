//! One test kit for every guard: a guard describes its fixture once (its
//! cases, how to seed each, how to read the resources back, a bad setting,
//! the call to deny), and the generic suites here run every event file in
//! every mode, replays, alerts, the refused start, an unreachable AWS, access
//! denied and the runtime loop for it.
//!
//! A guard's tests are then its fixture (the case table) plus its own edge
//! cases; [`guard_suites!`](crate::guard_suites) writes the rest. Fixture
//! modules are shared by several test crates, so they carry
//! `#![allow(dead_code, unreachable_pub, clippy::unwrap_used,
//! clippy::expect_used)]`.
//!
//! ```ignore
//! mod fixture;
//! warden_tests::guard_suites!(fixture::Buckets, env!("CARGO_BIN_EXE_bucket-guard"));
//! ```
//!
//! `warden-local` runs the same cases and views through the same binaries.

mod binary;
mod faults;
mod suites;

pub use binary::*;
pub use faults::faults_on_every_write;
pub use suites::*;

use crate::fixtures::GuardEvents;
use serde_json::Value;
use std::fmt::Debug;
use std::future::Future;
use warden_shared::{AwsCall, Guard, Pipeline};

/// What one guard's tests describe once.
pub trait Fixture: Sized + Send + Sync + 'static {
    type Guard: Guard;
    /// The state of a case's resources, read back through the SDK
    /// independently of the guard's own adapter.
    type View: Debug + PartialEq + Clone + Send + Sync;
    /// The emulator clients a run uses (and what it set up once, such as
    /// mfa-guard's quarantine policy).
    type World: Send + Sync;
    /// How a case's resources are put in place before its event.
    type Seed: Copy + Debug + Send + Sync;

    const EVENTS: GuardEvents;
    /// Warden's own role, as `WARDEN_SELF_ARN` and the sample events name it.
    const SELF_ROLE: &'static str;
    /// A setting the function must refuse at start: variable, value, the
    /// init error's message.
    const BAD_SETTING: (&'static str, &'static str, &'static str);
    /// The access-denied case: the event file whose fix makes `DENIED`,
    /// which the function's credentials do not allow.
    const DENIAL_FILE: &'static str;
    const DENIED: AwsCall;
    /// Actions moto checks in place of IAM's for some calls (it authorises
    /// S3 sub-resources under its default bucket actions), granted with the
    /// guard's own in the access-denied test.
    const MOTO_ACTIONS: &'static [&'static str] = &[];
    /// Settings under which the cases make other fix calls (tag-guard's
    /// `remove`, mfa-guard's `disable-console`): the fault suite runs the
    /// cases under them too.
    const OTHER_SETTINGS: &'static [(&'static str, &'static str)] = &[];
    /// Fix calls no case in the table makes against moto, each with why;
    /// the fault suite checks every other one.
    const WRITES_NOT_REACHED: &'static [(&'static str, &'static str)] = &[];

    /// One case per file in `events/<guard>/`.
    fn cases() -> Vec<Case<Self>>;

    fn world(endpoint: &str) -> impl Future<Output = Self::World> + Send;

    /// Seeds a case under a fresh name that carries `tag`.
    fn seed(
        world: &Self::World,
        case: &Case<Self>,
        tag: &str,
    ) -> impl Future<Output = Seeded> + Send;

    /// Reads the case's resources back; `None` when it seeded nothing.
    fn view(
        world: &Self::World,
        seeded: &Seeded,
    ) -> impl Future<Output = Option<Self::View>> + Send;

    /// The guard's own settings as the template passes them (beyond mode
    /// and Warden's role), for example mfa-guard's quarantine policy.
    fn settings(_world: &Self::World) -> Vec<(String, String)> {
        vec![]
    }

    /// The SDK configuration of the world's emulator.
    fn aws(world: &Self::World) -> &aws_config::SdkConfig;

    /// The pipeline in process, as `main` builds it.
    fn pipeline(world: &Self::World, env: &[(String, String)]) -> Pipeline<Self::Guard> {
        pipeline(env, Self::aws(world))
    }

    /// The ARN an event about the resource called `name` names, for the
    /// unreachable-endpoint check (the event file is `DENIAL_FILE`).
    fn resource_arn(name: &str) -> String;

    /// Rows for the local run's before/after table.
    fn describe(view: &Self::View) -> Vec<(String, String)>;

    /// Tags the seeded case's resource with the exemption tag
    /// (`warden:exempt`) set to `value`.
    fn exempt(world: &Self::World, seeded: &Seeded, value: &str)
    -> impl Future<Output = ()> + Send;
}

/// The fixture's world on the moto every test of the process shares.
pub async fn shared_world<F: Fixture>() -> F::World {
    F::world(crate::moto().endpoint()).await
}

/// A guard's pipeline as its `main` builds it: the shared settings and the
/// guard's own read from `env`, the adapter's clients from `aws`.
pub fn pipeline<G: Guard>(env: &[(String, String)], aws: &aws_config::SdkConfig) -> Pipeline<G> {
    let config = warden_shared::Config::from_env(env).expect("valid settings");
    let (guard, adapter) = G::start(env, aws).expect("valid guard settings");
    Pipeline::build(guard, adapter, config, aws)
}

/// One event file: how its resources are seeded, the settings it runs
/// under, and what must come out in `remediate` mode.
pub struct Case<F: Fixture> {
    pub file: &'static str,
    pub seed: F::Seed,
    pub env: Vec<(&'static str, &'static str)>,
    /// The outcome in `remediate` mode (findings `applied`).
    pub expect: fn(&Seeded) -> Value,
    /// The resources after remediation, given their state before.
    pub after: fn(&Seeded, &F::View) -> F::View,
}

/// What seeding a case made: the name it used, the event naming it, and
/// the ARNs the expectations refer to.
#[derive(Debug, Clone, PartialEq)]
pub struct Seeded {
    pub name: String,
    pub event: Value,
    pub arns: Vec<String>,
}

impl Seeded {
    pub fn new(name: String, event: Value) -> Self {
        Self {
            name,
            event,
            arns: vec![],
        }
    }

    /// The ARN at `index` in [`Seeded::arns`].
    pub fn arn(&self, index: usize) -> &str {
        self.arns.get(index).map_or("", String::as_str)
    }
}

/// `event` through `F`'s pipeline in `remediate` mode with Warden's role,
/// the settings the fixture's world needs and the guard's own settings
/// `own` (none: the defaults): its outcome.
pub async fn remediate<F: Fixture>(world: &F::World, own: &[(&str, &str)], event: Value) -> Value {
    let env = settings_with::<F>(world, "remediate", own);
    crate::fixtures::handle(&F::pipeline(world, &env), event).await
}

/// Writes the helpers a fixture gives its guard's edge cases, for the
/// fixture type `$fixture`: `emulator()` (its world on the shared moto),
/// `pipeline(world, env)` (as `main` builds it), `remediate(world, own,
/// event)` ([`remediate`]) and `outcome(event, status, reason, findings)`
/// (the guard's exact outcome for an event).
#[macro_export]
macro_rules! fixture_helpers {
    ($fixture:ty) => {
        pub async fn emulator() -> $crate::kit::WorldOf<$fixture> {
            $crate::kit::shared_world::<$fixture>().await
        }

        pub fn pipeline(
            world: &$crate::kit::WorldOf<$fixture>,
            env: &[(String, String)],
        ) -> $crate::kit::PipelineOf<$fixture> {
            <$fixture as $crate::kit::Fixture>::pipeline(world, env)
        }

        pub async fn remediate(
            world: &$crate::kit::WorldOf<$fixture>,
            own: &[(&str, &str)],
            event: $crate::kit::Json,
        ) -> $crate::kit::Json {
            $crate::kit::remediate::<$fixture>(world, own, event).await
        }

        pub fn outcome(
            event: &$crate::kit::Json,
            status: &str,
            reason: Option<&str>,
            findings: Vec<$crate::kit::Json>,
        ) -> $crate::kit::Json {
            let guard = <$fixture as $crate::kit::Fixture>::EVENTS.guard;
            $crate::fixtures::outcome(guard, event, status, reason, findings)
        }
    };
}

/// What [`fixture_helpers!`](crate::fixture_helpers) names: a fixture's
/// world, its guard's pipeline, and an event or outcome.
pub type WorldOf<F> = <F as Fixture>::World;
pub type PipelineOf<F> = Pipeline<<F as Fixture>::Guard>;
pub type Json = Value;

/// The state before, unchanged: what cases that change nothing expect.
pub fn unchanged<V: Clone>(_: &Seeded, before: &V) -> V {
    before.clone()
}

/// Writes the generic suites as tests of the calling crate: `$fixture`
/// implements [`Fixture`]; `$binary` is the function's binary
/// (`env!("CARGO_BIN_EXE_<guard>")`).
#[macro_export]
macro_rules! guard_suites {
    ($fixture:ty, $binary:expr) => {
        #[test]
        fn every_event_file_has_a_case() {
            $crate::kit::every_event_file_has_a_case::<$fixture>();
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn every_event_file_in_remediate_mode() {
            $crate::kit::remediate_every_file::<$fixture>().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn observe_mode_changes_nothing_and_still_returns_the_plan() {
            $crate::kit::observe_every_file::<$fixture>().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn replaying_a_fixed_event_writes_nothing() {
            $crate::kit::replay_every_fix::<$fixture>().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn exemption_tags_switch_off_their_rules_until_they_expire() {
            $crate::kit::exemptions::<$fixture>().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_resource_gone_before_the_function_runs_is_skipped() {
            $crate::kit::a_resource_gone_is_skipped::<$fixture>().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn every_write_throttled_failing_cut_off_denied_or_over_quota() {
            $crate::kit::faults_on_every_write::<$fixture>().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn notify_mode_publishes_every_finding_and_changes_nothing() {
            $crate::kit::notify_publishes::<$fixture>().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn every_event_file_through_the_runtime_loop() {
            $crate::kit::runtime_loop::<$fixture>(::std::path::Path::new($binary)).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn observe_mode_through_the_runtime_loop_changes_nothing() {
            $crate::kit::runtime_loop_observe::<$fixture>(::std::path::Path::new($binary)).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_bad_setting_stops_the_start_and_names_the_variable() {
            $crate::kit::refused_start::<$fixture>(::std::path::Path::new($binary)).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn an_unreachable_aws_endpoint_is_an_invocation_error_naming_the_call() {
            $crate::kit::unreachable_endpoint::<$fixture>(::std::path::Path::new($binary)).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn access_denied_fails_the_check_naming_the_missing_permission() {
            $crate::kit::access_denied::<$fixture>(::std::path::Path::new($binary)).await;
        }
    };
}
