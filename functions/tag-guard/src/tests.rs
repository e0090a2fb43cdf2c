//! The rules and the plan, from fixtures: no I/O.

use super::*;
use serde_json::json;
use shapes::ResourceKind;
use warden_shared::rule::assess;
use warden_shared::{Assessment, Exemption};

fn guard(action: TagAction) -> TagGuard {
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

fn tags(pairs: &[(&str, &str)]) -> TagState {
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

#[test]
fn redacts_only_the_tags_that_hold_a_finding() {
    let state = tags(&[("owner", "jane.doe@example.com"), ("env", "prod")]);
    let a = evaluate(&guard(TagAction::Redact), &topic(), &state, None);
    assert_eq!(a.findings.len(), 1);
    let finding = serde_json::to_value(&a.findings[0].finding).unwrap();
    assert_eq!(
        finding,
        json!({"rule": "sensitive-tag", "resource": TOPIC,
               "evidence": "tag `owner` holds email j***@e***.com (high)",
               "changes": [{"action": "redact-tag", "before": {"key": "owner", "value": "j***@e***.com"},
                            "after": {"key": "owner", "value": "redacted:email"}}],
               "applied": false, "severity": "high"})
    );
    assert_eq!(
        a.plan.changes,
        vec![TagChange {
            resource: ResourceRef::from_arn(TOPIC.into()),
            key: "owner".into(),
            replacement: Some("redacted:email".into())
        }]
    );
}

#[test]
fn remove_mode_deletes_the_tag() {
    let state = tags(&[("owner", "jane.doe@example.com")]);
    let a = evaluate(&guard(TagAction::Remove), &topic(), &state, None);
    assert_eq!(a.findings[0].finding.changes[0].action, "remove-tag");
    assert_eq!(a.findings[0].finding.changes[0].after, Value::Null);
    assert_eq!(a.plan.changes[0].replacement, None);
}

#[test]
fn the_exemption_tag_itself_is_never_scanned() {
    let state = tags(&[("warden:exempt", "sensitive-tag, ask jane.doe@example.com")]);
    assert!(
        evaluate(&guard(TagAction::Redact), &topic(), &state, None)
            .findings
            .is_empty()
    );
}

#[test]
fn free_form_fields_and_unresolved_tags_are_notify_only() {
    let evidence = CallEvidence {
        fields: vec![FreeFormField {
            name: "author".into(),
            value: "jane.doe@example.com".into(),
        }],
        unresolved_tags: vec![("contact".into(), "ops@customer-corp.com".into())],
    };
    let call = TagTarget::Call {
        origin: "sns.amazonaws.com/CreateTopic".into(),
    };
    let a = evaluate(
        &guard(TagAction::Redact),
        &call,
        &TagState::Call,
        Some(&evidence),
    );
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
    assert_eq!(
        a.findings[0].blocked.as_deref(),
        Some(
            "tag `contact` was written by sns.amazonaws.com/CreateTopic, whose resource Warden cannot identify: remove it by hand"
        )
    );
    assert!(
        evaluate(&guard(TagAction::Redact), &call, &TagState::Call, None)
            .findings
            .is_empty(),
        "without the event there is nothing to scan"
    );
}

#[test]
fn nothing_detected_nothing_planned() {
    let clean = tags(&[
        ("env", "prod"),
        ("commit", "9fceb02d0ae598e95dc970b74767f19372d61af8"),
        ("build", "2026-11-20T09:10:29Z"),
    ]);
    let a = evaluate(&guard(TagAction::Redact), &topic(), &clean, None);
    assert!(a.findings.is_empty());
}

#[test]
fn an_event_names_each_resource_and_the_call_once() {
    let event = CloudTrailEvent::parse(&json!({"id": "e", "account": "123456789012", "region": "us-east-1",
        "detail": {"eventID": "e", "eventSource": "tagging.amazonaws.com", "eventName": "TagResources",
                   "awsRegion": "us-east-1", "requestParameters": {
                       "resourceARNList": ["arn:aws:sns:us-east-1:123456789012:a", "arn:aws:iam::123456789012:user/bob"],
                       "tags": {"k": "v"}}}}))
    .unwrap();
    let Reading::Check(check) = guard(TagAction::Redact).read_event(&event) else {
        panic!("a check");
    };
    assert_eq!(
        check
            .targets
            .iter()
            .map(|t| match t {
                TagTarget::Resource(r) => (r.arn.as_str(), Some(r.kind.clone())),
                TagTarget::Call { origin } => (origin.as_str(), None),
            })
            .collect::<Vec<_>>(),
        vec![
            (
                "arn:aws:sns:us-east-1:123456789012:a",
                Some(ResourceKind::Tagged)
            ),
            (
                "arn:aws:iam::123456789012:user/bob",
                Some(ResourceKind::IamUser("bob".into()))
            ),
        ]
    );
    let create = CloudTrailEvent::parse(
        &json!({"id": "e", "account": "123456789012", "region": "us-east-1",
        "detail": {"eventID": "e", "eventSource": "sqs.amazonaws.com", "eventName": "CreateQueue",
                   "awsRegion": "us-east-1", "requestParameters": {"queueName": "jobs"}}}),
    )
    .unwrap();
    assert_eq!(
        guard(TagAction::Redact).read_event(&create),
        Reading::Check(Check {
            targets: vec![TagTarget::Call {
                origin: "sqs.amazonaws.com/CreateQueue".into()
            }],
            evidence: CallEvidence {
                fields: vec![FreeFormField {
                    name: "queueName".into(),
                    value: "jobs".into()
                }],
                unresolved_tags: vec![],
            },
            just_created: false,
        })
    );
}

#[test]
fn settings() {
    let env = [
        ("WARDEN_DETECTORS", "email, phone-number"),
        ("WARDEN_ALLOW", "@example.com"),
        ("WARDEN_TAG_ACTION", "remove"),
    ];
    let parsed = TagGuard::from_env(&env[..]).unwrap();
    assert_eq!(parsed.action, TagAction::Remove);
    assert_eq!(parsed.detectors.enabled().len(), 2);
    assert!(
        parsed
            .detectors
            .scan("owner", "jane@example.com")
            .is_empty(),
        "allow-listed domain"
    );
    let err = TagGuard::from_env(&[("WARDEN_TAG_ACTION", "mask")][..]).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"WARDEN_TAG_ACTION="mask" is not valid: use one of redact, remove"#
    );
    let err = TagGuard::from_env(&[("WARDEN_DETECTORS", "email,ssn")][..]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(r#"WARDEN_DETECTORS="ssn" is not valid"#),
        "{err}"
    );
}
