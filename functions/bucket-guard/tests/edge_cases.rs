//! bucket-guard's own edge cases against moto, in process (the generic
//! suites in `suites.rs` run every event file in every mode): exemptions,
//! customer keys, log-delivery buckets, policy merges and the 20 KB limit,
//! and malformed events (a bucket already gone is a generic suite).

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

use fixture::*;
use serde_json::json;
use warden_tests::fixtures::handle;

#[tokio::test]
async fn raising_keeps_the_buckets_own_customer_key() {
    let (emu, bucket, event) = seeded(
        "cmk",
        "put-bucket-encryption-kms-to-aes256.json",
        Seed::Aes256,
    )
    .await;
    set_encryption(&emu.s3, &bucket, "aws:kms", Some(KEY)).await;
    let own_settings = [
        ("WARDEN_MIN_ENCRYPTION", "dsse-kms"),
        (
            "WARDEN_KMS_KEY_ARN",
            "arn:aws:kms:us-east-1:123456789012:key/other",
        ),
    ];

    let result = remediate(&emu, &own_settings, event.clone()).await;

    let before =
        json!({"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY, "BucketKeyEnabled": false});
    let after =
        json!({"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": KEY, "BucketKeyEnabled": false});
    let evidence = "default encryption is SSE-KMS with a customer key; required: at least DSSE-KMS";
    assert_eq!(
        result,
        outcome(
            &event,
            "remediated",
            None,
            vec![encryption_finding(
                &bucket,
                evidence,
                before,
                after.clone(),
                true
            )]
        )
    );
    assert_eq!(view(&emu.s3, &bucket).await.encryption, after);
}

#[tokio::test]
async fn a_log_delivery_bucket_is_raised_to_sse_s3_only() {
    let (emu, bucket, event) =
        seeded("logs", "delete-bucket-encryption.json", Seed::NoEncryption).await;
    let mut policy = tls_policy(&bucket);
    policy["Statement"].as_array_mut().unwrap().push(json!({"Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject", "Resource": format!("{}/*", arn(&bucket))}));
    set_policy(&emu.s3, &bucket, &policy).await;

    let result = remediate(&emu, &[("WARDEN_MIN_ENCRYPTION", "sse-kms")], event.clone()).await;

    assert_eq!(result["status"], "remediated");
    assert_eq!(result["findings"][0]["changes"][0]["after"], AES256());
    assert_eq!(view(&emu.s3, &bucket).await.encryption, AES256());
}

#[tokio::test]
async fn every_existing_statement_survives_the_merge() {
    let (emu, bucket, event) = seeded(
        "merge",
        "put-bucket-policy-without-tls.json",
        Seed::NoPolicy,
    )
    .await;
    let objects = format!("{}/*", arn(&bucket));
    let existing = json!({"Id": "Policy-Data-1", "Version": "2012-10-17", "Statement": [
        {"Sid": "CrossAccountRead", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]},
         "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": objects,
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}, "IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}},
        {"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": objects,
         "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}},
        {"Sid": "OnlyTlsOnObjects", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": objects,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]});
    set_policy(&emu.s3, &bucket, &existing).await;

    let result = remediate(&emu, &[], event).await;
    assert_eq!(result["status"], "remediated");

    let written = view(&emu.s3, &bucket).await.policy.unwrap();
    let mut expected = existing.clone();
    let statements = expected["Statement"].as_array_mut().unwrap();
    statements.push(tls_required_statement(&bucket));
    statements.push(tls_version_statement(&bucket));
    assert_eq!(
        written, expected,
        "existing statements first, unchanged, then Warden's"
    );
}

#[tokio::test]
async fn a_policy_that_would_pass_20_kb_is_reported_not_written() {
    let (emu, bucket, event) = seeded("full", "delete-bucket-policy.json", Seed::NoPolicy).await;
    let mut policy = json!({"Version": "2012-10-17", "Statement": []});
    for i in 0.. {
        if policy.to_string().len() > 20 * 1024 - 300 {
            break;
        }
        policy["Statement"].as_array_mut().unwrap().push(json!({"Sid": format!("Reader{i}"), "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::123456789012:role/reader-{i:04}")}, "Action": "s3:GetObject",
            "Resource": format!("{}/*", arn(&bucket))}));
    }
    set_policy(&emu.s3, &bucket, &policy).await;

    let result = remediate(&emu, &[], event.clone()).await;

    let reason = reason_starting(&result, "notified", "the bucket policy would grow to ");
    assert!(reason.contains("over S3's 20480-byte limit"), "{reason}");
    assert_eq!(result["findings"], json!(tls_findings(&bucket, false)));
    assert_eq!(view(&emu.s3, &bucket).await.policy, Some(policy));
}

#[tokio::test]
async fn malformed_events_fail_with_the_field_named_and_others_are_skipped() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("remediate", &[]));

    assert_eq!(
        handle(
            &pipeline,
            json!({"id": "abc", "detail-type": "Scheduled Event", "detail": {}})
        )
        .await,
        json!({"guard": "bucket-guard", "trigger": {"event": {"event_id": "abc", "event_name": null}},
               "event_id": "abc", "event_name": null, "status": "skipped",
               "reason": "not a CloudTrail event (detail-type `Scheduled Event`)", "findings": []})
    );

    let mut event = event("delete-bucket-policy.json", "ignored");
    event["detail"]["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("bucketName");
    assert_eq!(
        handle(&pipeline, event.clone()).await,
        outcome(
            &event,
            "failed",
            Some("malformed event: event field `detail.requestParameters.bucketName` is missing"),
            vec![]
        )
    );

    event["detail"]["requestParameters"]["bucketName"] = json!("../../etc");
    assert_eq!(
        handle(&pipeline, event.clone()).await,
        outcome(
            &event,
            "failed",
            Some(
                r#"malformed event: event field `detail.requestParameters.bucketName` is "../../etc", not an S3 bucket name"#
            ),
            vec![]
        )
    );
}
