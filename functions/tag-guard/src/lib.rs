//! tag-guard: customers' e-mail addresses, AWS account numbers, credentials
//! and other sensitive values never stay in tags, and are reported when they
//! appear in free-form fields (names, descriptions, authors), which end up in
//! billing and diagnostic logs.
//!
//! [`shapes`] reads where each service puts its tags; an event names each
//! tagged resource as a target of its own (its tags re-read, never trusted
//! from the event, and its own exemptions), and the call itself as one more
//! target when it carries free-form fields or tags on a resource Warden
//! cannot identify. [`rules`] scans them; [`tagging::Tagging`] reads and
//! writes tags through the Resource Groups Tagging API, with the services'
//! own calls where that API cannot.

pub mod restore;
pub mod rules;
pub mod services;
pub mod shapes;
pub mod tagging;

use serde_json::Value;
use shapes::{FreeFormField, ResourceRef};
use warden_shared::aws::SdkConfig;
use warden_shared::config::{self, Env};
use warden_shared::detect::{
    AccountIdsInIdentifiers, AllowList, DetectorId, Detectors, TagAction, parse_detector_list,
};
use warden_shared::{
    AwsCall, Check, CloudTrailEvent, Composed, Config, ConfigError, Guard, Input, Reading,
    Resource, Rule,
};

/// Rule names, as they appear in findings, metrics and exemption tags.
pub mod rule {
    pub const SENSITIVE_TAG: &str = "sensitive-tag";
    pub const SENSITIVE_FIELD: &str = "sensitive-field";
}

/// tag-guard's settings and rules.
#[derive(Debug, Clone)]
pub struct TagGuard {
    pub detectors: Detectors,
    pub action: TagAction,
    /// The exemption tag key, which is itself never scanned.
    pub exemption_tag: String,
}

impl TagGuard {
    pub const DETECTORS: &'static str = "WARDEN_DETECTORS";
    pub const ALLOW: &'static str = "WARDEN_ALLOW";
    pub const TAG_ACTION: &'static str = "WARDEN_TAG_ACTION";
    /// `ignore` (the default) or `report`: whether an account id that is
    /// part of an AWS identifier (an ARN, a service URL, a name AWS
    /// generates) is reported, as a low-severity, notify-only finding.
    pub const ACCOUNT_IDS_IN_ARNS: &'static str = "WARDEN_ACCOUNT_IDS_IN_ARNS";

    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        let detectors = parse_detector_list(&env.value(Self::DETECTORS).unwrap_or_default())
            .map_err(|entry| ConfigError::Invalid {
                var: Self::DETECTORS,
                value: entry,
                allowed: format!(
                    "a comma-separated list of {} (empty: all)",
                    DetectorId::ALL.map(DetectorId::as_str).join(", ")
                ),
            })?;
        let allow = AllowList::parse(&env.value(Self::ALLOW).unwrap_or_default()).map_err(|entry| ConfigError::Invalid {
            var: Self::ALLOW,
            value: entry,
            allowed: "comma-separated values or @domains never flagged (e.g. noreply@example.com,@example.com)".into(),
        })?;
        let identifiers = config::choice(
            env,
            Self::ACCOUNT_IDS_IN_ARNS,
            AccountIdsInIdentifiers::ALL,
            AccountIdsInIdentifiers::Ignore,
        )?;
        Ok(Self {
            detectors: Detectors::new(detectors, allow)
                .with_account_ids_in_identifiers(identifiers),
            action: config::choice(env, Self::TAG_ACTION, TagAction::ALL, TagAction::Redact)?,
            exemption_tag: env
                .value(Config::EXEMPTION_TAG)
                .unwrap_or_else(|| Config::DEFAULT_EXEMPTION_TAG.into()),
        })
    }
}

/// What one check of tag-guard looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagTarget {
    /// A tagged resource: its current tags are read and scanned.
    Resource(ResourceRef),
    /// The call itself (the ARN of what a create call made, or
    /// `eventSource/eventName`): its free-form fields and the tags it wrote
    /// on a resource Warden cannot identify, scanned from the event.
    Call { origin: String },
}

impl Resource for TagTarget {
    fn arn(&self) -> &str {
        match self {
            TagTarget::Resource(resource) => &resource.arn,
            TagTarget::Call { origin } => origin,
        }
    }
}

/// What was read for a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagState {
    /// A resource's tags as they are now.
    Tags(Vec<(String, String)>),
    /// The call: nothing to read, the event is the evidence.
    Call,
}

/// What the event wrote that only the event can show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallEvidence {
    /// Free-form fields of a create or update call.
    pub fields: Vec<FreeFormField>,
    /// Tags written on a resource Warden could not identify.
    pub unresolved_tags: Vec<(String, String)>,
}

/// One tag to change: its new value, or `None` to remove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFix {
    pub key: String,
    pub replacement: Option<String>,
}

/// One tag change on a resource, as the adapter makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagChange {
    pub resource: ResourceRef,
    pub key: String,
    pub replacement: Option<String>,
    /// The [`fingerprint`] of the value the plan was made on: the adapter
    /// re-reads the tag just before writing and leaves it alone if it
    /// changed (the value itself is never kept in a plan).
    pub seen: u64,
}

/// A fingerprint of a tag value, to tell whether it changed without
/// keeping it.
pub fn fingerprint(value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagPlan {
    pub changes: Vec<TagChange>,
}

impl Guard for TagGuard {
    const NAME: &'static str = "tag-guard";
    /// A resource's tags are its state and its exemptions alike.
    const READS: &'static [AwsCall] = tagging::READS;
    type Target = TagTarget;
    type State = TagState;
    type Evidence = CallEvidence;
    type Fix = TagFix;
    type Plan = TagPlan;
    type Adapter = tagging::Tagging;

    fn start(
        env: &(impl Env + ?Sized),
        aws: &SdkConfig,
    ) -> Result<(Self, tagging::Tagging), ConfigError> {
        Ok((Self::from_env(env)?, tagging::Tagging::new(aws)))
    }

    fn rules(&self) -> &'static [&'static dyn Rule<Self>] {
        &rules::ALL
    }

    fn read_event(&self, event: &CloudTrailEvent) -> Reading<TagTarget, CallEvidence> {
        let detail = &event.detail;
        let name = &detail.event_name;
        let tagging = shapes::shape(&detail.event_source, name).is_some();
        if !tagging && !shapes::is_create_or_update(name) {
            return Reading::not_handled(Self::NAME, event);
        }
        if shapes::is_high_volume(&detail.event_source, name) {
            return Reading::Skip(format!(
                "{name} from {} is a high-volume machine call with nothing to scan",
                detail.event_source
            ));
        }
        let touched = match shapes::touched(event) {
            Ok(touched) => touched,
            Err(err) => return Reading::Malformed(err),
        };
        let evidence = CallEvidence {
            fields: touched.fields,
            unresolved_tags: touched.unresolved_tags,
        };
        let mut targets: Vec<TagTarget> = touched
            .resources
            .into_iter()
            .map(TagTarget::Resource)
            .collect();
        // A create call's new resource may not be readable for a moment.
        let just_created = !tagging && !targets.is_empty();
        // The call is checked when it carries something to scan, and when it
        // names nothing else (a create call with clean fields is compliant).
        if targets.is_empty() || !evidence.fields.is_empty() || !evidence.unresolved_tags.is_empty()
        {
            let origin = first_arn(&detail.response_elements)
                .unwrap_or_else(|| format!("{}/{}", detail.event_source, detail.event_name));
            targets.push(TagTarget::Call { origin });
        }
        Reading::Check(Check {
            targets,
            evidence,
            just_created,
        })
    }

    /// The tags the rule changes, masked: a detected value is never
    /// recorded (see [`restore`], which is why no tag change rolls back).
    fn written(&self, rule: &str, state: &TagState) -> Value {
        restore::written(self, rule, state)
    }

    fn plan(&self, input: &Input<'_, Self>, fixes: &[&TagFix]) -> Composed<TagPlan> {
        let TagTarget::Resource(resource) = input.target else {
            return Composed::all(TagPlan::default());
        };
        let current = |key: &str| match input.state {
            TagState::Tags(tags) => tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()),
            TagState::Call => None,
        };
        Composed::all(TagPlan {
            changes: fixes
                .iter()
                .map(|fix| TagChange {
                    resource: resource.clone(),
                    key: fix.key.clone(),
                    replacement: fix.replacement.clone(),
                    seen: fingerprint(current(&fix.key).unwrap_or_default()),
                })
                .collect(),
        })
    }
}

fn first_arn(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if s.starts_with("arn:") => Some(s.clone()),
        Value::Object(map) => map.values().find_map(first_arn),
        Value::Array(list) => list.iter().find_map(first_arn),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
