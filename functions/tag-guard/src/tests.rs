//! The rules and the plan, from fixtures: no I/O.

use super::*;
use serde_json::json;
use shapes::ResourceKind;
use warden_shared::rule::assess;
use warden_shared::{Assessment, Exemption, Severity};

mod events;
mod masking;
mod settings;
mod tags;

pub(crate) fn guard(action: TagAction) -> TagGuard {
    TagGuard {
        detectors: Detectors::all(),
        action,
        exemption_tag: "warden:exempt".into(),
    }
}

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:t";

fn topic() -> TagTarget {
    TagTarget::Resource(ResourceRef::from_arn(TOPIC.into()))
}

pub(crate) fn tags(pairs: &[(&str, &str)]) -> TagState {
    TagState::Tags(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn evaluate(
    guard: &TagGuard,
    target: &TagTarget,
    state: &TagState,
    evidence: Option<&CallEvidence>,
) -> Assessment<TagPlan> {
    let input = Input {
        target,
        state,
        evidence,
    };
    assess(guard, &input, &Exemption::None)
}

fn guard_with(env: &[(&str, &str)]) -> TagGuard {
    TagGuard::from_env(env).unwrap()
}

/// A `CreateTopic` call with `evidence`, evaluated in redact mode.
fn evaluate_create_topic(evidence: &CallEvidence) -> Assessment<TagPlan> {
    let call = TagTarget::Call {
        origin: "sns.amazonaws.com/CreateTopic".into(),
    };
    evaluate(
        &guard(TagAction::Redact),
        &call,
        &TagState::Call,
        Some(evidence),
    )
}

/// Every finding of `a`, as the outcome carries them.
fn findings_json(a: &Assessment<TagPlan>) -> String {
    serde_json::to_string(&a.findings.iter().map(|p| &p.finding).collect::<Vec<_>>()).unwrap()
}
