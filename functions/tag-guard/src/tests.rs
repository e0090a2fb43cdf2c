//! The rules and the plan, from fixtures: no I/O.

use super::*;
use serde_json::json;
use shapes::ResourceKind;
use warden_shared::rule::assess;
use warden_shared::{Assessment, Exemption, Severity};

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
               "applied": false, "severity": "high", "detectors": ["email"]})
    );
    assert_eq!(
        a.plan.changes,
        vec![TagChange {
            resource: ResourceRef::from_arn(TOPIC.into()),
            key: "owner".into(),
            replacement: Some("redacted:email".into()),
            seen: fingerprint("jane.doe@example.com"),
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

fn guard_with(env: &[(&str, &str)]) -> TagGuard {
    TagGuard::from_env(env).unwrap()
}

const STACK_ID: &str =
    "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1c2fa620-982a-11e3-aff7-50e2416294e0";

#[test]
fn reserved_aws_tags_are_never_scanned_or_changed() {
    let state = tags(&[
        ("aws:cloudformation:stack-id", STACK_ID),
        ("aws:cloudformation:logical-id", "Topic"),
        // Even a value a detector would flag: nobody can change it.
        (
            "AWS:servicecatalog:provisioningPrincipalArn",
            "jane.doe@example.com",
        ),
        ("owner", "jane.doe@example.com"),
    ]);
    for g in [
        guard(TagAction::Redact),
        guard_with(&[("WARDEN_ACCOUNT_IDS_IN_ARNS", "report")]),
    ] {
        let a = evaluate(&g, &topic(), &state, None);
        let keys: Vec<&str> = a.plan.changes.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, vec!["owner"]);
        assert_eq!(a.findings.len(), 1, "{:?}", a.findings);
    }
    let evidence = CallEvidence {
        fields: vec![],
        unresolved_tags: vec![("aws:createdBy".into(), "jane.doe@example.com".into())],
    };
    let call = TagTarget::Call {
        origin: "x.amazonaws.com/TagThing".into(),
    };
    assert!(
        evaluate(
            &guard(TagAction::Redact),
            &call,
            &TagState::Call,
            Some(&evidence)
        )
        .findings
        .is_empty()
    );
}

#[test]
fn account_ids_inside_identifiers_are_not_findings_unless_reported() {
    let state = tags(&[
        ("stack", STACK_ID),
        (
            "queue",
            "https://sqs.us-east-1.amazonaws.com/210987654321/jobs",
        ),
        ("role", "arn:aws:iam::210987654321:role/deploy"),
    ]);
    assert!(
        evaluate(&guard(TagAction::Redact), &topic(), &state, None)
            .findings
            .is_empty()
    );
    let report = guard_with(&[("WARDEN_ACCOUNT_IDS_IN_ARNS", "report")]);
    let a = evaluate(&report, &topic(), &state, None);
    assert_eq!(a.findings.len(), 3);
    for p in &a.findings {
        assert_eq!(p.finding.severity, Some(Severity::Low), "{p:?}");
        assert_eq!(p.finding.detectors, vec!["aws-account-id".to_string()]);
        assert!(
            p.blocked
                .as_deref()
                .is_some_and(|why| why.contains("WARDEN_ACCOUNT_IDS_IN_ARNS=report")),
            "notify-only: {p:?}"
        );
        assert!(p.finding.evidence.contains("in an identifier"), "{p:?}");
    }
    assert_eq!(a.plan, TagPlan::default(), "nothing is ever changed");
    // A real leak beside an identifier in the same value is still fixed.
    let mixed = tags(&[("note", &format!("{STACK_ID} owner jane.doe@example.com"))]);
    let a = evaluate(&report, &topic(), &mixed, None);
    assert_eq!(a.findings[0].finding.severity, Some(Severity::High));
    assert_eq!(
        a.plan.changes[0].replacement.as_deref(),
        Some("redacted:email")
    );
    assert_eq!(
        a.findings[0].finding.detectors,
        vec!["email".to_string(), "aws-account-id".to_string()]
    );
}

#[test]
fn evidence_and_changes_never_show_the_rest_of_a_value() {
    let presigned = "report at https://b.s3.amazonaws.com/r.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256\
        &X-Amz-Credential=ASIAQX7EXAMPLE3KEY7Q%2F20261120%2Fus-east-1%2Fs3%2Faws4_request\
        &X-Amz-Date=20261120T101010Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host\
        &X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaCXVzLWVhc3QtMSJHMEUCIQD\
        &X-Amz-Signature=3f1c0a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789ab ticket QUIETREMAINDER";
    let state = tags(&[
        ("report", presigned),
        ("contact", "mail jane.doe@example.com QUIETREMAINDER"),
    ]);
    let a = evaluate(&guard(TagAction::Redact), &topic(), &state, None);
    assert_eq!(a.findings.len(), 2, "{:?}", a.findings);
    let shown = findings_json(&a);
    for fragment in [
        "QUIETREMAINDER",
        "ticket",
        "report at",
        "3f1c0a1b2c3d4e5f",
        "IQoJb3JpZ2lu",
        "mail jane",
    ] {
        assert!(!shown.contains(fragment), "`{fragment}` shown in {shown}");
    }
    assert!(
        a.findings[0]
            .finding
            .detectors
            .contains(&"aws-session-credentials".to_string()),
        "{:?}",
        a.findings[0].finding
    );
    let evidence = CallEvidence {
        fields: vec![FreeFormField {
            name: "description".into(),
            value: presigned.into(),
        }],
        unresolved_tags: vec![],
    };
    let a = evaluate_create_topic(&evidence);
    let evidence = &a.findings[0].finding.evidence;
    assert!(
        evidence.starts_with("field `description` holds aws-session-credentials "),
        "{evidence}"
    );
    assert!(
        !evidence.contains("QUIETREMAINDER") && !evidence.contains("report at"),
        "{evidence}"
    );
}

#[test]
fn a_tag_key_that_holds_a_value_is_shown_masked() {
    let state = tags(&[("jane.doe@example.com", "jane.doe@example.com")]);
    let a = evaluate(&guard(TagAction::Redact), &topic(), &state, None);
    let finding = serde_json::to_string(&a.findings[0].finding).unwrap();
    assert!(!finding.contains("jane.doe"), "{finding}");
    assert_eq!(
        a.plan.changes[0].key, "jane.doe@example.com",
        "the real key is written"
    );
}

#[test]
fn a_service_outside_the_role_is_notified_with_the_permission_to_add() {
    let notebook = TagTarget::Resource(ResourceRef::from_arn(
        "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb".into(),
    ));
    let state = tags(&[("owner", "jane.doe@example.com")]);
    let a = evaluate(&guard(TagAction::Redact), &notebook, &state, None);
    assert_eq!(a.plan, TagPlan::default());
    let why = a.findings[0].blocked.as_deref().unwrap();
    assert!(
        why.contains("`sagemaker:TagResource` and `sagemaker:UntagResource`"),
        "{why}"
    );
    assert_eq!(
        a.findings[0].finding.changes[0].after,
        json!({"key": "owner", "value": "redacted:email"}),
        "what a person would do"
    );
    let queue = TagTarget::Resource(ResourceRef::from_arn(
        "arn:aws:sqs:us-east-1:123456789012:jobs".into(),
    ));
    let a = evaluate(&guard(TagAction::Redact), &queue, &state, None);
    assert!(a.findings[0].blocked.is_none(), "SQS is in the table");
}

#[test]
fn identifiers_are_not_free_form_fields() {
    let event = CloudTrailEvent::parse(&json!({"id": "e", "account": "123456789012", "region": "us-east-1",
        "detail": {"eventID": "e", "eventSource": "cloudtrail.amazonaws.com", "eventName": "UpdateTrail",
                   "awsRegion": "us-east-1", "requestParameters": {
                       "name": "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail",
                       "isMultiRegionTrail": true, "enableLogFileValidation": true,
                       "cloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/ct-logs",
                       "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}}))
    .unwrap();
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
        let event = CloudTrailEvent::parse(&json!({"id": "e", "account": "123456789012", "region": "us-east-1",
            "detail": {"eventID": "e", "eventSource": source, "eventName": name,
                       "awsRegion": "us-east-1", "requestParameters": {"logGroupName": "/aws/lambda/f"}}}))
        .unwrap();
        assert!(
            matches!(
                guard(TagAction::Redact).read_event(&event),
                Reading::Skip(_)
            ),
            "{name}"
        );
    }
}

#[test]
fn every_redaction_marker_is_a_legal_tag_value() {
    let legal = |c: char| c.is_ascii_alphanumeric() || " +-=._:/@".contains(c);
    for id in warden_shared::detect::DetectorId::ALL {
        let marker = id.redaction_marker();
        assert!(marker.chars().all(legal) && marker.len() <= 256, "{marker}");
        assert_eq!(marker, format!("redacted:{id}"));
    }
}

#[test]
fn the_account_ids_setting() {
    assert_eq!(
        guard_with(&[]).detectors.account_ids_in_identifiers(),
        AccountIdsInIdentifiers::Ignore
    );
    assert_eq!(
        guard_with(&[("WARDEN_ACCOUNT_IDS_IN_ARNS", "REPORT")])
            .detectors
            .account_ids_in_identifiers(),
        AccountIdsInIdentifiers::Report
    );
    let err = TagGuard::from_env(&[("WARDEN_ACCOUNT_IDS_IN_ARNS", "flag")][..]).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"WARDEN_ACCOUNT_IDS_IN_ARNS="flag" is not valid: use one of ignore, report"#
    );
}

#[test]
fn a_mask_never_shows_what_another_value_of_the_check_holds() {
    // The URL rule shows the host; the host spells the account id that the
    // `owner` tag holds, which this URL's own scan does not detect (a
    // fuzzing find: fuzz/regressions/event/).
    let url = "clone https://deploy:s3cr3tP4ssw0rd@git666666666666x.example.com/r.git";
    let state = tags(&[("owner", "666666666666"), ("repo", url)]);
    let a = evaluate(&guard(TagAction::Redact), &topic(), &state, None);
    assert_eq!(a.findings.len(), 2, "{:?}", a.findings);
    let shown = findings_json(&a);
    assert!(!shown.contains("666666666666"), "{shown}");
    assert!(!shown.contains("s3cr3tP4ssw0rd"), "{shown}");

    // The same across a call's field and its tags.
    let evidence = CallEvidence {
        fields: vec![FreeFormField {
            name: "description".into(),
            value: url.into(),
        }],
        unresolved_tags: vec![("owner".into(), "666666666666".into())],
    };
    let a = evaluate_create_topic(&evidence);
    assert_eq!(a.findings.len(), 2, "{:?}", a.findings);
    let shown = findings_json(&a);
    assert!(!shown.contains("666666666666"), "{shown}");
}
