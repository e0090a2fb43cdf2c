//! trail-guard: every CloudTrail trail that was logging keeps logging, keeps
//! log file validation on and stays multi-region; every weakening that cannot
//! be undone safely (changed event selectors, a deleted trail, logs without
//! a KMS key) is reported with what changed.
//!
//! The rules are a pure function ([`evaluate`]) of the trail the event names
//! ([`Trail`], which also carries what the event did: [`Trigger`]) and its
//! current state ([`TrailState`]); [`cloudtrail::Trails`] is the only code that
//! talks to CloudTrail, always in the trail's home region.
//!
//! Warden restores what an event took away; it never imposes a setting the
//! trail never had, and never creates a trail of its own. A `StopLogging`
//! event is the proof that the trail was logging; an `UpdateTrail` that sets
//! `enableLogFileValidation: false` or `isMultiRegionTrail: false` is the proof
//! that the setting was turned off.

pub mod cloudtrail;
pub mod selectors;

use serde_json::{Value, json};
use warden_shared::config::{self, Env};
use warden_shared::pipeline::{Assessment, Guard, Planned, Snapshot};
use warden_shared::{
    Change, CloudTrailEvent, ConfigError, EventError, Exemption, Finding, GuardError, Severity,
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

/// trail-guard's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailRules {
    /// Report trails whose logs are not encrypted with a KMS key.
    pub require_kms_key: bool,
}

impl TrailRules {
    pub const REQUIRE_KMS_KEY: &'static str = "WARDEN_REQUIRE_TRAIL_KMS_KEY";

    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        Ok(Self {
            require_kms_key: config::boolean(env, Self::REQUIRE_KMS_KEY, true)?,
        })
    }
}

/// What the event did to the trail: the evidence the rules build on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
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

/// The trail an event names, and what the event did to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trail {
    /// The trail's name (the last part of its ARN).
    pub name: String,
    pub arn: String,
    /// The trail's home region: every call about it is made there.
    pub region: String,
    /// The account that owns the trail.
    pub account: String,
    /// How the request named it (a name or an ARN), for evidence.
    pub named_as: String,
    pub trigger: Trigger,
}

/// A trail identifier from a request: its name, home region and owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailId {
    pub name: String,
    pub region: String,
    pub account: String,
    pub arn: String,
}

impl TrailId {
    /// Reads `named` (a trail name or a trail ARN) from the request field
    /// `field`. An ARN gives the home region and the owner; a bare name is
    /// the caller's own trail in the region the call was made in.
    pub fn parse(
        named: &str,
        field: &str,
        event_region: &str,
        event_account: &str,
    ) -> Result<Self, EventError> {
        let invalid = |problem: String| EventError::invalid(field, problem);
        let (name, region, account, arn) = if named.starts_with("arn:") {
            let parts: Vec<&str> = named.splitn(6, ':').collect();
            let [_, partition, service, region, account, resource] = parts[..] else {
                return Err(invalid(format!("is {named:?}, not a trail ARN")));
            };
            let name = resource.strip_prefix("trail/").unwrap_or_default();
            if service != "cloudtrail"
                || partition.is_empty()
                || region.is_empty()
                || !is_account_id(account)
                || name.is_empty()
            {
                return Err(invalid(format!(
                    "is {named:?}, not a trail ARN (arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME)"
                )));
            }
            (name, region, account, named.to_string())
        } else {
            if event_region.is_empty() {
                return Err(EventError::missing("detail.awsRegion"));
            }
            if !is_account_id(event_account) {
                return Err(EventError::invalid(
                    "account",
                    format!("is {event_account:?}, not a 12-digit AWS account id"),
                ));
            }
            let arn = format!(
                "arn:{}:cloudtrail:{event_region}:{event_account}:trail/{named}",
                warden_shared::arn::partition(event_region)
            );
            (named, event_region, event_account, arn)
        };
        if !is_trail_name(name) {
            return Err(invalid(format!(
                "names the trail {name:?}, which is not a valid trail name"
            )));
        }
        Ok(Self {
            name: name.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            arn,
        })
    }

    /// The trail an event about trails names: `requestParameters.name`, or
    /// `requestParameters.trailName` for `PutEventSelectors`.
    pub fn from_event(event: &CloudTrailEvent) -> Result<(Self, String), EventError> {
        let key = if event.detail.event_name == "PutEventSelectors" {
            "trailName"
        } else {
            "name"
        };
        let named = event.request_string(&[key])?;
        let id = Self::parse(
            &named,
            &format!("detail.requestParameters.{key}"),
            &event.detail.aws_region,
            &event.account,
        )?;
        Ok((id, named))
    }
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// CloudTrail's naming rules: 3 to 128 letters, digits, `.`, `_` and `-`,
/// starting and ending with a letter or digit.
fn is_trail_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=128).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
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

impl Trigger {
    pub fn from_event(event: &CloudTrailEvent) -> Result<Self, EventError> {
        Ok(match event.detail.event_name.as_str() {
            "StopLogging" => Trigger::StopLogging,
            "UpdateTrail" => Trigger::UpdateTrail {
                enable_log_file_validation: request_bool(event, "enableLogFileValidation")?,
                is_multi_region_trail: request_bool(event, "isMultiRegionTrail")?,
            },
            "PutEventSelectors" => Trigger::PutEventSelectors {
                summary: selectors::summarise_request(&event.detail.request_parameters),
            },
            "DeleteTrail" => Trigger::DeleteTrail,
            other => {
                return Err(EventError::invalid(
                    "detail.eventName",
                    format!("is {other:?}, not an event trail-guard handles"),
                ));
            }
        })
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

const DELETED_WHY: &str = "a deleted trail cannot be restored, and Warden never creates a trail of its own: recreate it from its source and review what happened while it was gone";
const SELECTORS_WHY: &str = "changed event selectors are not undone: Warden cannot tell which selectors the trail had before (restore them with PutEventSelectors)";
const KMS_WHY: &str = "Warden does not choose a KMS key for a trail (the key policy must let CloudTrail use it): set one with UpdateTrail --kms-key-id";

/// The pure step: findings and the plan for one trail.
pub fn evaluate(
    rules: &TrailRules,
    trail: &Trail,
    state: &TrailState,
    exemption: &Exemption,
) -> Assessment<TrailPlan> {
    let mut findings = Vec::new();
    let mut plan = TrailPlan::default();
    let finding = |rule: &str, evidence: String, changes: Vec<Change>, severity: Severity| {
        Finding::new(rule, &trail.arn, evidence, changes).with_severity(severity)
    };

    let settings = match state {
        TrailState::Live(settings) => settings,
        TrailState::Deleted => {
            if !exemption.covers(rule::TRAIL_DELETED) {
                let evidence = format!(
                    "DeleteTrail deleted the trail (requestParameters.name: {}); nothing is recorded for it any more and its settings are gone",
                    trail.named_as
                );
                findings.push(Planned::blocked(
                    finding(rule::TRAIL_DELETED, evidence, vec![], Severity::Critical),
                    DELETED_WHY,
                ));
            }
            return Assessment { findings, plan };
        }
    };

    match &trail.trigger {
        Trigger::StopLogging => {
            if !settings.is_logging && !exemption.covers(rule::TRAIL_LOGGING) {
                let change = Change {
                    action: "start-logging".into(),
                    before: json!({"IsLogging": false}),
                    after: json!({"IsLogging": true}),
                };
                findings.push(Planned::fixable(finding(
                    rule::TRAIL_LOGGING,
                    "StopLogging stopped the trail: it was logging until then and is not logging now".into(),
                    vec![change],
                    Severity::High,
                )));
                plan.start_logging = true;
            }
        }
        Trigger::UpdateTrail {
            enable_log_file_validation,
            is_multi_region_trail,
        } => {
            if *enable_log_file_validation == Some(false)
                && !settings.log_file_validation
                && !exemption.covers(rule::LOG_FILE_VALIDATION)
            {
                let change = Change {
                    action: "update-trail".into(),
                    before: json!({"LogFileValidationEnabled": false}),
                    after: json!({"LogFileValidationEnabled": true}),
                };
                findings.push(Planned::fixable(finding(
                    rule::LOG_FILE_VALIDATION,
                    "UpdateTrail turned log file validation off (enableLogFileValidation: false); it is still off".into(),
                    vec![change],
                    Severity::Medium,
                )));
                plan.enable_log_file_validation = true;
            }
            if *is_multi_region_trail == Some(false)
                && !settings.is_multi_region
                && !exemption.covers(rule::MULTI_REGION)
            {
                let change = Change {
                    action: "update-trail".into(),
                    before: json!({"IsMultiRegionTrail": false, "IncludeGlobalServiceEvents": settings.include_global_service_events}),
                    after: json!({"IsMultiRegionTrail": true, "IncludeGlobalServiceEvents": true}),
                };
                let evidence = format!(
                    "UpdateTrail made the trail single-region (isMultiRegionTrail: false); it now records events in {} only",
                    trail.region
                );
                findings.push(Planned::fixable(finding(
                    rule::MULTI_REGION,
                    evidence,
                    vec![change],
                    Severity::High,
                )));
                plan.make_multi_region = true;
                plan.include_global_service_events = !settings.include_global_service_events;
            }
        }
        Trigger::PutEventSelectors { summary } => {
            if !settings.selectors.records_write_management_events()
                && !exemption.covers(rule::MANAGEMENT_EVENTS)
            {
                let evidence = format!(
                    "the trail no longer records write management events: PutEventSelectors set {summary}"
                );
                findings.push(Planned::blocked(
                    finding(rule::MANAGEMENT_EVENTS, evidence, vec![], Severity::High),
                    SELECTORS_WHY,
                ));
            }
        }
        Trigger::DeleteTrail => {}
    }

    if rules.require_kms_key
        && settings.kms_key_id.is_none()
        && !exemption.covers(rule::LOG_ENCRYPTION)
    {
        findings.push(Planned::blocked(
            finding(
                rule::LOG_ENCRYPTION,
                "the trail's log files are not encrypted with a KMS key (SSE-KMS); they have only the S3 bucket's default encryption".into(),
                vec![],
                Severity::Medium,
            ),
            KMS_WHY,
        ));
    }

    Assessment { findings, plan }
}

/// The guard the pipeline runs.
pub struct TrailGuard {
    trails: cloudtrail::Trails,
    rules: TrailRules,
}

impl TrailGuard {
    /// `config` is the function's SDK configuration; CloudTrail clients for
    /// each home region are built from it as needed.
    pub fn new(config: &aws_config::SdkConfig, rules: TrailRules) -> Self {
        Self {
            trails: cloudtrail::Trails::new(config),
            rules,
        }
    }

    pub fn rules(&self) -> &TrailRules {
        &self.rules
    }
}

impl Guard for TrailGuard {
    const NAME: &'static str = "trail-guard";
    type Target = Trail;
    type State = TrailState;
    type Plan = TrailPlan;

    fn handles(&self, event: &CloudTrailEvent) -> bool {
        event.detail.event_source == "cloudtrail.amazonaws.com"
            && HANDLED_EVENTS.contains(&event.detail.event_name.as_str())
    }

    /// An organization trail seen from a member account: the request named
    /// a trail (by ARN) that another account owns. Only that account (the
    /// organization's management account) can be trusted to change it, and
    /// it runs its own Warden.
    fn skip(&self, event: &CloudTrailEvent) -> Option<String> {
        let (id, _) = TrailId::from_event(event).ok()?;
        (id.account != event.account).then(|| {
            format!(
                "{} belongs to account {}, not {}: an organization trail seen from a member account is guarded in the account that owns it",
                id.arn, id.account, event.account
            )
        })
    }

    fn target(&self, event: &CloudTrailEvent) -> Result<Trail, EventError> {
        let (id, named_as) = TrailId::from_event(event)?;
        Ok(Trail {
            name: id.name,
            arn: id.arn,
            region: id.region,
            account: id.account,
            named_as,
            trigger: Trigger::from_event(event)?,
        })
    }

    fn resource_arn(&self, trail: &Trail) -> String {
        trail.arn.clone()
    }

    async fn read(&self, trail: &Trail) -> Result<Option<Snapshot<TrailState>>, GuardError> {
        self.trails.read(trail).await
    }

    fn evaluate(
        &self,
        trail: &Trail,
        state: &TrailState,
        exemption: &Exemption,
    ) -> Assessment<TrailPlan> {
        evaluate(&self.rules, trail, state, exemption)
    }

    async fn apply(&self, trail: &Trail, plan: &TrailPlan) -> Result<(), GuardError> {
        self.trails.write(trail, plan).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use selectors::{BasicSelector, Selectors};

    const ARN: &str = "arn:aws:cloudtrail:us-east-1:123456789012:trail/management";

    fn rules() -> TrailRules {
        TrailRules {
            require_kms_key: true,
        }
    }

    fn trail(trigger: Trigger) -> Trail {
        Trail {
            name: "management".into(),
            arn: ARN.into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            named_as: "management".into(),
            trigger,
        }
    }

    /// A trail that meets every rule.
    fn healthy() -> TrailSettings {
        TrailSettings {
            is_logging: true,
            log_file_validation: true,
            is_multi_region: true,
            include_global_service_events: true,
            kms_key_id: Some("arn:aws:kms:us-east-1:123456789012:key/k".into()),
            selectors: Selectors::default(),
        }
    }

    fn update(validation: Option<bool>, multi_region: Option<bool>) -> Trigger {
        Trigger::UpdateTrail {
            enable_log_file_validation: validation,
            is_multi_region_trail: multi_region,
        }
    }

    fn summary(a: &Assessment<TrailPlan>) -> Vec<(&str, Option<Severity>, bool)> {
        a.findings
            .iter()
            .map(|p| {
                (
                    p.finding.rule.as_str(),
                    p.finding.severity,
                    p.blocked.is_none(),
                )
            })
            .collect()
    }

    fn run(trigger: Trigger, settings: TrailSettings) -> Assessment<TrailPlan> {
        evaluate(
            &rules(),
            &trail(trigger),
            &TrailState::Live(settings),
            &Exemption::None,
        )
    }

    #[test]
    fn a_stopped_trail_is_started_again() {
        let a = run(
            Trigger::StopLogging,
            TrailSettings {
                is_logging: false,
                ..healthy()
            },
        );
        assert_eq!(
            summary(&a),
            vec![("trail-logging", Some(Severity::High), true)]
        );
        assert_eq!(
            serde_json::to_value(&a.findings[0].finding.changes).unwrap(),
            json!([{"action": "start-logging", "before": {"IsLogging": false}, "after": {"IsLogging": true}}])
        );
        assert_eq!(
            a.plan,
            TrailPlan {
                start_logging: true,
                ..Default::default()
            }
        );
        assert!(
            run(Trigger::StopLogging, healthy()).findings.is_empty(),
            "already logging again: nothing to do"
        );
    }

    #[test]
    fn only_proven_weakenings_are_restored() {
        let weak = TrailSettings {
            is_logging: false,
            log_file_validation: false,
            is_multi_region: false,
            ..healthy()
        };
        assert!(
            run(update(None, None), weak.clone()).findings.is_empty(),
            "an UpdateTrail that did not touch them imposes nothing"
        );
        assert!(
            run(update(Some(true), Some(true)), weak.clone())
                .findings
                .is_empty()
        );
        let a = run(update(Some(false), None), weak.clone());
        assert_eq!(
            summary(&a),
            vec![("log-file-validation", Some(Severity::Medium), true)]
        );
        assert_eq!(
            a.plan,
            TrailPlan {
                enable_log_file_validation: true,
                ..Default::default()
            }
        );
    }

    #[test]
    fn single_region_goes_back_to_multi_region_with_global_events() {
        let a = run(
            update(Some(false), Some(false)),
            TrailSettings {
                log_file_validation: false,
                is_multi_region: false,
                include_global_service_events: false,
                ..healthy()
            },
        );
        assert_eq!(
            summary(&a),
            vec![
                ("log-file-validation", Some(Severity::Medium), true),
                ("multi-region", Some(Severity::High), true)
            ]
        );
        assert_eq!(
            a.findings[1].finding.evidence,
            "UpdateTrail made the trail single-region (isMultiRegionTrail: false); it now records events in us-east-1 only"
        );
        assert_eq!(
            serde_json::to_value(&a.findings[1].finding.changes).unwrap(),
            json!([{"action": "update-trail", "before": {"IsMultiRegionTrail": false, "IncludeGlobalServiceEvents": false},
                    "after": {"IsMultiRegionTrail": true, "IncludeGlobalServiceEvents": true}}])
        );
        assert_eq!(
            a.plan,
            TrailPlan {
                start_logging: false,
                enable_log_file_validation: true,
                make_multi_region: true,
                include_global_service_events: true
            }
        );
    }

    #[test]
    fn selectors_without_write_management_events_are_reported_only() {
        let trigger = Trigger::PutEventSelectors {
            summary: "eventSelectors [readWriteType=ReadOnly]".into(),
        };
        let read_only = TrailSettings {
            selectors: Selectors {
                basic: vec![BasicSelector {
                    read_write_type: Some("ReadOnly".into()),
                    include_management_events: Some(true),
                }],
                advanced: vec![],
            },
            ..healthy()
        };
        let a = run(trigger.clone(), read_only);
        assert_eq!(
            summary(&a),
            vec![("management-events", Some(Severity::High), false)]
        );
        assert_eq!(
            a.findings[0].finding.evidence,
            "the trail no longer records write management events: PutEventSelectors set eventSelectors [readWriteType=ReadOnly]"
        );
        assert_eq!(a.plan, TrailPlan::default());
        assert!(run(trigger, healthy()).findings.is_empty());
    }

    #[test]
    fn a_deleted_trail_is_critical_and_reported_only() {
        let a = evaluate(
            &rules(),
            &trail(Trigger::DeleteTrail),
            &TrailState::Deleted,
            &Exemption::None,
        );
        assert_eq!(
            summary(&a),
            vec![("trail-deleted", Some(Severity::Critical), false)]
        );
        assert_eq!(a.findings[0].blocked.as_deref(), Some(DELETED_WHY));
        assert!(
            run(Trigger::DeleteTrail, healthy()).findings.is_empty(),
            "a trail of that name exists again"
        );
    }

    #[test]
    fn logs_without_a_kms_key_are_a_lower_severity_report() {
        let no_key = TrailSettings {
            kms_key_id: None,
            ..healthy()
        };
        let a = run(Trigger::StopLogging, no_key.clone());
        assert_eq!(
            summary(&a),
            vec![("log-encryption", Some(Severity::Medium), false)]
        );
        let lenient = TrailRules {
            require_kms_key: false,
        };
        assert!(
            evaluate(
                &lenient,
                &trail(Trigger::StopLogging),
                &TrailState::Live(no_key),
                &Exemption::None
            )
            .findings
            .is_empty()
        );
    }

    #[test]
    fn exemptions_switch_off_only_their_rules() {
        let weak = TrailSettings {
            is_logging: false,
            kms_key_id: None,
            ..healthy()
        };
        let a = evaluate(
            &rules(),
            &trail(Trigger::StopLogging),
            &TrailState::Live(weak),
            &Exemption::Rules(vec!["log-encryption".into()]),
        );
        assert_eq!(
            summary(&a),
            vec![("trail-logging", Some(Severity::High), true)]
        );
        let a = evaluate(
            &rules(),
            &trail(Trigger::DeleteTrail),
            &TrailState::Deleted,
            &Exemption::Rules(vec!["trail-deleted".into()]),
        );
        assert!(a.findings.is_empty());
    }

    #[test]
    fn trail_names_and_arns() {
        let by_name = TrailId::parse("management", "f", "eu-west-1", "123456789012").unwrap();
        assert_eq!(
            by_name,
            TrailId {
                name: "management".into(),
                region: "eu-west-1".into(),
                account: "123456789012".into(),
                arn: "arn:aws:cloudtrail:eu-west-1:123456789012:trail/management".into()
            }
        );
        let by_arn = TrailId::parse(
            "arn:aws-cn:cloudtrail:cn-north-1:111122223333:trail/org.trail_1",
            "f",
            "us-east-1",
            "123456789012",
        )
        .unwrap();
        assert_eq!(
            (
                by_arn.name.as_str(),
                by_arn.region.as_str(),
                by_arn.account.as_str()
            ),
            ("org.trail_1", "cn-north-1", "111122223333")
        );
        for bad in [
            "ab",
            "-starts-badly",
            "ends-badly_",
            "has space",
            "arn:aws:s3:::bucket",
            "arn:aws:cloudtrail:us-east-1:123:trail/t1",
            "arn:aws:cloudtrail:us-east-1:123456789012:eventdatastore/x",
            "arn:aws:cloudtrail::123456789012:trail/t1",
        ] {
            assert!(
                TrailId::parse(bad, "f", "us-east-1", "123456789012").is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            TrailId::parse("management", "f", "us-east-1", "")
                .unwrap_err()
                .to_string(),
            "event field `account` is \"\", not a 12-digit AWS account id"
        );
    }

    #[test]
    fn settings() {
        let empty: [(&str, &str); 0] = [];
        assert_eq!(TrailRules::from_env(&empty[..]).unwrap(), rules());
        assert!(
            !TrailRules::from_env(&[("WARDEN_REQUIRE_TRAIL_KMS_KEY", "false")][..])
                .unwrap()
                .require_kms_key
        );
        assert_eq!(
            TrailRules::from_env(&[("WARDEN_REQUIRE_TRAIL_KMS_KEY", "no")][..])
                .unwrap_err()
                .to_string(),
            r#"WARDEN_REQUIRE_TRAIL_KMS_KEY="no" is not valid: use one of true, false"#
        );
    }
}
