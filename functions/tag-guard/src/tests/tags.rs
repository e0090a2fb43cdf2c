//! `sensitive-tag` on a resource's tags, and the plan it makes.

use super::*;

const STACK_ID: &str =
    "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1c2fa620-982a-11e3-aff7-50e2416294e0";

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
