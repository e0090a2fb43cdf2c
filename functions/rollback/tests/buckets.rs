//! Rolling back bucket-guard's changes against moto: the bucket policy text
//! byte for byte, with both TLS rules suppressed and a second rollback
//! refused; a rollback whose invocation died, finished by the next request.
//! Encryption and Block Public Access are in `buckets/configurations.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "buckets/configurations.rs"]
mod configurations;
mod world;

use bucket_guard::{Bucket, BucketGuard, rule};
use serde_json::{Value, json};
use warden_shared::Guard;
use warden_shared::state::{ChangeRecord, ChangeStatus};
use warden_tests::buckets;
use warden_tests::fixtures::unique;
use world::{BUCKET_EVENTS, REGION, World, applied, rolled_back, world};

/// A rule bucket-guard fixes, and the action its change record names.
type Fix = (&'static str, &'static str);
const TLS_REQUIRED: Fix = (rule::TLS_REQUIRED, "put-bucket-policy");
const TLS_VERSION: Fix = (rule::TLS_VERSION, "put-bucket-policy");
const DEFAULT_ENCRYPTION: Fix = (rule::DEFAULT_ENCRYPTION, "put-bucket-encryption");
const PUBLIC_ACCESS_BLOCK: Fix = (rule::PUBLIC_ACCESS_BLOCK, "put-public-access-block");

fn arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// A new bucket with S3-managed default encryption.
async fn encrypted_bucket(w: &World, tag: &str) -> String {
    let bucket = unique(tag);
    buckets::create(&w.s3, &bucket).await;
    buckets::set_encryption(&w.s3, &bucket, "AES256", None).await;
    bucket
}

/// Warden's fix of `rule` on `bucket` for the event in `file`, made by the
/// real pipeline and recorded as the pipeline records it; returns the
/// records of `fixes` (one write can fix several).
async fn fix(
    w: &World,
    bucket: &str,
    file: &str,
    env: &[(&str, &str)],
    fixes: &[Fix],
) -> Vec<ChangeRecord> {
    let event = BUCKET_EVENTS.load(file, bucket);
    let target = Bucket::new(bucket, REGION);
    w.fixed(&w.bucket_pipeline(env), &target, &event, fixes)
        .await
}

/// A compliant bucket but for its policy, which has a statement of its own
/// (and no TLS denies).
async fn bucket_with_own_policy(w: &World, tag: &str) -> (String, String) {
    let bucket = encrypted_bucket(w, tag).await;
    buckets::set_public_access_block(&w.s3, &bucket, [true; 4]).await;
    let text = json!({"Version": "2012-10-17", "Id": "team-policy", "Statement": [
        {"Sid": "ReadForAnalytics", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::123456789012:role/analytics"},
         "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [arn(&bucket), format!("{}/*", arn(&bucket))],
         "Condition": {"NumericLessThanEquals": {"s3:max-keys": 1000}}}
    ]})
    .to_string();
    w.s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(&text)
        .send()
        .await
        .unwrap();
    (bucket, text)
}

#[tokio::test]
async fn the_bucket_policy_comes_back_byte_for_byte_with_both_tls_rules_suppressed() {
    let w = world().await;
    let (bucket, original) = bucket_with_own_policy(&w, "rb-policy").await;
    let file = "put-bucket-policy-without-tls.json";
    let records = fix(&w, &bucket, file, &[], &[TLS_REQUIRED, TLS_VERSION]).await;
    let merged = buckets::policy_text(&w.s3, &bucket).await.unwrap();
    assert_ne!(merged, original, "Warden added its TLS denies");
    let (required, version) = (&records[0], &records[1]);

    let (rollback_id, answer) = w.roll_back(required).await;
    assert_eq!(
        answer,
        rolled_back(
            required,
            json!([{"call": "PutBucketPolicy", "Policy": original}]),
            json!({"Policy": original}),
            &[version],
        )
    );
    // Read back independently: the very text the bucket had.
    assert_eq!(
        buckets::policy_text(&w.s3, &bucket).await.as_deref(),
        Some(&*original)
    );

    // The books: the rollback is a change of its own, both originals are
    // rolled back by it, and both rules are suppressed.
    let changes = w.changes(&arn(&bucket)).await;
    assert_eq!(changes.len(), 3, "{changes:#?}");
    let rolled = &changes[0];
    assert_eq!(rolled.change_id, rollback_id, "newest first");
    assert_eq!(rolled.status, ChangeStatus::Applied);
    assert_eq!(rolled.rollback_of.as_deref(), Some(&*required.change_id));
    assert_eq!(rolled.actions, vec!["put-bucket-policy"]);
    assert_eq!(rolled.before, json!({"Policy": merged}));
    assert_eq!(rolled.after, json!({"Policy": original}));
    for original in &changes[1..] {
        assert_eq!(original.status, ChangeStatus::RolledBack);
        assert_eq!(original.rolled_back_by.as_deref(), Some(&*rollback_id));
    }

    let listed = w.ask(json!({"resource": arn(&bucket)})).await;
    assert_eq!(
        listed["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["change_id"].clone(), c["status"].clone()))
            .collect::<Vec<_>>(),
        vec![
            (json!(rollback_id), json!("applied")),
            (json!(version.change_id), json!("rolled-back")),
            (json!(required.change_id), json!("rolled-back")),
        ]
    );
    let rules: Vec<&Value> = listed["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["rule"])
        .collect();
    assert_eq!(rules, vec!["tls-required", "tls-version"]);
    assert_eq!(listed["suppressions"][0]["change_id"], json!(rollback_id));

    // Once is all: the same change, and its sibling, refuse.
    for record in [required, version] {
        assert_eq!(
            w.ask(json!({"change_id": record.change_id})).await,
            json!({
                "change_id": record.change_id,
                "resource": arn(&bucket),
                "guard": "bucket-guard",
                "rule": record.rule,
                "status": "refused",
                "reason": format!("{} was already rolled back (by {rollback_id})", record.change_id),
            })
        );
    }
    // And a rollback is not itself rolled back.
    let again = w.ask(json!({"change_id": rollback_id})).await;
    assert_eq!(again["status"], "refused");
    assert!(
        again["reason"]
            .as_str()
            .unwrap()
            .contains("is itself the rollback of"),
        "{again}"
    );
    assert_eq!(
        buckets::policy_text(&w.s3, &bucket).await.as_deref(),
        Some(&*original)
    );
}

#[tokio::test]
async fn a_rollback_whose_invocation_died_after_the_write_is_finished_by_the_next_request() {
    let w = world().await;
    let bucket = encrypted_bucket(&w, "rb-crash").await;
    let file = "delete-bucket-public-access-block.json";
    let records = fix(&w, &bucket, file, &[], &[PUBLIC_ACCESS_BLOCK]).await;
    let record = &records[0];
    // What an invocation leaves when it dies between the write and the
    // books: its intent, pending, and the write made.
    let mut begun = applied(
        BucketGuard::NAME,
        rule::PUBLIC_ACCESS_BLOCK,
        &arn(&bucket),
        &json!({"detail": {"eventID": "died", "eventName": "Rollback"}}),
        &["delete-public-access-block"],
        record.after.clone(),
        record.before.clone(),
    );
    begun.status = ChangeStatus::Pending;
    begun.rollback_of = Some(record.change_id.clone());
    begun.completed_at = None;
    w.put(&begun).await;
    w.s3.delete_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();

    let (rollback_id, answer) = w.roll_back(record).await;
    assert_eq!(rollback_id, begun.change_id, "the begun rollback, finished");
    assert_eq!(answer["status"], "rolled-back", "{answer:#}");
    assert_eq!(
        answer["restored"],
        json!({"PublicAccessBlockConfiguration": null})
    );
    let changes = w.changes(&arn(&bucket)).await;
    assert_eq!(changes.len(), 2, "no second rollback record: {changes:#?}");
    let finished = changes
        .iter()
        .find(|c| c.change_id == begun.change_id)
        .unwrap();
    assert_eq!(finished.status, ChangeStatus::Applied);
    let original = changes
        .iter()
        .find(|c| c.change_id == record.change_id)
        .unwrap();
    assert_eq!(original.status, ChangeStatus::RolledBack);
    assert_eq!(original.rolled_back_by.as_deref(), Some(&*begun.change_id));
    let listed = w.ask(json!({"resource": arn(&bucket)})).await;
    assert_eq!(listed["suppressions"][0]["rule"], "public-access-block");
}
