//! trail-guard: every CloudTrail trail that was logging keeps logging, keeps
//! log file validation on and stays multi-region; every weakening that cannot
//! be undone safely (changed event selectors, a deleted trail, logs without
//! a KMS key) is reported with what changed.
//!
//! [`TrailGuard`] is the pure half: settings, the event reading and how the
//! fixes of the six rules ([`rules`]) combine into writes. The target is the
//! trail itself ([`Trail`]), so a trail can be checked without an event;
//! what an event did to it is the evidence ([`TrailEvidence`]).
//! [`cloudtrail::Trails`] is the only code that talks to CloudTrail, always
//! in the trail's home region.
//!
//! Warden restores what an event took away; it never imposes a setting the
//! trail never had, and never creates a trail of its own. A `StopLogging`
//! event is the proof that the trail was logging; an `UpdateTrail` that sets
//! `enableLogFileValidation: false` or `isMultiRegionTrail: false` is the proof
//! that the setting was turned off. Those rules run on the event path only;
//! `log-encryption` stands on the trail's state and runs on both paths.

pub mod calls;
pub mod cloudtrail;
pub mod ids;
pub mod restore;
pub mod rules;
pub mod selectors;

use serde_json::Value;
use warden_shared::aws::SdkConfig;
use warden_shared::config::{self, Env};
use warden_shared::{
    AwsCall, Check, CloudTrailEvent, Composed, ConfigError, EventError, Guard, Input, Reading,
    Resource, Rule,
};

/// Rule names, as they appear in findings, metrics and exemption tags.
pub mod rule {
    /// A trail that was logging (a `StopLogging` event proves it) is logging.
    pub const TRAIL_LOGGING: &str = "trail-logging";
    /// Log file validation, once turned off by `UpdateTrail`, is back on.
    pub const LOG_FILE_VALIDATION: &str = "log-file-validation";
    /// A trail made single-region by `UpdateTrail` is multi-region again.
    pub const MULTI_REGION: &str = "multi-region";
    /// After `PutEventSelectors` the trail still records write management events.
    pub const MANAGEMENT_EVENTS: &str = "management-events";
    /// A trail was deleted (`DeleteTrail`).
    pub const TRAIL_DELETED: &str = "trail-deleted";
    /// The trail's log files are encrypted with a KMS key (SSE-KMS).
    pub const LOG_ENCRYPTION: &str = "log-encryption";
}

/// The CloudTrail events that can weaken a trail.
pub const HANDLED_EVENTS: [&str; 4] = [
    "StopLogging",
    "UpdateTrail",
    "PutEventSelectors",
    "DeleteTrail",
];

/// trail-guard's settings and rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailGuard {
    /// Report trails whose logs are not encrypted with a KMS key.
    pub require_kms_key: bool,
}

impl TrailGuard {
    pub const REQUIRE_KMS_KEY: &'static str = "WARDEN_REQUIRE_TRAIL_KMS_KEY";

    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        Ok(Self {
            require_kms_key: config::boolean(env, Self::REQUIRE_KMS_KEY, true)?,
        })
    }
}

/// One trail, named by an event or by the sweeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trail {
    /// The trail's name (the last part of its ARN).
    pub name: String,
    pub arn: String,
    /// The trail's home region: every call about it is made there.
    pub region: String,
    /// The account that owns the trail.
    pub account: String,
}

impl Resource for Trail {
    fn arn(&self) -> &str {
        &self.arn
    }
}

/// What the event did to the trail: the evidence the event-only rules
/// build on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrailCall {
    /// `StopLogging`: the trail was logging until this call.
    StopLogging,
    /// `UpdateTrail`, with the two settings the guard restores as the
    /// request set them (`None`: not in the request).
    UpdateTrail {
        enable_log_file_validation: Option<bool>,
        is_multi_region_trail: Option<bool>,
    },
    /// `PutEventSelectors`, with a summary of the selectors it set.
    PutEventSelectors { summary: String },
    /// `DeleteTrail`.
    DeleteTrail,
}

/// What an event tells beyond the trail's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailEvidence {
    pub call: TrailCall,
    /// How the request named the trail (a name or an ARN).
    pub named_as: String,
}

impl TrailCall {
    pub fn from_event(event: &CloudTrailEvent) -> Result<Self, EventError> {
        Ok(match event.detail.event_name.as_str() {
            "StopLogging" => TrailCall::StopLogging,
            "UpdateTrail" => TrailCall::UpdateTrail {
                enable_log_file_validation: request_bool(event, "enableLogFileValidation")?,
                is_multi_region_trail: request_bool(event, "isMultiRegionTrail")?,
            },
            "PutEventSelectors" => TrailCall::PutEventSelectors {
                summary: selectors::summarise_request(&event.detail.request_parameters),
            },
            "DeleteTrail" => TrailCall::DeleteTrail,
            other => {
                return Err(EventError::invalid(
                    "detail.eventName",
                    format!("is {other:?}, not an event trail-guard handles"),
                ));
            }
        })
    }
}

/// A boolean request parameter; CloudTrail records them as JSON booleans,
/// some producers as strings.
fn request_bool(event: &CloudTrailEvent, key: &str) -> Result<Option<bool>, EventError> {
    match event.detail.request_parameters.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(other) => Err(EventError::invalid(
            format!("detail.requestParameters.{key}"),
            format!("is {other}, expected true or false"),
        )),
    }
}

/// A trail's settings, as `GetTrail`, `GetTrailStatus` and
/// `GetEventSelectors` report them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailSettings {
    pub is_logging: bool,
    pub log_file_validation: bool,
    pub is_multi_region: bool,
    pub include_global_service_events: bool,
    /// `None` when the logs have no KMS key (SSE-S3 only).
    pub kms_key_id: Option<String>,
    pub selectors: selectors::Selectors,
}

/// What the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrailState {
    Live(TrailSettings),
    /// The event was `DeleteTrail` and the trail is gone: still a finding,
    /// which is why this is state and not "no longer exists".
    Deleted,
}

impl TrailState {
    /// The settings of a trail that exists.
    pub fn live(&self) -> Option<&TrailSettings> {
        match self {
            TrailState::Live(settings) => Some(settings),
            TrailState::Deleted => None,
        }
    }
}

/// One rule's fix: a setting to turn back on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrailFix {
    StartLogging,
    EnableLogFileValidation,
    /// Multi-region again; global service events too when they are off
    /// (AWS requires them on a multi-region trail).
    MakeMultiRegion {
        include_global_service_events: bool,
    },
}

/// The writes that fix a trail. Only safe changes are here: they turn
/// settings back on and never touch the bucket, prefix, topic or KMS key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrailPlan {
    pub start_logging: bool,
    pub enable_log_file_validation: bool,
    pub make_multi_region: bool,
    /// AWS requires global service events on a multi-region trail.
    pub include_global_service_events: bool,
}

impl TrailPlan {
    pub fn updates_trail(&self) -> bool {
        self.enable_log_file_validation || self.make_multi_region
    }
}

impl Guard for TrailGuard {
    const NAME: &'static str = "trail-guard";
    /// The trail's tags, for exemptions.
    const READS: &'static [AwsCall] = &[calls::LIST_TAGS];
    type Target = Trail;
    type State = TrailState;
    type Evidence = TrailEvidence;
    type Fix = TrailFix;
    type Plan = TrailPlan;
    type Adapter = cloudtrail::Trails;

    fn start(
        env: &(impl Env + ?Sized),
        aws: &SdkConfig,
    ) -> Result<(Self, cloudtrail::Trails), ConfigError> {
        Ok((Self::from_env(env)?, cloudtrail::Trails::new(aws)))
    }

    fn rules(&self) -> &'static [&'static dyn Rule<Self>] {
        &rules::ALL
    }

    /// The trail the request names and what the call did to it. An
    /// organization trail seen from a member account (the request named, by
    /// ARN, a trail another account owns) is skipped: only that account (the
    /// organization's management account) can be trusted to change it, and
    /// it runs its own Warden.
    fn read_event(&self, event: &CloudTrailEvent) -> Reading<Trail, TrailEvidence> {
        let detail = &event.detail;
        if detail.event_source != "cloudtrail.amazonaws.com"
            || !HANDLED_EVENTS.contains(&detail.event_name.as_str())
        {
            return Reading::not_handled(Self::NAME, event);
        }
        let (trail, named_as) = match Trail::named_by(event) {
            Ok(named) => named,
            Err(err) => return Reading::Malformed(err),
        };
        if trail.account != event.account {
            return Reading::Skip(format!(
                "{} belongs to account {}, not {}: an organization trail seen from a member account is guarded in the account that owns it",
                trail.arn, trail.account, event.account
            ));
        }
        match TrailCall::from_event(event) {
            Ok(call) => Reading::Check(Check::one(trail, TrailEvidence { call, named_as })),
            Err(err) => Reading::Malformed(err),
        }
    }

    /// A trail that cannot be found after a `DeleteTrail` is the deletion
    /// itself; after any other call it was gone before the event was handled.
    fn missing(&self, evidence: Option<&TrailEvidence>) -> Option<TrailState> {
        evidence
            .is_some_and(|e| e.call == TrailCall::DeleteTrail)
            .then_some(TrailState::Deleted)
    }

    /// The settings `rule`'s fix turns back on, as `GetTrail` and
    /// `GetTrailStatus` name them (see [`restore`]).
    fn written(&self, rule: &str, state: &TrailState) -> Value {
        restore::written(rule, state)
    }

    /// At most one `UpdateTrail` (naming only the settings to turn back on)
    /// and one `StartLogging`.
    fn plan(&self, _: &Input<'_, Self>, fixes: &[&TrailFix]) -> Composed<TrailPlan> {
        let mut plan = TrailPlan::default();
        for fix in fixes {
            match fix {
                TrailFix::StartLogging => plan.start_logging = true,
                TrailFix::EnableLogFileValidation => plan.enable_log_file_validation = true,
                TrailFix::MakeMultiRegion {
                    include_global_service_events,
                } => {
                    plan.make_multi_region = true;
                    plan.include_global_service_events = *include_global_service_events;
                }
            }
        }
        Composed::all(plan)
    }
}

#[cfg(test)]
mod tests;
