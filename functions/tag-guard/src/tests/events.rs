//! Reading an event: the targets it names, and the call's own evidence
//! (free-form fields, tags on what Warden cannot identify).

use super::*;

/// A CloudTrail record of `name` from `source` in the sample account.
fn record(source: &str, name: &str, params: Value) -> CloudTrailEvent {
    CloudTrailEvent::parse(
        &json!({"id": "e", "account": "123456789012", "region": "us-east-1",
        "detail": {"eventID": "e", "eventSource": source, "eventName": name,
                   "awsRegion": "us-east-1", "requestParameters": params}}),
    )
    .unwrap()
}

#[test]
fn an_event_names_each_resource_and_the_call_once() {
    let event = record(
        "tagging.amazonaws.com",
        "TagResources",
        json!({"resourceARNList": ["arn:aws:sns:us-east-1:123456789012:a", "arn:aws:iam::123456789012:user/bob"],
               "tags": {"k": "v"}}),
    );
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
    let create = record(
        "sqs.amazonaws.com",
        "CreateQueue",
        json!({"queueName": "jobs"}),
    );
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
fn free_form_fields_and_unresolved_tags_are_notify_only() {
    let evidence = CallEvidence {
        fields: vec![FreeFormField {
            name: "author".into(),
            value: "jane.doe@example.com".into(),
        }],
        unresolved_tags: vec![("contact".into(), "ops@customer-corp.com".into())],
    };
    let a = evaluate_create_topic(&evidence);
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
        "field `author` holds email j***@e***.com (high)"
    );
    assert_eq!(
        a.findings[1].blocked.as_deref(),
        Some(
            "`author` is a free-form field, which tag-guard only reports: change it with the service's own \
             call, or recreate the resource without it"
        )
    );
    assert_eq!(
        a.findings[0].blocked.as_deref(),
        Some(
            "tag `contact` was written by sns.amazonaws.com/CreateTopic, whose resource Warden cannot identify: remove it by hand"
        )
    );
    let call = TagTarget::Call {
        origin: "sns.amazonaws.com/CreateTopic".into(),
    };
    assert!(
        evaluate(&guard(TagAction::Redact), &call, &TagState::Call, None)
            .findings
            .is_empty(),
        "without the event there is nothing to scan"
    );
}

#[test]
fn identifiers_are_not_free_form_fields() {
    let event = record(
        "cloudtrail.amazonaws.com",
        "UpdateTrail",
        json!({"name": "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail",
               "isMultiRegionTrail": true, "enableLogFileValidation": true,
               "cloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/ct-logs",
               "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}),
    );
    for g in [
        guard(TagAction::Redact),
        guard_with(&[("WARDEN_ACCOUNT_IDS_IN_ARNS", "report")]),
    ] {
        let Reading::Check(check) = g.read_event(&event) else {
            panic!("a check")
        };
        assert_eq!(check.evidence, CallEvidence::default());
        let a = evaluate(
            &g,
            &check.targets[0],
            &TagState::Call,
            Some(&check.evidence),
        );
        assert!(a.findings.is_empty(), "{:?}", a.findings);
    }
}

#[test]
fn high_volume_calls_are_skipped_in_code_too() {
    for (source, name, _) in shapes::HIGH_VOLUME {
        let event = record(source, name, json!({"logGroupName": "/aws/lambda/f"}));
        assert!(
            matches!(
                guard(TagAction::Redact).read_event(&event),
                Reading::Skip(_)
            ),
            "{name}"
        );
    }
}
