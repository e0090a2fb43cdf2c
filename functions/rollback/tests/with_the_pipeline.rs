//! Rollback with the pipeline keeping the books: bucket-guard runs with
//! `WARDEN_STATE_TABLE` set, so the change records and their `change_id`s
//! are the pipeline's own; rollback undoes one by the id the outcome names;
//! and the same event delivered again afterwards (the guard's next check)
//! finds the rule suppressed and leaves the restored state alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod world;

use bucket_guard::BucketGuard;
use bucket_guard::s3::S3Buckets;
use serde_json::{Value, json};
use warden_shared::Pipeline;
use warden_tests::fixtures;
use world::{BUCKET_EVENTS, World, change_ids, world};

fn pipeline(w: &World) -> Pipeline<BucketGuard> {
    let guard = BucketGuard::from_env(&[("X", "")][..]).expect("valid bucket settings");
    w.pipeline_with_table(guard, S3Buckets::new(&w.config))
}

#[tokio::test]
async fn a_rolled_back_change_is_not_put_back_by_the_next_event() {
    let w = world().await;
    let (bucket, arn) = w.bare_bucket("rb-e2e").await;
    let pipeline = pipeline(&w);

    // The bucket has no Block Public Access (nor anything else): the
    // pipeline fixes all four rules and records each change.
    let event = BUCKET_EVENTS.load("create-bucket.json", &bucket);
    let outcome = fixtures::handle(&pipeline, event.clone()).await;
    assert_eq!(outcome["status"], "remediated", "{outcome:#}");
    let ids = change_ids(&outcome);
    let (_, block_id) = ids
        .iter()
        .find(|(rule, _)| rule == "public-access-block")
        .unwrap_or_else(|| panic!("a public-access-block change in {outcome:#}"));
    let record = w.state.change(block_id).await.unwrap().expect("the record");
    assert_eq!(
        record.before,
        json!({"PublicAccessBlockConfiguration": null})
    );

    let answer = w.ask(json!({"change_id": block_id})).await;
    assert_eq!(answer["status"], "rolled-back", "{answer:#}");
    assert_eq!(
        answer["writes"],
        json!([{"call": "DeletePublicAccessBlock"}])
    );
    let gone = w.s3.get_public_access_block().bucket(&bucket).send().await;
    assert!(gone.is_err(), "Block Public Access was deleted again");

    // The next event on the bucket: the rule is suppressed, so nothing puts
    // Block Public Access back; the other rules still hold.
    let again = BUCKET_EVENTS.load("delete-bucket-public-access-block.json", &bucket);
    let outcome = fixtures::handle(&pipeline, again).await;
    assert_eq!(outcome["status"], "compliant", "{outcome:#}");
    assert!(
        outcome["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "public-access-block"),
        "{outcome:#}"
    );
    let still_gone = w.s3.get_public_access_block().bucket(&bucket).send().await;
    assert!(
        still_gone.is_err(),
        "the suppressed rule put nothing back: {outcome:#}"
    );

    // The audit lists the rollback and the suppression.
    let listed = w.ask(json!({"resource": arn})).await;
    assert_eq!(listed["suppressions"][0]["rule"], "public-access-block");
    assert_eq!(
        listed["suppressions"][0]["change_id"],
        answer["rollback_change_id"]
    );
    let statuses: Vec<(&Value, &Value)> = listed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rule"] == "public-access-block")
        .map(|c| (&c["status"], &c["rollback_of"]))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (&json!("applied"), &json!(block_id)),
            (&json!("rolled-back"), &Value::Null),
        ]
    );
}
