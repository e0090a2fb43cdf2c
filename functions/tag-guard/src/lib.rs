//! tag-guard: customers' e-mail addresses, AWS account numbers, credentials
//! and other sensitive values never stay in tags, and are reported when they
//! appear in free-form fields (names, descriptions, authors), which end up in
//! billing and diagnostic logs.
//!
//! [`shapes`] reads where each service puts its tags; [`evaluate`] is the pure
//! step over the tags as they are now (re-read, never trusted from the event);
//! [`tagging::Tagging`] reads and writes tags through the Resource Groups
//! Tagging API, with IAM's own calls for users and roles.

pub mod shapes;
pub mod tagging;

use serde_json::{Value, json};
use shapes::{FreeFormField, ResourceRef, Touched};
use warden_shared::config::{self, Env};
use warden_shared::detect::{AllowList, Detection, Detectors, TagAction, parse_detector_list};
use warden_shared::exempt::{Date, Exemption};
use warden_shared::mask::mask_spans;
use warden_shared::pipeline::{Assessment, Guard, Planned, Snapshot};
use warden_shared::{
    Change, CloudTrailEvent, Config, ConfigError, EventError, Finding, GuardError, Severity,
};

/// Rule names, as they appear in findings, metrics and exemption tags.
pub mod rule {
    pub const SENSITIVE_TAG: &str = "sensitive-tag";
    pub const SENSITIVE_FIELD: &str = "sensitive-field";
}

/// tag-guard's own settings.
#[derive(Debug, Clone)]
pub struct TagRules {
    pub detectors: Detectors,
    pub action: TagAction,
    /// The exemption tag key: each resource in an event carries its own.
    pub exemption_tag: String,
}

impl TagRules {
    pub const DETECTORS: &'static str = "WARDEN_DETECTORS";
    pub const ALLOW: &'static str = "WARDEN_ALLOW";
    pub const TAG_ACTION: &'static str = "WARDEN_TAG_ACTION";

    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        let detectors = parse_detector_list(&env.value(Self::DETECTORS).unwrap_or_default()).map_err(|entry| {
            ConfigError::Invalid {
                var: Self::DETECTORS,
                value: entry,
                allowed: "a comma-separated list of email, aws-account-id, aws-access-key-id, aws-secret-access-key, \
                          url-credentials, private-key, payment-card, phone-number (empty: all)"
                    .into(),
            }
        })?;
        let allow = AllowList::parse(&env.value(Self::ALLOW).unwrap_or_default()).map_err(|entry| ConfigError::Invalid {
            var: Self::ALLOW,
            value: entry,
            allowed: "comma-separated values or @domains never flagged (e.g. noreply@example.com,@example.com)".into(),
        })?;
        Ok(Self {
            detectors: Detectors::new(detectors, allow),
            action: config::choice(env, Self::TAG_ACTION, &TagAction::ALL, TagAction::Redact)?,
            exemption_tag: env
                .value(Config::EXEMPTION_TAG)
                .unwrap_or_else(|| Config::DEFAULT_EXEMPTION_TAG.into()),
        })
    }
}

/// What an event touched, and where it came from (for findings about
/// values Warden cannot tie to a resource ARN).
#[derive(Debug, Clone)]
pub struct TagTarget {
    pub touched: Touched,
    /// `eventSource/eventName`, or the ARN of what a create call made.
    pub origin: String,
}

/// One resource's tags as they are now; `None` when it no longer exists.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceTags {
    pub resource: ResourceRef,
    pub tags: Option<Vec<(String, String)>>,
}

#[derive(Debug, Clone)]
pub struct TagState {
    pub resources: Vec<ResourceTags>,
    pub unresolved_tags: Vec<(String, String)>,
    pub fields: Vec<FreeFormField>,
    /// For per-resource exemption expiries, read with the state so that
    /// evaluate stays a pure function.
    pub today: Date,
}

/// One tag to change: its new value, or `None` to remove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagChange {
    pub resource: ResourceRef,
    pub key: String,
    pub replacement: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagPlan {
    pub changes: Vec<TagChange>,
}

/// "an email address j***@e***.com (high), a phone number ***43 (medium)".
fn describe(detections: &[Detection]) -> String {
    let parts: Vec<String> = detections
        .iter()
        .map(|d| format!("{} {} ({})", d.detector, d.masked, d.confidence))
        .collect();
    parts.join(", ")
}

/// The pure step: scans the current tags, the tags Warden could not tie to a
/// resource, and free-form fields.
pub fn evaluate(
    rules: &TagRules,
    target: &TagTarget,
    state: &TagState,
    exemption: &Exemption,
) -> Assessment<TagPlan> {
    let mut findings = Vec::new();
    let mut plan = TagPlan::default();

    if !exemption.covers(rule::SENSITIVE_TAG) {
        for ResourceTags { resource, tags } in &state.resources {
            let Some(tags) = tags else { continue };
            if resource_exempt(rules, tags, state.today) {
                continue;
            }
            for (key, value) in tags.iter().filter(|(key, _)| *key != rules.exemption_tag) {
                let detections = rules.detectors.scan(key, value);
                let Some(first) = detections.first() else {
                    continue;
                };
                let replacement = match rules.action {
                    TagAction::Redact => Some(first.detector.redaction_marker().to_string()),
                    TagAction::Remove => None,
                };
                let change = Change {
                    action: format!("{}-tag", rules.action),
                    before: json!({"key": key, "value": mask_spans(value, &detections)}),
                    after: replacement
                        .as_ref()
                        .map_or(Value::Null, |v| json!({"key": key, "value": v})),
                };
                let evidence = format!("tag `{key}` holds {}", describe(&detections));
                let finding =
                    Finding::new(rule::SENSITIVE_TAG, &resource.arn, evidence, vec![change])
                        .with_severity(Severity::High);
                findings.push(Planned::fixable(finding).about(key.clone()));
                plan.changes.push(TagChange {
                    resource: resource.clone(),
                    key: key.clone(),
                    replacement,
                });
            }
        }
        for (key, value) in &state.unresolved_tags {
            let detections = rules.detectors.scan(key, value);
            if detections.is_empty() {
                continue;
            }
            let evidence = format!("tag `{key}` holds {}", describe(&detections));
            let finding = Finding::new(rule::SENSITIVE_TAG, &target.origin, evidence, vec![])
                .with_severity(Severity::High);
            let why = format!(
                "tag `{key}` was written by {}, whose resource Warden cannot identify: remove it by hand",
                target.origin
            );
            findings.push(Planned::blocked(finding, why).about(key.clone()));
        }
    }

    if !exemption.covers(rule::SENSITIVE_FIELD) {
        for field in &state.fields {
            let detections = rules.detectors.scan(&field.name, &field.value);
            if detections.is_empty() {
                continue;
            }
            let evidence = format!(
                "field `{}` holds {}: `{}`",
                field.name,
                describe(&detections),
                mask_spans(&field.value, &detections)
            );
            let finding = Finding::new(rule::SENSITIVE_FIELD, &target.origin, evidence, vec![])
                .with_severity(Severity::High);
            let why = format!(
                "`{}` cannot be changed after creation: recreate the resource without it",
                field.name
            );
            findings.push(Planned::blocked(finding, why).about(field.name.clone()));
        }
    }

    Assessment { findings, plan }
}

fn resource_exempt(rules: &TagRules, tags: &[(String, String)], today: Date) -> bool {
    tags.iter()
        .find(|(key, _)| *key == rules.exemption_tag)
        .and_then(|(_, value)| Exemption::from_tag(value, today).ok())
        .is_some_and(|exemption| exemption.covers(rule::SENSITIVE_TAG))
}

/// The guard the pipeline runs.
pub struct TagGuard {
    tagging: tagging::Tagging,
    rules: TagRules,
}

impl TagGuard {
    pub fn new(tagging: tagging::Tagging, rules: TagRules) -> Self {
        Self { tagging, rules }
    }
}

impl Guard for TagGuard {
    const NAME: &'static str = "tag-guard";
    type Target = TagTarget;
    type State = TagState;
    type Plan = TagPlan;

    fn handles(&self, event: &CloudTrailEvent) -> bool {
        let name = &event.detail.event_name;
        shapes::shape(&event.detail.event_source, name).is_some()
            || shapes::is_create_or_update(name)
    }

    fn target(&self, event: &CloudTrailEvent) -> Result<TagTarget, EventError> {
        let touched = shapes::touched(event)?;
        let created = first_arn(&event.detail.response_elements);
        let origin = created.unwrap_or_else(|| {
            format!("{}/{}", event.detail.event_source, event.detail.event_name)
        });
        Ok(TagTarget { touched, origin })
    }

    fn resource_arn(&self, target: &TagTarget) -> String {
        match target.touched.resources.as_slice() {
            [one] => one.arn.clone(),
            _ => target.origin.clone(),
        }
    }

    async fn read(&self, target: &TagTarget) -> Result<Option<Snapshot<TagState>>, GuardError> {
        let resources = self.tagging.read(&target.touched.resources).await?;
        // Every resource gone, and nothing else to scan: the event is moot.
        let nothing_left = !resources.is_empty() && resources.iter().all(|r| r.tags.is_none());
        if nothing_left
            && target.touched.fields.is_empty()
            && target.touched.unresolved_tags.is_empty()
        {
            return Ok(None);
        }
        Ok(Some(Snapshot {
            state: TagState {
                resources,
                unresolved_tags: target.touched.unresolved_tags.clone(),
                fields: target.touched.fields.clone(),
                today: Date::today(),
            },
            // Exemptions are per resource, read inside evaluate.
            tags: vec![],
        }))
    }

    fn evaluate(
        &self,
        target: &TagTarget,
        state: &TagState,
        exemption: &Exemption,
    ) -> Assessment<TagPlan> {
        evaluate(&self.rules, target, state, exemption)
    }

    async fn apply(&self, _target: &TagTarget, plan: &TagPlan) -> Result<(), GuardError> {
        self.tagging.write(&plan.changes).await
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
mod tests {
    use super::*;

    fn rules(action: TagAction) -> TagRules {
        TagRules {
            detectors: Detectors::all(),
            action,
            exemption_tag: "warden:exempt".into(),
        }
    }

    fn resource(arn: &str) -> ResourceRef {
        ResourceRef::from_arn(arn.into())
    }

    fn state(tags: &[(&str, &str)]) -> TagState {
        TagState {
            resources: vec![ResourceTags {
                resource: resource("arn:aws:sns:us-east-1:123456789012:t"),
                tags: Some(
                    tags.iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
            }],
            unresolved_tags: vec![],
            fields: vec![],
            today: Date::parse("2026-11-23").unwrap(),
        }
    }

    fn target() -> TagTarget {
        TagTarget {
            touched: Touched::default(),
            origin: "sns.amazonaws.com/TagResource".into(),
        }
    }

    #[test]
    fn redacts_only_the_tags_that_hold_a_finding() {
        let a = evaluate(
            &rules(TagAction::Redact),
            &target(),
            &state(&[("owner", "jane.doe@example.com"), ("env", "prod")]),
            &Exemption::None,
        );
        assert_eq!(a.findings.len(), 1);
        let finding = serde_json::to_value(&a.findings[0].finding).unwrap();
        assert_eq!(
            finding,
            json!({"rule": "sensitive-tag", "resource": "arn:aws:sns:us-east-1:123456789012:t",
                   "evidence": "tag `owner` holds email j***@e***.com (high)",
                   "changes": [{"action": "redact-tag", "before": {"key": "owner", "value": "j***@e***.com"},
                                "after": {"key": "owner", "value": "[redacted:email]"}}],
                   "applied": false, "severity": "high"})
        );
        assert_eq!(
            a.plan.changes,
            vec![TagChange {
                resource: resource("arn:aws:sns:us-east-1:123456789012:t"),
                key: "owner".into(),
                replacement: Some("[redacted:email]".into())
            }]
        );
    }

    #[test]
    fn remove_mode_deletes_the_tag() {
        let a = evaluate(
            &rules(TagAction::Remove),
            &target(),
            &state(&[("owner", "jane.doe@example.com")]),
            &Exemption::None,
        );
        assert_eq!(a.findings[0].finding.changes[0].action, "remove-tag");
        assert_eq!(a.findings[0].finding.changes[0].after, Value::Null);
        assert_eq!(a.plan.changes[0].replacement, None);
    }

    #[test]
    fn exempt_resources_and_rules_are_left_alone() {
        let tagged = state(&[
            ("owner", "jane.doe@example.com"),
            ("warden:exempt", "sensitive-tag until=2027-01-01"),
        ]);
        assert!(
            evaluate(
                &rules(TagAction::Redact),
                &target(),
                &tagged,
                &Exemption::None
            )
            .findings
            .is_empty()
        );
        let expired = state(&[
            ("owner", "jane.doe@example.com"),
            ("warden:exempt", "all until=2026-01-01"),
        ]);
        assert_eq!(
            evaluate(
                &rules(TagAction::Redact),
                &target(),
                &expired,
                &Exemption::None
            )
            .findings
            .len(),
            1
        );
        let untouched = state(&[("owner", "jane.doe@example.com")]);
        let rule_exempt = Exemption::Rules(vec!["sensitive-tag".into()]);
        assert!(
            evaluate(
                &rules(TagAction::Redact),
                &target(),
                &untouched,
                &rule_exempt
            )
            .findings
            .is_empty()
        );
    }

    #[test]
    fn free_form_fields_and_unresolved_tags_are_notify_only() {
        let mut s = state(&[]);
        s.fields = vec![FreeFormField {
            name: "author".into(),
            value: "jane.doe@example.com".into(),
        }];
        s.unresolved_tags = vec![("contact".into(), "ops@customer-corp.com".into())];
        let a = evaluate(&rules(TagAction::Redact), &target(), &s, &Exemption::None);
        let blocked: Vec<(&str, bool)> = a
            .findings
            .iter()
            .map(|p| (p.finding.rule.as_str(), p.blocked.is_some()))
            .collect();
        assert_eq!(
            blocked,
            vec![("sensitive-tag", true), ("sensitive-field", true)]
        );
        assert_eq!(a.plan, TagPlan::default());
        assert_eq!(
            a.findings[1].finding.evidence,
            "field `author` holds email j***@e***.com (high): `j***@e***.com`"
        );
        assert_eq!(
            a.findings[1].blocked.as_deref(),
            Some("`author` cannot be changed after creation: recreate the resource without it")
        );
    }

    #[test]
    fn nothing_detected_nothing_planned() {
        let clean = state(&[
            ("env", "prod"),
            ("commit", "9fceb02d0ae598e95dc970b74767f19372d61af8"),
            ("build", "2026-11-20T09:10:29Z"),
        ]);
        let a = evaluate(
            &rules(TagAction::Redact),
            &target(),
            &clean,
            &Exemption::None,
        );
        assert!(a.findings.is_empty());
    }

    #[test]
    fn settings() {
        let env = [
            ("WARDEN_DETECTORS", "email, phone-number"),
            ("WARDEN_ALLOW", "@example.com"),
            ("WARDEN_TAG_ACTION", "remove"),
        ];
        let parsed = TagRules::from_env(&env[..]).unwrap();
        assert_eq!(parsed.action, TagAction::Remove);
        assert_eq!(parsed.detectors.enabled().len(), 2);
        assert!(
            parsed
                .detectors
                .scan("owner", "jane@example.com")
                .is_empty(),
            "allow-listed domain"
        );
        let err = TagRules::from_env(&[("WARDEN_TAG_ACTION", "mask")][..]).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"WARDEN_TAG_ACTION="mask" is not valid: use one of redact, remove"#
        );
        let err = TagRules::from_env(&[("WARDEN_DETECTORS", "email,ssn")][..]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"WARDEN_DETECTORS="ssn" is not valid"#),
            "{err}"
        );
    }
}
