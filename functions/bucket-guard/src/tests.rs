//! The rules and the plan, from fixtures: no I/O.

use super::*;
use encryption::EncryptionLevel;
use policy::{BucketResources, TlsRule};
use serde_json::json;
use warden_shared::{Assessment, Exemption, Severity, rule::assess};

fn rules(min: MinEncryption) -> BucketGuard {
    BucketGuard {
        min_encryption: min,
        kms_key_arn: None,
        require_public_access_block: true,
    }
}

/// Every rule in force, and the plan of their fixes.
fn evaluate(
    guard: &BucketGuard,
    bucket: &Bucket,
    state: &BucketState,
    exemption: &Exemption,
) -> Assessment<BucketPlan> {
    let input = Input {
        target: bucket,
        state,
        evidence: None,
    };
    assess(guard, &input, exemption)
}

fn bucket() -> Bucket {
    Bucket::new("data", "us-east-1")
}

/// Every rule, with `min` required, on bucket `data` with no exemption.
fn at(min: MinEncryption, state: &BucketState) -> Assessment<BucketPlan> {
    evaluate(&rules(min), &bucket(), state, &Exemption::None)
}

fn compliant_state() -> BucketState {
    let resources = BucketResources::new("arn:aws:s3:::data");
    let statements = vec![
        policy::deny_statement(TlsRule::Required, &resources, None),
        policy::deny_statement(TlsRule::MinimumVersion, &resources, None),
    ];
    BucketState {
        encryption: Encryption {
            algorithm: Some("AES256".into()),
            kms_key: None,
            bucket_key: false,
        },
        policy: Some(policy::merge(None, statements).unwrap()),
        public_access_block: Some(PublicAccessBlock::ALL_ON),
        account_blocks_public_policy: false,
    }
}

fn rules_of(assessment: &Assessment<BucketPlan>) -> Vec<(&str, bool)> {
    assessment
        .findings
        .iter()
        .map(|p| (p.finding.rule.as_str(), p.blocked.is_none()))
        .collect()
}

#[test]
fn a_bare_bucket_breaks_every_rule() {
    let a = at(MinEncryption::SseS3, &BucketState::default());
    assert_eq!(
        rules_of(&a),
        vec![
            ("default-encryption", true),
            ("tls-required", true),
            ("tls-version", true),
            ("public-access-block", true)
        ]
    );
    assert_eq!(
        a.findings[0].finding.evidence,
        "default encryption is none; required: at least SSE-S3 (AES256)"
    );
    assert_eq!(
        serde_json::to_value(&a.findings[0].finding.changes).unwrap(),
        json!([{"action": "put-bucket-encryption", "before": null, "after": {"SSEAlgorithm": "AES256", "BucketKeyEnabled": false}}])
    );
    assert_eq!(
        a.findings
            .iter()
            .map(|p| p.finding.severity)
            .collect::<Vec<_>>(),
        [
            Severity::Medium,
            Severity::Medium,
            Severity::Medium,
            Severity::High
        ]
        .map(Some)
    );
    assert_eq!(a.plan.public_access_block, Some(PublicAccessBlock::ALL_ON));
    let written: Value = serde_json::from_str(a.plan.policy.as_deref().unwrap()).unwrap();
    assert_eq!(
        written,
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "WardenDenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "WardenDenyTlsBelow12", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"], "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}
        ]})
    );
}

#[test]
fn a_compliant_bucket_has_no_findings_and_no_plan() {
    let a = at(MinEncryption::SseS3, &compliant_state());
    assert!(a.findings.is_empty());
    assert!(a.plan.is_empty(), "{:?}", a.findings);
}

#[test]
fn a_lowered_bucket_is_raised_with_its_bucket_key() {
    let a = at(MinEncryption::SseKms, &compliant_state());
    assert_eq!(rules_of(&a), vec![("default-encryption", true)]);
    assert_eq!(
        a.findings[0].finding.evidence,
        "default encryption is SSE-S3 (AES256); required: at least SSE-KMS with the AWS-managed key"
    );
    assert_eq!(
        a.plan.encryption,
        Some(Encryption {
            algorithm: Some("aws:kms".into()),
            kms_key: None,
            bucket_key: true
        })
    );
}

#[test]
fn log_delivery_buckets_are_capped_at_sse_s3() {
    let mut state = compliant_state();
    let mut doc = state.policy.take().unwrap();
    doc["Statement"].as_array_mut().unwrap().push(json!({
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/*"
    }));
    state.policy = Some(doc);
    let a = at(MinEncryption::DsseKms, &state);
    assert!(a.findings.is_empty(), "SSE-S3 is enough for a log bucket");
    state.encryption = Encryption::default();
    let a = at(MinEncryption::DsseKms, &state);
    assert_eq!(
        a.plan.encryption.and_then(|e| e.level()),
        Some(EncryptionLevel::SseS3)
    );
    assert!(a.findings[0].finding.evidence.contains("capped at SSE-S3"));
}

#[test]
fn a_policy_near_the_limit_is_not_written() {
    let mut state = compliant_state();
    // Real statements, added until the policy is within 350 bytes of the
    // limit: too little room for the two TLS denies (~400 bytes).
    let mut doc = json!({"Version": "2012-10-17", "Statement": []});
    for i in 0.. {
        if doc.to_string().len() > MAX_POLICY_BYTES - 350 {
            break;
        }
        doc["Statement"].as_array_mut().unwrap().push(json!({"Sid": format!("Reader{i}"), "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::123456789012:role/reader-{i:04}")}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}));
    }
    let size = doc.to_string().len();
    assert!(
        size < MAX_POLICY_BYTES && size > MAX_POLICY_BYTES - 400,
        "fixture is near the limit: {size}"
    );
    state.policy = Some(doc);
    let a = at(MinEncryption::SseS3, &state);
    assert_eq!(
        rules_of(&a),
        vec![("tls-required", false), ("tls-version", false)]
    );
    assert!(a.plan.is_empty(), "{:?}", a.findings);
    let why = a.findings[0].blocked.as_deref().unwrap();
    assert!(
        why.starts_with("the bucket policy would grow to ")
            && why.ends_with("over S3's 20480-byte limit, so it was not written"),
        "{why}"
    );
    assert_eq!(
        a.findings[0].finding.changes.len(),
        1,
        "the blocked change is still shown"
    );
}

#[test]
fn a_policy_with_room_keeps_every_statement() {
    let mut state = compliant_state();
    let existing = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AnalyticsRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/analytics"}, "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::data/*"},
        {"Sid": "OldTls", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"], "Condition": {"Bool": {"aws:SecureTransport": false}}}
    ]});
    state.policy = Some(existing.clone());
    let a = at(MinEncryption::SseS3, &state);
    assert_eq!(
        rules_of(&a),
        vec![("tls-version", true)],
        "the equivalent deny under another Sid counts"
    );
    let written: Value = serde_json::from_str(a.plan.policy.as_deref().unwrap()).unwrap();
    let statements = written["Statement"].as_array().unwrap();
    assert_eq!(
        &statements[..2],
        existing["Statement"].as_array().unwrap().as_slice()
    );
    assert_eq!(statements[2]["Sid"], "WardenDenyTlsBelow12");
}

#[test]
fn exemptions_switch_off_only_their_rules() {
    let exemption = Exemption::Rules(vec!["tls-version".into(), "public-access-block".into()]);
    let a = evaluate(
        &rules(MinEncryption::SseS3),
        &bucket(),
        &BucketState::default(),
        &exemption,
    );
    assert_eq!(
        rules_of(&a),
        vec![("default-encryption", true), ("tls-required", true)]
    );
    assert_eq!(a.plan.public_access_block, None);
    let written: Value = serde_json::from_str(a.plan.policy.as_deref().unwrap()).unwrap();
    assert_eq!(written["Statement"].as_array().unwrap().len(), 1);
}

#[test]
fn public_access_is_raised_flag_by_flag() {
    let mut state = compliant_state();
    state.public_access_block = Some(PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        ..Default::default()
    });
    let a = at(MinEncryption::SseS3, &state);
    assert_eq!(
        a.findings[0].finding.evidence,
        "Block Public Access flags off: BlockPublicPolicy, RestrictPublicBuckets"
    );
    let mut lenient = rules(MinEncryption::SseS3);
    lenient.require_public_access_block = false;
    assert!(
        evaluate(&lenient, &bucket(), &state, &Exemption::None)
            .findings
            .is_empty()
    );
}

#[test]
fn unknown_algorithms_are_reported_not_replaced() {
    let mut state = compliant_state();
    state.encryption.algorithm = Some("aws:future".into());
    let a = at(MinEncryption::SseS3, &state);
    assert_eq!(rules_of(&a), vec![("default-encryption", false)]);
    assert_eq!(a.plan.encryption, None);
}

/// Why the first finding's fix was held back; fails if it was not.
fn held_back(a: &Assessment<BucketPlan>) -> &str {
    a.findings[0]
        .blocked
        .as_deref()
        .unwrap_or_else(|| panic!("the first fix was not held back: {:?}", a.findings))
}

#[test]
fn a_public_policy_is_not_rewritten_while_block_public_policy_is_on() {
    let mut state = compliant_state();
    state.policy = Some(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}
    ]}));
    state.public_access_block = Some(PublicAccessBlock {
        block_public_policy: true,
        ..Default::default()
    });
    let a = at(MinEncryption::SseS3, &state);
    assert_eq!(
        rules_of(&a),
        vec![
            ("tls-required", false),
            ("tls-version", false),
            ("public-access-block", true)
        ]
    );
    assert!(
        held_back(&a).contains("BlockPublicPolicy is on for the bucket,"),
        "{:?}",
        a.findings
    );
    assert_eq!(a.plan.policy, None);
    assert!(
        a.plan.public_access_block.is_some(),
        "the rest is still fixed"
    );

    state.public_access_block = None;
    let a = at(MinEncryption::SseS3, &state);
    assert!(
        a.plan.policy.is_some(),
        "without BlockPublicPolicy S3 takes the policy"
    );

    // The account's flag blocks the same write on every bucket.
    state.account_blocks_public_policy = true;
    let a = at(MinEncryption::SseS3, &state);
    assert_eq!(a.plan.policy, None);
    assert!(
        held_back(&a).contains("BlockPublicPolicy is on for the whole account,"),
        "{:?}",
        a.findings
    );
    assert!(a.plan.public_access_block.is_some());

    // A policy that grants nobody public access is written whatever the
    // flags say.
    state.policy = Some(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Team", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}
    ]}));
    let a = at(MinEncryption::SseS3, &state);
    assert!(a.plan.policy.is_some(), "{:?}", a.findings);
}

mod settings;
