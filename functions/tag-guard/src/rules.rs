//! tag-guard's two rules. `sensitive-tag` stands on a resource's tags as
//! they are now (an event and a sweep alike); `sensitive-field` needs the
//! event, whose free-form fields cannot be read back later.
//!
//! What a finding shows is only ever the detections' masked samples and the
//! tag key or field name (itself masked where it holds a detection): never
//! the rest of the value, which may hold what no detector recognised (a
//! second copy of an id, a token in an unknown format).

use crate::services::{self, READS, WRITES};
use crate::{CallEvidence, TagFix, TagGuard, TagState, TagTarget, rule};
use serde_json::{Value, json};
use warden_shared::detect::{Detection, TagAction, detector_ids};
use warden_shared::mask::{mask_spans, mask_texts_in_masks};
use warden_shared::{Calls, Change, Found, Input, Meta, Remedy, Rule, RuleSpec, Severity};

/// Every rule, in the order findings are reported.
pub static ALL: [&dyn Rule<TagGuard>; 2] = [&SensitiveTag, &SensitiveField];

/// Keys AWS reserves (`aws:cloudformation:stack-id`, `aws:autoscaling:groupName`):
/// nobody can change or remove them, and their values are AWS's own
/// identifiers. They are never scanned, so no change to them is ever planned.
pub fn is_reserved(key: &str) -> bool {
    key.get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
}

/// A tag key or field name as findings show it: with any detection inside
/// the name itself masked.
fn shown_name(guard: &TagGuard, name: &str) -> String {
    mask_spans(name, &guard.detectors.scan("", name))
}

/// A value as findings show it: its detections' masked samples only.
fn shown_value(detections: &[Detection]) -> String {
    let masks: Vec<&str> = detections.iter().map(|d| d.masked.as_str()).collect();
    masks.join(" … ")
}

fn ids(detections: &[Detection]) -> Vec<String> {
    detector_ids(detections)
        .into_iter()
        .map(|id| id.as_str().to_string())
        .collect()
}

/// Only account ids inside AWS identifiers, reported because
/// `WARDEN_ACCOUNT_IDS_IN_ARNS=report`: low severity, nothing to change.
fn only_identifiers(detections: &[Detection]) -> bool {
    detections.iter().all(|d| d.in_identifier)
}

const IDENTIFIER_ONLY: &str = "the account id is part of an AWS identifier, reported because \
                               WARDEN_ACCOUNT_IDS_IN_ARNS=report: nothing to change";

/// Every text detected anywhere in what a check reads (the resource's tags,
/// the call's tags and free-form fields), with its mask.
fn detected_texts(guard: &TagGuard, input: &Input<'_, TagGuard>) -> Vec<(String, String)> {
    let tags = match input.state {
        TagState::Tags(tags) => &tags[..],
        TagState::Call => &[][..],
    };
    let mut texts: Vec<(String, String)> = tags
        .iter()
        .filter(|(key, value)| scanned(guard, key, value))
        .flat_map(|(key, value)| texts_of(value, &guard.detectors.scan(key, value)))
        .collect();
    texts.extend(evidence_texts(guard, input));
    texts
}

/// The texts detected in a call's tags and free-form fields, with masks.
fn evidence_texts(guard: &TagGuard, input: &Input<'_, TagGuard>) -> Vec<(String, String)> {
    let Some(evidence) = input.evidence else {
        return vec![];
    };
    let tags = evidence
        .unresolved_tags
        .iter()
        .filter(|(key, value)| scanned(guard, key, value))
        .map(|(key, value)| (key.as_str(), value.as_str()));
    let fields = evidence
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.value.as_str()));
    tags.chain(fields)
        .flat_map(|(key, value)| texts_of(value, &guard.detectors.scan(key, value)))
        .collect()
}

/// Each detection's text in `value`, with its mask.
fn texts_of(value: &str, detections: &[Detection]) -> Vec<(String, String)> {
    detections
        .iter()
        .filter_map(|d| Some((value.get(d.span.clone())?.to_string(), d.masked.clone())))
        .collect()
}

/// Scans one value of a check; a mask that would show a text detected in
/// another of the check's values has it masked too (`detected_texts`, read
/// only once something is found).
fn scan(
    guard: &TagGuard,
    key: &str,
    value: &str,
    texts: &std::cell::OnceCell<Vec<(String, String)>>,
    input: &Input<'_, TagGuard>,
) -> Vec<Detection> {
    let mut detections = guard.detectors.scan(key, value);
    if !detections.is_empty() {
        mask_texts_in_masks(
            &mut detections,
            texts.get_or_init(|| detected_texts(guard, input)),
        );
    }
    detections
}

/// A tag tag-guard reads: not its own exemption tag, not one AWS reserves,
/// not empty.
fn scanned(guard: &TagGuard, key: &str, value: &str) -> bool {
    key != guard.exemption_tag && !is_reserved(key) && !value.is_empty()
}

/// A finding about one scanned value: evidence, detectors, severity.
fn found<T>(
    guard: &TagGuard,
    what: &str,
    name: &str,
    detections: &[Detection],
    detail: T,
) -> Found<T> {
    let found = Found::new(guard.detectors.evidence(what, name, detections), detail)
        .about(name)
        .by(ids(detections));
    if only_identifiers(detections) {
        found.graded(Severity::Low)
    } else {
        found
    }
}

/// What a tag finding is about.
#[derive(Debug, Clone)]
pub enum TagFinding {
    /// A resource's tag: its key as shown, its value as shown (the masked
    /// detections), and the first leaking detector's marker, which a
    /// redaction writes; no marker when the only detections are account
    /// ids inside identifiers (reported, never changed).
    OnResource {
        key: String,
        shown_key: String,
        shown: String,
        marker: Option<&'static str>,
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
        Calls::reads(READS).fixes(WRITES),
    );

    fn check(&self, guard: &TagGuard, input: &Input<'_, TagGuard>) -> Vec<Found<TagFinding>> {
        let scanned = |(key, value): &&(String, String)| scanned(guard, key, value);
        let texts = std::cell::OnceCell::new();
        match (input.target, input.state) {
            (TagTarget::Resource(_), TagState::Tags(tags)) => {
                // One scan of each tag serves both its findings and the
                // texts every other mask must not show (the call's fields,
                // when there are any, are scanned for those too).
                let mut scans: Vec<(&String, &String, Vec<Detection>)> = tags
                    .iter()
                    .filter(scanned)
                    .map(|(key, value)| (key, value, guard.detectors.scan(key, value)))
                    .filter(|(_, _, detections)| !detections.is_empty())
                    .collect();
                if !scans.is_empty() {
                    let mut texts: Vec<(String, String)> = scans
                        .iter()
                        .flat_map(|(_, value, detections)| texts_of(value, detections))
                        .collect();
                    texts.extend(evidence_texts(guard, input));
                    for (_, _, detections) in &mut scans {
                        mask_texts_in_masks(detections, &texts);
                    }
                }
                scans
                    .into_iter()
                    .map(|(key, _, detections)| {
                        let marker = detections
                            .iter()
                            .find(|d| !d.in_identifier)
                            .map(|d| d.detector.redaction_marker());
                        let finding = TagFinding::OnResource {
                            key: key.clone(),
                            shown_key: shown_name(guard, key),
                            shown: shown_value(&detections),
                            marker,
                        };
                        found(guard, "tag", key, &detections, finding)
                    })
                    .collect()
            }
            (TagTarget::Call { .. }, _) => {
                let unresolved = input
                    .evidence
                    .map_or(&[][..], |e: &CallEvidence| &e.unresolved_tags);
                unresolved
                    .iter()
                    .filter(scanned)
                    .filter_map(|(key, value)| {
                        let detections = scan(guard, key, value, &texts, input);
                        if detections.is_empty() {
                            return None;
                        }
                        let finding = TagFinding::Unresolved { key: key.clone() };
                        Some(found(guard, "tag", key, &detections, finding))
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
                shown_key,
                shown,
                marker,
            } => {
                let Some(marker) = marker else {
                    return Remedy::manual(IDENTIFIER_ONLY);
                };
                let replacement = match guard.action {
                    TagAction::Redact => Some(marker.to_string()),
                    TagAction::Remove => None,
                };
                let change = Change::new(
                    &format!("{}-tag", guard.action),
                    json!({"key": shown_key, "value": shown}),
                    replacement
                        .as_ref()
                        .map_or(Value::Null, |v| json!({"key": shown_key, "value": v})),
                );
                let arn = input.arn();
                if services::covering(arn).is_none() {
                    // The Tagging API would refuse without the service's own
                    // permission: say which, rather than fail and retry.
                    return Remedy::Manual {
                        changes: vec![change],
                        why: format!(
                            "tag-guard's role may not rewrite tags of {arn}: grant it {} (and add the service to \
                             tag-guard's services table), or change tag `{shown_key}` by hand",
                            services::missing_permissions(arn)
                        ),
                    };
                }
                Remedy::Fix {
                    changes: vec![change],
                    fix: TagFix {
                        key: key.clone(),
                        replacement,
                    },
                }
            }
            TagFinding::Unresolved { key } => Remedy::manual(format!(
                "tag `{}` was written by {}, whose resource Warden cannot identify: remove it by hand",
                shown_name(guard, key),
                input.arn()
            )),
        }
    }
}

/// No free-form field (name, description, author) of a create or update
/// call holds a detected sensitive value. Many cannot be changed after
/// creation, and none through the Tagging API: report only.
pub struct SensitiveField;

impl RuleSpec<TagGuard> for SensitiveField {
    type Found = (String, bool);
    const META: Meta = Meta::event(rule::SENSITIVE_FIELD, Severity::High, Calls::NONE);

    fn check(&self, guard: &TagGuard, input: &Input<'_, TagGuard>) -> Vec<Found<(String, bool)>> {
        let (TagTarget::Call { .. }, Some(evidence)) = (input.target, input.evidence) else {
            return vec![];
        };
        let texts = std::cell::OnceCell::new();
        evidence
            .fields
            .iter()
            .filter_map(|field| {
                let detections = scan(guard, &field.name, &field.value, &texts, input);
                if detections.is_empty() {
                    return None;
                }
                let detail = (field.name.clone(), only_identifiers(&detections));
                Some(found(guard, "field", &field.name, &detections, detail))
            })
            .collect()
    }

    fn fix(
        &self,
        _: &TagGuard,
        _: &Input<'_, TagGuard>,
        (name, identifiers): &(String, bool),
    ) -> Remedy<TagFix> {
        if *identifiers {
            return Remedy::manual(IDENTIFIER_ONLY);
        }
        Remedy::manual(format!(
            "`{name}` is a free-form field, which tag-guard only reports: change it with the \
             service's own call, or recreate the resource without it"
        ))
    }
}
