//! Any JSON as an EventBridge event, in two passes.
//!
//! 1. Through the real [`Pipeline::handle`] of every guard, whose event
//!    reading is the guard's own ([`Quiet`] lends it everything but I/O):
//!    the answer is always an outcome, never an error or a panic; an event
//!    that is not one to check is skipped with the pipeline's own reason, an
//!    unreadable one fails with `malformed event: <the field>`; every
//!    skipped or failed outcome says why; the outcome names the event it
//!    read and serialises.
//! 2. What each guard's `read_event` makes of the event, through the guard's
//!    real rules and plan ([`assess`]) on a state that breaks them: no panic,
//!    every event that asks for a check names something to check, and no
//!    value tag-guard detects in the event's tags or fields appears in the
//!    outcome except where the same text is shown by design (a tag key, a
//!    field name, a resource ARN, the event's id and name).

use bucket_guard::{BucketGuard, BucketState};
use mfa_guard::MfaGuard;
use mfa_guard::subject::{MfaState, Subject, UserState};
use serde_json::Value;
use std::future::Future;
use std::sync::LazyLock;
use tag_guard::{TagGuard, TagState, TagTarget};
use trail_guard::selectors::Selectors;
use trail_guard::{TrailGuard, TrailSettings, TrailState};
use warden_shared::outcome::Checked;
use warden_shared::rule::assess;
use warden_shared::{
    Adapter, Applied, CloudTrailEvent, Composed, Config, Context, Exemption, Guard, GuardError,
    Input, Outcome, Pipeline, Reading, Resource, Rule, Snapshot, Status,
};

/// A guard's pure half with none of its I/O: it reads events exactly as the
/// guard does and knows what a missing target means as the guard does, but
/// has no rules and an adapter that finds nothing, so the pipeline runs from
/// the raw event to the outcome without an AWS call.
pub struct Quiet<G>(pub G);

impl<G: Guard> Guard for Quiet<G> {
    const NAME: &'static str = G::NAME;
    const READS: &'static [warden_shared::AwsCall] = G::READS;
    type Target = G::Target;
    type State = G::State;
    type Evidence = G::Evidence;
    type Fix = ();
    type Plan = ();
    type Adapter = Gone;

    /// The guard as it starts, with its adapter set aside for one that
    /// finds nothing.
    fn start(
        env: &(impl warden_shared::config::Env + ?Sized),
        aws: &warden_shared::aws::SdkConfig,
    ) -> Result<(Self, Gone), warden_shared::ConfigError> {
        let (guard, _) = G::start(env, aws)?;
        Ok((Quiet(guard), Gone))
    }

    fn rules(&self) -> &'static [&'static dyn Rule<Self>] {
        &[]
    }

    fn read_event(&self, event: &CloudTrailEvent) -> Reading<G::Target, G::Evidence> {
        self.0.read_event(event)
    }

    fn missing(&self, evidence: Option<&G::Evidence>) -> Option<G::State> {
        self.0.missing(evidence)
    }

    fn plan(&self, _: &Input<'_, Self>, _: &[&()]) -> Composed<()> {
        Composed::all(())
    }
}

/// An adapter for which every target is already gone.
pub struct Gone;

impl<G: Guard> Adapter<Quiet<G>> for Gone {
    fn read(
        &self,
        _: &G::Target,
    ) -> impl Future<Output = Result<Option<Snapshot<G::State>>, GuardError>> + Send {
        async { Ok(None) }
    }

    fn apply(
        &self,
        _: &G::Target,
        _: &(),
    ) -> impl Future<Output = Result<Applied, GuardError>> + Send {
        async { Ok(Applied::Done) }
    }
}

/// The guards as a deployment configures them, built once per fuzzing
/// process like a cold start.
struct World {
    /// The pipeline sleeps between reads of a bucket created a moment ago;
    /// a paused clock jumps over the sleeps.
    runtime: tokio::runtime::Runtime,
    bucket: BucketGuard,
    tag: TagGuard,
    mfa: MfaGuard,
    trail: TrailGuard,
    pipelines: Pipelines,
}

struct Pipelines {
    bucket: Pipeline<Quiet<BucketGuard>>,
    tag: Pipeline<Quiet<TagGuard>>,
    mfa: Pipeline<Quiet<MfaGuard>>,
    trail: Pipeline<Quiet<TrailGuard>>,
}

const ENV: &[(&str, &str)] = &[
    ("AWS_REGION", "us-east-1"),
    ("WARDEN_MODE", "observe"),
    (
        "WARDEN_SELF_ARN",
        "arn:aws:iam::123456789012:role/warden-*,arn:aws:iam::123456789012:role/WardenBucketGuardRole",
    ),
    (
        "WARDEN_QUARANTINE_POLICY_ARN",
        "arn:aws:iam::123456789012:policy/WardenMfaQuarantine",
    ),
];

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let config = Config::from_env(ENV).expect("the fuzz configuration is valid");
    let bucket = BucketGuard::from_env(ENV).expect("bucket-guard settings");
    let tag = TagGuard::from_env(ENV).expect("tag-guard settings");
    let mfa = MfaGuard::from_env(ENV).expect("mfa-guard settings");
    let trail = TrailGuard::from_env(ENV).expect("trail-guard settings");
    World {
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a current-thread runtime"),
        pipelines: Pipelines {
            bucket: quiet(bucket.clone(), &config),
            tag: quiet(tag.clone(), &config),
            mfa: quiet(mfa.clone(), &config),
            trail: quiet(trail.clone(), &config),
        },
        bucket,
        tag,
        mfa,
        trail,
    }
});

fn quiet<G: Guard>(guard: G, config: &Config) -> Pipeline<Quiet<G>> {
    Pipeline::new(Quiet(guard), Gone, config.clone(), None)
}

/// The property, for one input.
pub fn check(data: &[u8]) {
    // The Lambda runtime hands the handler parsed JSON; anything else never
    // reaches Warden.
    let Ok(raw) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let world = &*WORLD;
    through_pipeline(world, &world.pipelines.bucket, &raw);
    through_pipeline(world, &world.pipelines.tag, &raw);
    through_pipeline(world, &world.pipelines.mfa, &raw);
    through_pipeline(world, &world.pipelines.trail, &raw);

    // Every guard reads every event that parses, even one the pipeline would
    // skip first: reading must never depend on that order to be safe.
    let Ok(event) = CloudTrailEvent::parse(&raw) else {
        return;
    };
    let context = Context::of_event(&event);
    let bucket_state = BucketState::default();
    rules_on(&world.bucket, &event, &context, |_| {
        Some(bucket_state.clone())
    });
    rules_on(&world.mfa, &event, &context, |subject| {
        Some(match subject {
            Subject::User(_) => MfaState::User(UserState {
                console_password: true,
                ..UserState::default()
            }),
            Subject::Root { .. } => MfaState::Root,
        })
    });
    rules_on(&world.trail, &event, &context, |_| {
        Some(TrailState::Live(TrailSettings {
            is_logging: false,
            log_file_validation: false,
            is_multi_region: false,
            include_global_service_events: false,
            kms_key_id: None,
            selectors: Selectors::default(),
        }))
    });
    tag_guard_never_shows_what_it_detects(&world.tag, &event, &context);
}

fn through_pipeline<G: Guard>(world: &World, pipeline: &Pipeline<Quiet<G>>, raw: &Value) {
    let outcome = world
        .runtime
        .block_on(pipeline.handle(raw.clone()))
        .unwrap_or_else(|err| panic!("{}: an invocation error, not an outcome: {err}", G::NAME));
    let json = serde_json::to_value(&outcome).expect("an outcome serialises");
    assert_eq!(json["guard"], G::NAME);
    assert!(
        outcome.status == Status::Compliant || outcome.reason.is_some(),
        "{}: {} without a reason: {json}",
        G::NAME,
        outcome.status
    );
    if let Some(why) = CloudTrailEvent::not_to_check(raw) {
        assert_eq!(outcome.status, Status::Skipped, "{}: {json}", G::NAME);
        assert_eq!(outcome.reason.as_deref(), Some(why.as_str()));
        return;
    }
    let event = match CloudTrailEvent::parse(raw) {
        Ok(event) => event,
        Err(err) => {
            assert_eq!(outcome.status, Status::Failed, "{}: {json}", G::NAME);
            assert_eq!(
                outcome.reason.as_deref(),
                Some(format!("malformed event: {err}").as_str())
            );
            let (id, name) = CloudTrailEvent::identify(raw);
            assert_eq!(outcome.event_id, id);
            assert_eq!(outcome.event_name, name);
            return;
        }
    };
    assert_eq!(
        outcome.event_id.as_deref(),
        Some(event.detail.event_id.as_str())
    );
    assert_eq!(
        outcome.event_name.as_deref(),
        Some(event.detail.event_name.as_str())
    );
    // No rules, no I/O: what is left is a skip, a malformed field, or a
    // target that was gone (or, for a deletion, whose absence is the state).
    match outcome.status {
        Status::Skipped | Status::Compliant => {}
        Status::Failed => assert!(
            outcome
                .reason
                .as_deref()
                .is_some_and(|r| r.starts_with("malformed event: event field `")),
            "{}: failed for another reason than a named field: {json}",
            G::NAME
        ),
        other => panic!("{}: {other} from a guard without rules: {json}", G::NAME),
    }
}

/// Runs the guard's rules on each target the event names, in the state
/// `state` gives it, and serialises the outcome.
fn rules_on<G: Guard>(
    guard: &G,
    event: &CloudTrailEvent,
    context: &Context,
    state: impl Fn(&G::Target) -> Option<G::State>,
) -> Option<Value> {
    let Reading::Check(check) = guard.read_event(event) else {
        return None;
    };
    assert!(
        !check.targets.is_empty(),
        "{}: a check of nothing for {}",
        G::NAME,
        event.detail.event_name
    );
    let mut checked = Vec::new();
    for target in &check.targets {
        let Some(state) = state(target).or_else(|| guard.missing(Some(&check.evidence))) else {
            continue;
        };
        let input = Input {
            target,
            state: &state,
            evidence: Some(&check.evidence),
        };
        let assessment = assess(guard, &input, &Exemption::None);
        checked.push(Checked {
            resource: target.arn().to_string(),
            status: if assessment.findings.is_empty() {
                Status::Compliant
            } else {
                Status::Observed
            },
            reason: None,
            findings: assessment.findings.into_iter().map(|p| p.finding).collect(),
            unassessed: vec![],
        });
    }
    let outcome = Outcome::of(G::NAME, context.trigger.clone(), checked);
    Some(serde_json::to_value(&outcome).expect("an outcome serialises"))
}

/// tag-guard on the event's own tags and fields: a tagged resource is taken
/// to hold what the event wrote on it.
fn tag_guard_never_shows_what_it_detects(
    guard: &TagGuard,
    event: &CloudTrailEvent,
    context: &Context,
) {
    let written = tag_guard::shapes::tags_in(&event.detail.request_parameters);
    let Some(outcome) = rules_on(guard, event, context, |target| {
        Some(match target {
            TagTarget::Resource(_) => TagState::Tags(written.clone()),
            TagTarget::Call { .. } => TagState::Call,
        })
    }) else {
        return;
    };
    let Reading::Check(check) = guard.read_event(event) else {
        unreachable!("read twice, read alike");
    };
    let mut scanned: Vec<(String, String)> = written.clone();
    scanned.extend(check.evidence.unresolved_tags.iter().cloned());
    scanned.extend(
        check
            .evidence
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.value.clone())),
    );
    // Shown as they are by design: tag keys, field names, resources.
    let mut shown: Vec<String> = scanned.iter().map(|(key, _)| key.clone()).collect();
    shown.extend(check.targets.iter().map(|t| t.arn().to_string()));
    shown.push(guard.exemption_tag.clone());
    // And what names the event: its id and name are in every outcome.
    shown.push(event.detail.event_id.clone());
    shown.push(event.detail.event_name.clone());

    let mut texts = Vec::new();
    crate::strings(&outcome, &mut texts);
    for (key, value) in &scanned {
        if *key == guard.exemption_tag {
            continue;
        }
        for detection in guard.detectors.scan(key, value) {
            let secret = &value[detection.span.clone()];
            if shown.iter().any(|s| s.contains(secret)) {
                continue;
            }
            if let Some(leak) = texts.iter().find(|t| t.contains(secret)) {
                panic!(
                    "tag-guard shows the {} it detected in `{key}` in clear: {leak:?}",
                    detection.detector
                );
            }
        }
    }
}
