//! tag-guard's two rules. `sensitive-tag` stands on a resource's tags as
//! they are now (an event and a sweep alike); `sensitive-field` needs the
//! event, whose free-form fields cannot be read back later.

use crate::tagging::{READS, WRITES};
use crate::{CallEvidence, TagFix, TagGuard, TagState, TagTarget, rule};
use serde_json::{Value, json};
use warden_shared::detect::{Detection, TagAction};
use warden_shared::mask::mask_spans;
use warden_shared::{Calls, Change, Found, Input, Meta, Remedy, Rule, RuleSpec, Severity};

/// Every rule, in the order findings are reported.
pub static ALL: [&dyn Rule<TagGuard>; 2] = [&SensitiveTag, &SensitiveField];

/// "an email address j***@e***.com (high), a phone number ***43 (medium)".
fn describe(detections: &[Detection]) -> String {
    let parts: Vec<String> = detections
        .iter()
        .map(|d| format!("{} {} ({})", d.detector, d.masked, d.confidence))
        .collect();
    parts.join(", ")
}

/// What a tag finding is about.
#[derive(Debug, Clone)]
pub enum TagFinding {
    /// A resource's tag, with what the value is to be masked as and the
    /// first detector (whose marker a redaction writes).
    OnResource {
        key: String,
        masked: String,
        marker: &'static str,
    },
    /// A tag the event wrote on a resource Warden cannot identify.
    Unresolved { key: String },
}

/// No tag holds a detected sensitive value.
pub struct SensitiveTag;

impl RuleSpec<TagGuard> for SensitiveTag {
    type Found = TagFinding;
    const META: Meta = Meta::standing(
        rule::SENSITIVE_TAG,
        Severity::High,
        Calls {
            reads: READS,
            fixes: WRITES,
        },
    );

    fn check(&self, guard: &TagGuard, input: &Input<'_, TagGuard>) -> Vec<Found<TagFinding>> {
        match (input.target, input.state) {
            (TagTarget::Resource(_), TagState::Tags(tags)) => tags
                .iter()
                .filter(|(key, _)| *key != guard.exemption_tag)
                .filter_map(|(key, value)| {
                    let detections = guard.detectors.scan(key, value);
                    let first = detections.first()?;
                    let finding = TagFinding::OnResource {
                        key: key.clone(),
                        masked: mask_spans(value, &detections),
                        marker: first.detector.redaction_marker(),
                    };
                    Some(
                        Found::new(
                            format!("tag `{key}` holds {}", describe(&detections)),
                            finding,
                        )
                        .about(key),
                    )
                })
                .collect(),
            (TagTarget::Call { .. }, _) => {
                let unresolved = input
                    .evidence
                    .map_or(&[][..], |e: &CallEvidence| &e.unresolved_tags);
                unresolved
                    .iter()
                    .filter_map(|(key, value)| {
                        let detections = guard.detectors.scan(key, value);
                        if detections.is_empty() {
                            return None;
                        }
                        let evidence = format!("tag `{key}` holds {}", describe(&detections));
                        Some(
                            Found::new(evidence, TagFinding::Unresolved { key: key.clone() })
                                .about(key),
                        )
                    })
                    .collect()
            }
            (TagTarget::Resource(_), TagState::Call) => vec![],
        }
    }

    fn fix(
        &self,
        guard: &TagGuard,
        input: &Input<'_, TagGuard>,
        finding: &TagFinding,
    ) -> Remedy<TagFix> {
        match finding {
            TagFinding::OnResource {
                key,
                masked,
                marker,
            } => {
                let replacement = match guard.action {
                    TagAction::Redact => Some(marker.to_string()),
                    TagAction::Remove => None,
                };
                let change = Change {
                    action: format!("{}-tag", guard.action),
                    before: json!({"key": key, "value": masked}),
                    after: replacement
                        .as_ref()
                        .map_or(Value::Null, |v| json!({"key": key, "value": v})),
                };
                Remedy::Fix {
                    changes: vec![change],
                    fix: TagFix {
                        key: key.clone(),
                        replacement,
                    },
                }
            }
            TagFinding::Unresolved { key } => Remedy::manual(format!(
                "tag `{key}` was written by {}, whose resource Warden cannot identify: remove it by hand",
                input.arn()
            )),
        }
    }
}

/// No free-form field (name, description, author) of a create or update
/// call holds a detected sensitive value. Such fields cannot be changed
/// after creation: report only.
pub struct SensitiveField;

impl RuleSpec<TagGuard> for SensitiveField {
    type Found = String;
    const META: Meta = Meta::event(
        rule::SENSITIVE_FIELD,
        Severity::High,
        Calls {
            reads: &[],
            fixes: &[],
        },
    );

    fn check(&self, guard: &TagGuard, input: &Input<'_, TagGuard>) -> Vec<Found<String>> {
        let (TagTarget::Call { .. }, Some(evidence)) = (input.target, input.evidence) else {
            return vec![];
        };
        evidence
            .fields
            .iter()
            .filter_map(|field| {
                let detections = guard.detectors.scan(&field.name, &field.value);
                if detections.is_empty() {
                    return None;
                }
                let evidence = format!(
                    "field `{}` holds {}: `{}`",
                    field.name,
                    describe(&detections),
                    mask_spans(&field.value, &detections)
                );
                Some(Found::new(evidence, field.name.clone()).about(&field.name))
            })
            .collect()
    }

    fn fix(&self, _: &TagGuard, _: &Input<'_, TagGuard>, name: &String) -> Remedy<TagFix> {
        Remedy::manual(format!(
            "`{name}` cannot be changed after creation: recreate the resource without it"
        ))
    }
}
