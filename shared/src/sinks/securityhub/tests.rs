//! The ASFF mapping and the follow-up of findings Security Hub holds.

use super::*;
use crate::config::Mode;
use crate::outcome::{Change, Finding, Severity, Status};
use crate::record::Context;
use crate::record::FindingRecord;
use serde_json::json;

const BUCKET: &str = "arn:aws:s3:::data-bucket";

/// The record of `finding` in `mode`, its check ending `status`.
fn record_of<'a>(
    guard: &'a str,
    finding: &'a Finding,
    context: &'a Context,
    (mode, status): (Mode, Status),
) -> FindingRecord<'a> {
    FindingRecord::new(guard, finding, context, mode, (status, None))
}

/// The record of `finding` seen in observe mode.
fn observed<'a>(guard: &'a str, finding: &'a Finding, context: &'a Context) -> FindingRecord<'a> {
    record_of(guard, finding, context, (Mode::Observe, Status::Observed))
}

fn tls_finding(applied: bool) -> Finding {
    let mut finding = Finding::new(
        "tls-required",
        BUCKET,
        "the bucket policy does not deny requests without TLS",
        vec![Change::new(
            "add-bucket-policy-statement",
            serde_json::Value::Null,
            json!({"Sid": "WardenDenyInsecureTransport"}),
        )],
    )
    .with_severity(Severity::Medium);
    finding.applied = applied;
    finding
}

/// bucket-guard's TLS finding (its fix made or not) from sweep `sweep-1` in
/// `region`, the check in `outcome`, as ASFF at `now`.
fn tls_asff(applied: bool, region: &str, outcome: (Mode, Status), now: &str) -> Asff {
    let finding = tls_finding(applied);
    let context = Context::sweep("sweep-1", "123456789012", region);
    let record = record_of("bucket-guard", &finding, &context, outcome);
    Asff::of("bucket-guard", &record, now)
}

#[test]
fn a_failed_finding_in_asff() {
    let outcome = (Mode::Notify, Status::Notified);
    let asff = tls_asff(false, "eu-west-1", outcome, "2026-12-02T08:00:00.000Z");
    assert_eq!(
        asff.to_json().unwrap(),
        json!({
            "SchemaVersion": "2018-10-08",
            "Id": "warden/bucket-guard/tls-required/arn:aws:s3:::data-bucket",
            "ProductArn": "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default",
            "ProductName": "Warden",
            "CompanyName": "Warden",
            "GeneratorId": "warden/bucket-guard/tls-required",
            "AwsAccountId": "123456789012",
            "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
            "CreatedAt": "2026-12-02T08:00:00.000Z",
            "UpdatedAt": "2026-12-02T08:00:00.000Z",
            "Severity": {"Label": "MEDIUM", "Original": "medium"},
            "Title": "Warden bucket-guard: tls-required on data-bucket",
            "Description": "the bucket policy does not deny requests without TLS (outcome: notified)",
            "Remediation": {"Recommendation": {"Text": "add-bucket-policy-statement (planned by Warden; made in remediate mode)"}},
            "ProductFields": {
                "warden/guard": "bucket-guard",
                "warden/mode": "notify",
                "warden/outcome": "notified",
                "warden/rule": "tls-required",
                "warden/sweep_id": "sweep-1"
            },
            "Resources": [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::data-bucket", "Partition": "aws", "Region": "eu-west-1"}],
            "Compliance": {"Status": "FAILED", "SecurityControlId": "S3.5", "RelatedRequirements": ["S3.5"]},
            "Workflow": {"Status": "NEW"},
            "RecordState": "ACTIVE"
        })
    );
}

#[test]
fn a_confirmed_fix_is_passed_and_resolved() {
    let asff = tls_asff(
        true,
        "cn-north-1",
        (Mode::Remediate, Status::Remediated),
        "t",
    );
    assert_eq!(asff.compliance.status, "PASSED");
    assert_eq!(asff.workflow.status, "RESOLVED");
    assert_eq!(
        asff.product_arn,
        "arn:aws-cn:securityhub:cn-north-1:123456789012:product/123456789012/default"
    );
    assert_eq!(asff.resources[0].partition, "aws-cn");
    assert_eq!(
        asff.remediation.unwrap().recommendation.text,
        "add-bucket-policy-statement (made by Warden and confirmed on read-back)"
    );
}

#[test]
fn controls_types_and_resource_types() {
    let context = Context::sweep("s", "123456789012", "us-gov-west-1");
    let cases = [
        (
            "bucket-guard",
            "tls-version",
            "arn:aws:s3:::b",
            Some("S3.5"),
        ),
        (
            "bucket-guard",
            "public-access-block",
            "arn:aws:s3:::b",
            Some("S3.8"),
        ),
        (
            "bucket-guard",
            "default-encryption",
            "arn:aws:s3:::b",
            Some("S3.4"),
        ),
        (
            "mfa-guard",
            "console-mfa",
            "arn:aws:iam::123456789012:user/a",
            Some("IAM.5"),
        ),
        (
            "mfa-guard",
            "root-console-mfa",
            "arn:aws:iam::123456789012:root",
            Some("IAM.9"),
        ),
        (
            "mfa-guard",
            "quarantine-lift",
            "arn:aws:iam::123456789012:user/a",
            None,
        ),
        (
            "trail-guard",
            "trail-logging",
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/t",
            Some("CloudTrail.1"),
        ),
        (
            "trail-guard",
            "multi-region",
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/t",
            Some("CloudTrail.1"),
        ),
        (
            "trail-guard",
            "log-file-validation",
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/t",
            Some("CloudTrail.4"),
        ),
        (
            "trail-guard",
            "log-encryption",
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/t",
            Some("CloudTrail.2"),
        ),
        (
            "tag-guard",
            "sensitive-tag",
            "arn:aws:sns:us-east-1:123456789012:topic",
            None,
        ),
        (
            "tag-guard",
            "sensitive-field",
            "arn:aws:iam::123456789012:role/r",
            None,
        ),
    ];
    for (guard, rule, resource, expected) in cases {
        let finding = Finding::new(rule, resource, "seen", vec![]);
        let record = observed(guard, &finding, &context);
        assert_eq!(control(guard, &record), expected, "{guard} {rule}");
    }
    let kms = Finding::new(
        "default-encryption",
        "arn:aws:s3:::b",
        "default encryption is SSE-S3 (AES256); required: at least SSE-KMS with a customer key",
        vec![],
    );
    let record = observed("bucket-guard", &kms, &context);
    assert_eq!(control("bucket-guard", &record), Some("S3.17"));

    let mut tag = Finding::new(
        "sensitive-tag",
        "arn:aws:sns:us-east-1:1:t",
        "tag `Owner` holds email j***@e***.com",
        vec![],
    );
    tag.detectors = vec![
        "payment-card".into(),
        "email".into(),
        "aws-secret-access-key".into(),
    ];
    let record = observed("tag-guard", &tag, &context);
    assert_eq!(types("tag-guard", &record), vec![PII, FINANCIAL, PASSWORDS]);
    tag.detectors = vec![];
    let record = observed("tag-guard", &tag, &context);
    assert_eq!(types("tag-guard", &record), vec![PII]);
    let asff = Asff::of("tag-guard", &record, "t");
    assert_eq!(asff.resources[0].r#type, "Other");
    assert_eq!(asff.resources[0].partition, "aws-us-gov");
    assert!(asff.compliance.related_requirements.is_empty());
    assert_eq!(asff.compliance.security_control_id, None);

    assert_eq!(
        resource_type("arn:aws:iam::123456789012:user/ops/alice"),
        "AwsIamUser"
    );
    assert_eq!(
        resource_type("arn:aws:cloudtrail:eu-west-1:123456789012:trail/org"),
        "AwsCloudTrailTrail"
    );
    assert_eq!(resource_type("arn:aws:s3:::b"), "AwsS3Bucket");
    assert_eq!(resource_type("arn:aws:iam::123456789012:role/r"), "Other");
    assert_eq!(severity_label(None), "MEDIUM");
    assert_eq!(severity_label(Some(Severity::Critical)), "CRITICAL");
}

#[test]
fn findings_on_one_resource_and_rule_are_merged() {
    let context = Context::sweep("s", "123456789012", "us-east-1");
    let mut first = Finding::new(
        "sensitive-tag",
        "arn:aws:sns:us-east-1:123456789012:t",
        "tag `Owner` holds email j***@e***.com",
        vec![],
    )
    .with_severity(Severity::Medium);
    first.applied = true;
    let second = Finding::new(
        "sensitive-tag",
        "arn:aws:sns:us-east-1:123456789012:t",
        "tag `Card` holds payment-card 4111********1111",
        vec![],
    )
    .with_severity(Severity::High);
    let records: Vec<FindingRecord<'_>> = [&first, &second]
        .into_iter()
        .map(|f| record_of("tag-guard", f, &context, (Mode::Remediate, Status::Failed)))
        .collect();
    let merged = Asff::of_records("tag-guard", &records, "t");
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].compliance.status, "FAILED");
    assert_eq!(merged[0].workflow.status, "NEW");
    assert_eq!(merged[0].severity.label, "HIGH");
    assert_eq!(
        merged[0].description,
        "tag `Owner` holds email j***@e***.com (outcome: remediated); tag `Card` holds payment-card 4111********1111 (outcome: failed)"
    );
}

mod follow_up;
