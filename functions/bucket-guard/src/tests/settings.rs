//! Settings read once and refused at start, how events are read, and the
//! role's permissions.

use super::*;

#[test]
fn settings() {
    let empty: [(&str, &str); 0] = [];
    assert_eq!(
        BucketGuard::from_env(&empty[..]).unwrap(),
        rules(MinEncryption::SseS3)
    );
    let env = [
        ("WARDEN_MIN_ENCRYPTION", "dsse-kms"),
        (
            "WARDEN_KMS_KEY_ARN",
            "arn:aws:kms:us-east-1:123456789012:key/abc",
        ),
        ("WARDEN_REQUIRE_PUBLIC_ACCESS_BLOCK", "false"),
    ];
    let parsed = BucketGuard::from_env(&env[..]).unwrap();
    assert_eq!(parsed.min_encryption, MinEncryption::DsseKms);
    assert_eq!(
        parsed.kms_key_arn.as_deref(),
        Some("arn:aws:kms:us-east-1:123456789012:key/abc")
    );
    assert!(!parsed.require_public_access_block);
    assert_eq!(
        BucketGuard::from_env(&[("WARDEN_MIN_ENCRYPTION", "kms")][..])
            .unwrap_err()
            .to_string(),
        r#"WARDEN_MIN_ENCRYPTION="kms" is not valid: use one of sse-s3, sse-kms, dsse-kms"#
    );
    assert!(
        BucketGuard::from_env(&[("WARDEN_KMS_KEY_ARN", "alias/mine")][..])
            .unwrap_err()
            .to_string()
            .starts_with("WARDEN_KMS_KEY_ARN=\"alias/mine\"")
    );
}

#[test]
fn reading_events() {
    let guard = rules(MinEncryption::SseS3);
    let parse = |name: &str, params: Value| {
        let event = json!({"id": "x", "account": "123456789012", "region": "eu-west-1", "detail": {
            "eventID": "e", "eventName": name, "eventSource": "s3.amazonaws.com",
            "awsRegion": "eu-west-1", "requestParameters": params}});
        guard.read_event(&CloudTrailEvent::parse(&event).unwrap())
    };
    assert_eq!(
        parse("CreateBucket", json!({"bucketName": "data"})),
        Reading::Check(Check::one(Bucket::new("data", "eu-west-1"), ()).created(true))
    );
    assert_eq!(
        parse("PutBucketPolicy", json!({"bucketName": "data"})),
        Reading::Check(Check::one(Bucket::new("data", "eu-west-1"), ()))
    );
    assert_eq!(
        parse("PutObject", json!({"bucketName": "data"})),
        Reading::NotHandled(
            "PutObject from s3.amazonaws.com is not an event bucket-guard handles".into()
        )
    );
    assert!(matches!(
        parse("CreateBucket", json!({"bucketName": "a/b"})),
        Reading::Malformed(err) if err.field == "detail.requestParameters.bucketName"
    ));
}

#[test]
fn the_role_needs_exactly_these_actions() {
    assert_eq!(
        warden_shared::guard::permissions(&rules(MinEncryption::SseS3)),
        vec![
            "s3:GetAccountPublicAccessBlock",
            "s3:GetBucketPolicy",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetBucketTagging",
            "s3:GetEncryptionConfiguration",
            "s3:PutBucketPolicy",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutEncryptionConfiguration",
        ]
    );
}

#[test]
fn a_kms_key_of_another_region_is_refused_at_start() {
    let env = [
        ("AWS_REGION", "us-east-1"),
        (
            "WARDEN_KMS_KEY_ARN",
            "arn:aws:kms:eu-west-1:123456789012:key/abc",
        ),
    ];
    assert_eq!(
        BucketGuard::from_env(&env[..]).unwrap_err().to_string(),
        r#"WARDEN_KMS_KEY_ARN="arn:aws:kms:eu-west-1:123456789012:key/abc" is not valid: use a KMS key in us-east-1, the region the stack runs in (this key is in eu-west-1; KMS keys are regional)"#
    );
    let same = [
        ("AWS_REGION", "eu-west-1"),
        (
            "WARDEN_KMS_KEY_ARN",
            "arn:aws:kms:eu-west-1:123456789012:key/abc",
        ),
    ];
    assert!(BucketGuard::from_env(&same[..]).is_ok());
}

#[test]
fn a_key_of_another_region_is_never_set_on_a_bucket() {
    let mut guard = rules(MinEncryption::SseKms);
    guard.kms_key_arn = Some("arn:aws:kms:us-east-1:123456789012:key/abc".into());
    let mut state = compliant_state();
    state.encryption = Encryption {
        algorithm: Some("AES256".into()),
        kms_key: None,
        bucket_key: false,
    };
    let elsewhere = Bucket::new("data", "eu-west-1");
    let a = evaluate(&guard, &elsewhere, &state, &Exemption::None);
    assert_eq!(rules_of(&a), vec![("default-encryption", false)]);
    assert_eq!(
        a.findings[0].blocked.as_deref(),
        Some(
            "the KMS key arn:aws:kms:us-east-1:123456789012:key/abc is in another region than the bucket (eu-west-1), and a bucket's default key must be in its own region: raise this bucket by hand with a key in eu-west-1"
        )
    );
    assert_eq!(a.plan.encryption, None);
    let home = Bucket::new("data", "us-east-1");
    let a = evaluate(&guard, &home, &state, &Exemption::None);
    assert_eq!(rules_of(&a), vec![("default-encryption", true)]);
}
