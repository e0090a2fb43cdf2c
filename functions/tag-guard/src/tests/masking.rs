//! What findings show of a detected value: its masked samples, never the
//! rest of it, nor what another value of the same check holds.

use super::*;

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
