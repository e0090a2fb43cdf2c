//! Rolling back bucket-guard's changes against moto: the bucket policy text
//! byte for byte, an encryption configuration, Block Public Access; a
//! refusal that shows the difference when the bucket changed since; a dry
//! run that writes nothing; the suppressions written and listed; a second
//! rollback refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod world;

use bucket_guard::s3::S3Buckets;
use bucket_guard::{Bucket, BucketGuard, BucketState, rule};
use serde_json::{Value, json};
use warden_shared::Guard;
use warden_shared::state::ChangeStatus;
use warden_tests::buckets;
use warden_tests::fixtures::unique;
use world::{BUCKET_EVENTS, REGION, World, applied, block, remediate, settle, suppression, world};

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

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

/// The bucket's state through bucket-guard's own adapter.
async fn read(w: &World, bucket: &str) -> BucketState {
    S3Buckets::new(&w.config)
        .read(&Bucket::new(bucket, REGION))
        .await
        .unwrap()
        .expect("the bucket exists")
        .state
}

/// Warden's fix of `rule` on `bucket` for the event in `file`, made by the
/// real pipeline and recorded as the pipeline records it; returns the
/// records of `rules` (one write can fix several).
async fn fix(
    w: &World,
    bucket: &str,
    file: &str,
    env: &[(&str, &str)],
    rules: &[(&str, &str)],
) -> Vec<warden_shared::state::ChangeRecord> {
    let guard = BucketGuard::from_env(env).unwrap();
    let before = read(w, bucket).await;
    let event = BUCKET_EVENTS.load(file, bucket);
    remediate(&w.bucket_pipeline(env), event.clone()).await;
    let after = read(w, bucket).await;
    let mut records = vec![];
    for (rule, action) in rules {
        let record = applied(
            BucketGuard::NAME,
            rule,
            &arn(bucket),
            &event,
            &[action],
            guard.written(rule, &before),
            guard.written(rule, &after),
        );
        assert_ne!(record.before, record.after, "{rule} changed something");
        w.put(&record).await;
        records.push(record);
    }
    records
}

/// A compliant bucket but for its policy, which has a statement of its own
/// (and no TLS denies).
async fn bucket_with_own_policy(w: &World, tag: &str) -> (String, String) {
    let bucket = unique(tag);
    buckets::create(&w.s3, &bucket).await;
    buckets::set_encryption(&w.s3, &bucket, "AES256", None).await;
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
    let records = fix(
        &w,
        &bucket,
        "put-bucket-policy-without-tls.json",
        &[],
        &[
            (rule::TLS_REQUIRED, "put-bucket-policy"),
            (rule::TLS_VERSION, "put-bucket-policy"),
        ],
    )
    .await;
    let merged = buckets::policy_text(&w.s3, &bucket).await.unwrap();
    assert_ne!(merged, original, "Warden added its TLS denies");
    let (required, version) = (&records[0], &records[1]);

    let answer = w.ask(json!({"change_id": required.change_id})).await;
    let (rollback_id, answer) = settle(answer, 7);
    assert_eq!(
        answer,
        json!({
            "change_id": required.change_id,
            "resource": arn(&bucket),
            "guard": "bucket-guard",
            "rule": "tls-required",
            "status": "rolled-back",
            "rollback_change_id": "<rollback>",
            "writes": [{"call": "PutBucketPolicy", "Policy": original}],
            "restored": {"Policy": original},
            "also_rolled_back": [version.change_id],
            "suppressions": [
                suppression(&arn(&bucket), "bucket-guard", "tls-required", &required.change_id),
                suppression(&arn(&bucket), "bucket-guard", "tls-version", &version.change_id),
            ],
        })
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
async fn an_encryption_configuration_is_put_back_as_it_was() {
    let w = world().await;
    let bucket = unique("rb-enc");
    buckets::create(&w.s3, &bucket).await;
    buckets::set_encryption(&w.s3, &bucket, "AES256", None).await;
    buckets::set_public_access_block(&w.s3, &bucket, [true; 4]).await;
    let env = [
        ("WARDEN_MIN_ENCRYPTION", "sse-kms"),
        ("WARDEN_KMS_KEY_ARN", KEY),
    ];
    let records = fix(
        &w,
        &bucket,
        "put-bucket-encryption-kms-to-aes256.json",
        &env,
        &[(rule::DEFAULT_ENCRYPTION, "put-bucket-encryption")],
    )
    .await;
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
        json!({
            "change_id": records[0].change_id,
            "resource": arn(&bucket),
            "guard": "bucket-guard",
            "rule": "default-encryption",
            "status": "rolled-back",
            "rollback_change_id": "<rollback>",
            "writes": [{"call": "PutBucketEncryption", "ServerSideEncryptionConfiguration": aes256}],
            "restored": {"ServerSideEncryptionConfiguration": aes256},
            "also_rolled_back": [],
            "suppressions": [suppression(&arn(&bucket), "bucket-guard", "default-encryption", &records[0].change_id)],
        })
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
    let records = fix(
        &w,
        &bucket,
        "create-bucket.json",
        &[],
        &[
            (rule::DEFAULT_ENCRYPTION, "put-bucket-encryption"),
            (rule::PUBLIC_ACCESS_BLOCK, "put-public-access-block"),
        ],
    )
    .await;
    assert_eq!(block(&w, &bucket).await, Some([true; 4]));

    let answer = w.ask(json!({"change_id": records[1].change_id})).await;
    let (_, answer) = settle(answer, 7);
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
    let bucket = unique("rb-bpa");
    buckets::create(&w.s3, &bucket).await;
    buckets::set_encryption(&w.s3, &bucket, "AES256", None).await;
    // Partly on: Warden turns the other three on.
    buckets::set_public_access_block(&w.s3, &bucket, [true, false, false, false]).await;
    let records = fix(
        &w,
        &bucket,
        "delete-bucket-public-access-block.json",
        &[],
        &[(rule::PUBLIC_ACCESS_BLOCK, "put-public-access-block")],
    )
    .await;
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

#[tokio::test]
async fn a_rollback_whose_invocation_died_after_the_write_is_finished_by_the_next_request() {
    let w = world().await;
    let bucket = unique("rb-crash");
    buckets::create(&w.s3, &bucket).await;
    buckets::set_encryption(&w.s3, &bucket, "AES256", None).await;
    let records = fix(
        &w,
        &bucket,
        "delete-bucket-public-access-block.json",
        &[],
        &[(rule::PUBLIC_ACCESS_BLOCK, "put-public-access-block")],
    )
    .await;
    let record = &records[0];
    // What an invocation leaves when it dies between the write and the
    // books: its intent, pending, and the write made.
    let mut begun = world::applied(
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

    let answer = w.ask(json!({"change_id": record.change_id})).await;
    let (rollback_id, answer) = settle(answer, 7);
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
