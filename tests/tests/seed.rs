//! Proves `tests/seed_moto.py` through its Rust wrapper: the returned events
//! name resources that really exist in moto, carrying the events' tags.

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use warden_tests::seed::{seed_event, unique_suffix};
use warden_tests::{HarnessError, moto, s3, sdk_config};

fn request_parameters(event: &Value) -> &Value {
    &event["detail"]["requestParameters"]
}

/// `events/tag-guard/<file>` seeded into the shared moto with `suffix`.
fn seeded(file: &str, suffix: &str) -> Value {
    let path = format!("events/tag-guard/{file}");
    seed_event(moto().endpoint(), &path, suffix).unwrap_or_else(|e| panic!("seed {path}: {e}"))
}

#[tokio::test]
async fn bucket_tagging_event_names_a_tagged_bucket() {
    let suffix = unique_suffix();
    let event = seeded("s3-put-bucket-tagging.json", &suffix);

    let bucket = request_parameters(&event)["bucketName"]
        .as_str()
        .expect("bucketName");
    assert_eq!(bucket, format!("warden-demo-{suffix}-bucket"));
    assert_eq!(
        event["detail"]["resources"][0]["ARN"],
        format!("arn:aws:s3:::{bucket}")
    );

    let s3 = s3(&sdk_config(moto().endpoint()).await);
    let tagging = s3
        .get_bucket_tagging()
        .bucket(bucket)
        .send()
        .await
        .expect("the seeded bucket has tags");
    let tags: Vec<(&str, &str)> = tagging
        .tag_set()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert!(
        tags.contains(&("contact", "billing@customer-corp.com")),
        "{tags:?}"
    );
    assert!(tags.contains(&("env", "prod")), "{tags:?}");
}

#[test]
fn instance_id_is_moto_s_and_reseeding_reuses_it() {
    let suffix = unique_suffix();
    let file = "ec2-create-tags.json";
    let instance_id = |event: &Value| {
        request_parameters(event)["resourcesSet"]["items"][0]["resourceId"]
            .as_str()
            .expect("resourceId")
            .to_string()
    };

    let first = seeded(file, &suffix);
    let id = instance_id(&first);
    assert!(id.starts_with("i-"), "{id}");
    assert_ne!(id, "i-0123456789abcdef0", "the placeholder id was replaced");
    assert!(!first.to_string().contains("i-0123456789abcdef0"));
    let tags = &request_parameters(&first)["tagSet"]["items"];
    assert_eq!(tags[0]["value"], "jane.doe@example.com");
    assert_eq!(tags[1]["value"], format!("warden-demo-{suffix}-web"));

    let again = seeded(file, &suffix);
    assert_eq!(instance_id(&again), id, "same suffix, same instance");
}

#[test]
fn failed_call_keeps_its_error_and_kms_key_id_is_substituted() {
    let suffix = unique_suffix();

    let failed = seeded("failed-call.json", &suffix);
    assert_eq!(failed["detail"]["errorCode"], "AccessDenied");
    assert_eq!(
        request_parameters(&failed)["userName"],
        format!("warden-demo-{suffix}-intern")
    );

    let kms = seeded("kms-tag-resource.json", &suffix);
    let key_id = request_parameters(&kms)["keyId"].as_str().expect("keyId");
    assert_ne!(key_id, "1234abcd-12ab-34cd-56ef-1234567890ab");
    assert_eq!(
        kms["detail"]["resources"][0]["ARN"],
        format!("arn:aws:kms:us-east-1:123456789012:key/{key_id}")
    );
}

#[test]
fn failures_carry_the_script_s_stderr() {
    let moto = moto();
    let err = seed_event(
        moto.endpoint(),
        "events/tag-guard/no-such-file.json",
        &unique_suffix(),
    )
    .expect_err("a missing file cannot be seeded");
    match &err {
        HarnessError::Seed { stderr, file, .. } => {
            assert_eq!(file, "events/tag-guard/no-such-file.json");
            assert!(stderr.contains("no-such-file.json"), "{stderr}");
        }
        other => panic!("expected a Seed error, got {other}"),
    }

    let err = seed_event(
        moto.endpoint(),
        "events/tag-guard/clean-tags.json",
        "Not_A_Suffix",
    )
    .expect_err("an invalid suffix is refused");
    assert!(err.to_string().contains("invalid --suffix"), "{err}");
}
