//! Rolling back bucket-guard's configuration writes: an encryption
//! configuration put back as it was, configurations that were absent
//! deleted again, Block Public Access flags put back; a bucket changed
//! since is refused with the difference, and a dry run writes nothing.

use super::{DEFAULT_ENCRYPTION, PUBLIC_ACCESS_BLOCK, arn, encrypted_bucket, fix};
use crate::world::{World, block, rolled_back, settle, world};
use serde_json::json;
use warden_tests::buckets;
use warden_tests::fixtures::unique;

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

async fn encryption(w: &World, bucket: &str) -> Option<(String, Option<String>, Option<bool>)> {
    match w.s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(out) => {
            let rule = &out.server_side_encryption_configuration.unwrap().rules[0];
            let default = rule.apply_server_side_encryption_by_default().unwrap();
            Some((
                default.sse_algorithm().as_str().to_string(),
                default.kms_master_key_id().map(str::to_string),
                rule.bucket_key_enabled(),
            ))
        }
        Err(err) if format!("{err:?}").contains("ServerSideEncryptionConfigurationNotFound") => {
            None
        }
        Err(err) => panic!("GetBucketEncryption: {err:?}"),
    }
}

#[tokio::test]
async fn an_encryption_configuration_is_put_back_as_it_was() {
    let w = world().await;
    let bucket = encrypted_bucket(&w, "rb-enc").await;
    buckets::set_public_access_block(&w.s3, &bucket, [true; 4]).await;
    let env = [
        ("WARDEN_MIN_ENCRYPTION", "sse-kms"),
        ("WARDEN_KMS_KEY_ARN", KEY),
    ];
    let file = "put-bucket-encryption-kms-to-aes256.json";
    let records = fix(&w, &bucket, file, &env, &[DEFAULT_ENCRYPTION]).await;
    assert_eq!(
        encryption(&w, &bucket).await,
        Some(("aws:kms".into(), Some(KEY.into()), Some(true)))
    );
    let answer = w
        .ask(json!({"change_id": records[0].change_id, "suppress_days": 2}))
        .await;
    let (_, answer) = settle(answer, 2);
    let aes256 = json!({"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BucketKeyEnabled": false
    }]});
    assert_eq!(
        answer,
        rolled_back(
            &records[0],
            json!([{"call": "PutBucketEncryption", "ServerSideEncryptionConfiguration": aes256}]),
            json!({"ServerSideEncryptionConfiguration": aes256}),
            &[],
        )
    );
    assert_eq!(
        encryption(&w, &bucket).await,
        Some(("AES256".into(), None, Some(false)))
    );
}

#[tokio::test]
async fn encryption_and_block_public_access_that_were_absent_are_deleted_again() {
    let w = world().await;
    let bucket = unique("rb-absent");
    buckets::create(&w.s3, &bucket).await;
    // moto creates a bucket with neither configuration.
    assert_eq!(encryption(&w, &bucket).await, None);
    assert_eq!(block(&w, &bucket).await, None);
    let fixes = [DEFAULT_ENCRYPTION, PUBLIC_ACCESS_BLOCK];
    let records = fix(&w, &bucket, "create-bucket.json", &[], &fixes).await;
    assert_eq!(block(&w, &bucket).await, Some([true; 4]));

    let (_, answer) = w.roll_back(&records[1]).await;
    assert_eq!(answer["status"], "rolled-back", "{answer:#}");
    assert_eq!(
        answer["writes"],
        json!([{"call": "DeletePublicAccessBlock"}])
    );
    assert_eq!(
        answer["restored"],
        json!({"PublicAccessBlockConfiguration": null})
    );
    assert_eq!(block(&w, &bucket).await, None);
    // The encryption change was its own write: still in place.
    assert!(encryption(&w, &bucket).await.is_some());

    let answer = w.ask(json!({"change_id": records[0].change_id})).await;
    assert_eq!(answer["status"], "rolled-back", "{answer:#}");
    assert_eq!(
        answer["writes"],
        json!([{"call": "DeleteBucketEncryption"}])
    );
    assert_eq!(encryption(&w, &bucket).await, None);
    // The policy Warden added in the same event was not touched.
    assert!(buckets::policy_text(&w.s3, &bucket).await.is_some());
}

#[tokio::test]
async fn block_public_access_flags_are_put_back_and_a_changed_bucket_is_refused() {
    let w = world().await;
    let bucket = encrypted_bucket(&w, "rb-bpa").await;
    // Partly on: Warden turns the other three on.
    buckets::set_public_access_block(&w.s3, &bucket, [true, false, false, false]).await;
    let file = "delete-bucket-public-access-block.json";
    let records = fix(&w, &bucket, file, &[], &[PUBLIC_ACCESS_BLOCK]).await;
    let record = records.into_iter().next().unwrap();
    assert_eq!(block(&w, &bucket).await, Some([true; 4]));

    // Someone turns one flag off again: the bucket no longer holds what
    // Warden wrote, and rollback will not overwrite that.
    buckets::set_public_access_block(&w.s3, &bucket, [true, true, false, true]).await;
    let refused = w.ask(json!({"change_id": record.change_id})).await;
    assert_eq!(
        refused,
        json!({
            "change_id": record.change_id,
            "resource": arn(&bucket),
            "guard": "bucket-guard",
            "rule": "public-access-block",
            "status": "refused",
            "reason": format!("{} no longer holds what bucket-guard wrote: it changed since the change was made, so restoring the before-state would overwrite someone else's change; the difference is below (recorded: what Warden wrote; now: what the resource holds)", arn(&bucket)),
            "difference": [{"path": "PublicAccessBlockConfiguration.BlockPublicPolicy", "recorded": true, "now": false}],
        })
    );
    assert_eq!(block(&w, &bucket).await, Some([true, true, false, true]));
    assert_eq!(w.changes(&arn(&bucket)).await.len(), 1, "nothing recorded");

    // Back as Warden wrote it: a dry run shows the write and makes none.
    buckets::set_public_access_block(&w.s3, &bucket, [true; 4]).await;
    let dry = w
        .ask(json!({"change_id": record.change_id, "dry_run": true}))
        .await;
    let mut shown = dry.clone();
    let until = shown["would_suppress"][0]["until"].take();
    assert!(warden_shared::state::parse_time(until.as_str().unwrap()).is_some());
    let partial = json!({"PublicAccessBlockConfiguration": {
        "BlockPublicAcls": true, "IgnorePublicAcls": false,
        "BlockPublicPolicy": false, "RestrictPublicBuckets": false}});
    assert_eq!(
        shown,
        json!({
            "change_id": record.change_id,
            "resource": arn(&bucket),
            "guard": "bucket-guard",
            "rule": "public-access-block",
            "status": "would-roll-back",
            "writes": [{"call": "PutPublicAccessBlock",
                        "PublicAccessBlockConfiguration": partial["PublicAccessBlockConfiguration"]}],
            "now": {"PublicAccessBlockConfiguration": {
                "BlockPublicAcls": true, "IgnorePublicAcls": true,
                "BlockPublicPolicy": true, "RestrictPublicBuckets": true}},
            "restores": partial,
            "also_rolls_back": [],
            "would_suppress": [{"guard": "bucket-guard", "rule": "public-access-block",
                                "resource": arn(&bucket), "until": null}],
        })
    );
    assert_eq!(
        block(&w, &bucket).await,
        Some([true; 4]),
        "the dry run wrote nothing"
    );
    let listed = w.ask(json!({"resource": arn(&bucket)})).await;
    assert_eq!(listed["suppressions"], json!([]), "and suppressed nothing");
    assert_eq!(listed["changes"].as_array().unwrap().len(), 1);
    assert_eq!(listed["changes"][0]["status"], "applied");

    let done = w.ask(json!({"change_id": record.change_id})).await;
    assert_eq!(done["status"], "rolled-back", "{done:#}");
    assert_eq!(done["restored"], partial);
    assert_eq!(block(&w, &bucket).await, Some([true, false, false, false]));
}
