//! The follow-up of findings Security Hub holds: passed when the rule
//! holds again, archived when the resource is gone.

use super::*;

/// A finding as Security Hub returns it: the provider's fields plus
/// those Security Hub sets itself.
fn returned(status: &str) -> Value {
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": "warden/bucket-guard/tls-required/arn:aws:s3:::data-bucket",
        "ProductArn": "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default",
        "GeneratorId": "warden/bucket-guard/tls-required",
        "AwsAccountId": "123456789012",
        "CreatedAt": "2026-12-01T08:00:00.000Z",
        "UpdatedAt": "2026-12-01T08:00:00.000Z",
        "Severity": {"Label": "MEDIUM", "Original": "medium"},
        "Title": "Warden bucket-guard: tls-required on data-bucket",
        "ProductFields": {
            "warden/outcome": "notified",
            "aws/securityhub/FindingId": "arn:aws:securityhub:eu-west-1::finding/1"
        },
        "Resources": [{"Type": "AwsS3Bucket", "Id": BUCKET}],
        "Compliance": {"Status": status, "SecurityControlId": "S3.5"},
        "Workflow": {"Status": "NEW"},
        "WorkflowState": "NEW",
        "RecordState": "ACTIVE",
        "Region": "eu-west-1",
        "Note": {"Text": "ticket SEC-42", "UpdatedBy": "alice"},
        "ProcessedAt": "2026-12-01T08:00:01.000Z"
    })
}

fn delivery<'a>(passed: &'a [(&'a str, Vec<&'a str>)], gone: &'a [&'a str]) -> Delivery<'a> {
    Delivery {
        guard: "bucket-guard",
        account: "123456789012",
        region: "eu-west-1",
        records: &[],
        passed,
        gone,
    }
}

#[test]
fn a_failed_finding_whose_rule_held_is_passed_with_only_the_providers_fields() {
    let passed = [(BUCKET, vec!["tls-required"])];
    let update = follow_up(
        &returned("FAILED"),
        "bucket-guard",
        &delivery(&passed, &[]),
        &BTreeSet::new(),
        "2026-12-04T09:00:00.000Z",
    )
    .unwrap();
    let mut expected = returned("PASSED");
    let fields = expected.as_object_mut().unwrap();
    for owned_by_security_hub in ["WorkflowState", "Region", "Note", "ProcessedAt"] {
        fields.remove(owned_by_security_hub);
    }
    expected["UpdatedAt"] = json!("2026-12-04T09:00:00.000Z");
    expected["Workflow"] = json!({"Status": "RESOLVED"});
    expected["ProductFields"] = json!({"warden/outcome": "compliant"});
    assert_eq!(update, expected);
}

#[test]
fn a_gone_resource_is_archived_and_nothing_else_changes() {
    let gone = [BUCKET];
    let archived = follow_up(
        &returned("FAILED"),
        "bucket-guard",
        &delivery(&[], &gone),
        &BTreeSet::new(),
        "t",
    )
    .unwrap();
    assert_eq!(archived["RecordState"], "ARCHIVED");
    assert_eq!(archived["Compliance"]["Status"], "FAILED");

    let passed = [(BUCKET, vec!["tls-required"])];
    let check = delivery(&passed, &[]);
    // Already PASSED, imported by this very check, another guard's, or
    // a rule that was not re-checked: nothing to update.
    assert_eq!(
        follow_up(
            &returned("PASSED"),
            "bucket-guard",
            &check,
            &BTreeSet::new(),
            "t"
        ),
        None
    );
    let imported = BTreeSet::from([returned("FAILED")["Id"].as_str().unwrap().to_string()]);
    assert_eq!(
        follow_up(&returned("FAILED"), "bucket-guard", &check, &imported, "t"),
        None
    );
    assert_eq!(
        follow_up(
            &returned("FAILED"),
            "trail-guard",
            &check,
            &BTreeSet::new(),
            "t"
        ),
        None
    );
    let other_rule = [(BUCKET, vec!["tls-version"])];
    assert_eq!(
        follow_up(
            &returned("FAILED"),
            "bucket-guard",
            &delivery(&other_rule, &[]),
            &BTreeSet::new(),
            "t"
        ),
        None
    );
    let mut archived_already = returned("FAILED");
    archived_already["RecordState"] = json!("ARCHIVED");
    assert_eq!(
        follow_up(
            &archived_already,
            "bucket-guard",
            &delivery(&[], &gone),
            &BTreeSet::new(),
            "t"
        ),
        None
    );
}
