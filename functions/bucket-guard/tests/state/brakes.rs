//! The brakes: the circuit breaker, CloudFormation's changes, the account's
//! hourly limit, a delivery handled elsewhere, and rollback's suppressions.

use super::*;

/// Someone keeps taking the encryption off: Warden puts it back three
/// times in the window, and the fourth time only reports, naming who.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_trips_on_the_fourth_change_in_the_window() {
    let (emu, table, bucket) = with_table("fight", Seed::NoEncryption).await;
    let env = settings("remediate", &[("WARDEN_STATE_TABLE", table.as_str())]);
    let pipeline = pipeline(&emu, &env);
    let undo = event("delete-bucket-encryption.json", &bucket);

    for round in 1..=3 {
        let outcome = handle(&pipeline, redelivered(undo.clone())).await;
        assert_eq!(outcome["status"], "remediated", "round {round}: {outcome}");
        emu.s3
            .delete_bucket_encryption()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
    }
    let fourth = handle(&pipeline, redelivered(undo.clone())).await;

    reason_starting(
        &fourth,
        "notified",
        &format!(
            "circuit breaker: Warden fixed default-encryption on {} 3 times in the last 60 minutes and it was undone each time, by arn:aws:sts::123456789012:assumed-role/PlatformAdmin/alice",
            arn(&bucket)
        ),
    );
    assert_eq!(fourth["findings"][0]["applied"], false);
    assert_eq!(view(&emu.s3, &bucket).await.encryption, Value::Null);
    let recorded = records(&emu, &table, &bucket).await;
    assert_eq!(recorded[0].status, ChangeStatus::WouldApply, "newest first");
    assert_eq!(
        recorded
            .iter()
            .filter(|r| r.status == ChangeStatus::Applied)
            .count(),
        3
    );
}

fn by_cloudformation(mut event: Value) -> Value {
    event["detail"]["userIdentity"] = json!({
        "type": "AssumedRole",
        "arn": "arn:aws:sts::123456789012:assumed-role/deploy-role/AWSCloudFormation",
        "accountId": "123456789012",
        "invokedBy": "cloudformation.amazonaws.com"
    });
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_cloudformation_made_is_notified_naming_the_stack() {
    // S3 keeps `aws:` tags for CloudFormation alone (moto refuses them
    // too): the proxy answers GetBucketTagging as S3 does for a stack's
    // bucket.
    let proxy = FaultProxy::start(warden_tests::moto().endpoint())
        .await
        .unwrap();
    let emu = Buckets::world(proxy.endpoint()).await;
    let bucket = unique("stack");
    seed(&emu.s3, &bucket, Seed::NoPublicAccessBlock, &Value::Null).await;
    proxy.inject_times(
        "GetBucketTagging",
        Effect::Respond {
            content_type: "application/xml".into(),
            body: concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>"#,
                "<Tag><Key>aws:cloudformation:stack-name</Key><Value>payments-prod</Value></Tag>",
                "</TagSet></Tagging>"
            )
            .into(),
        },
        3,
    );
    let event = by_cloudformation(event("delete-bucket-public-access-block.json", &bucket));

    let outcome = remediate(&emu, &[], event.clone()).await;

    assert_eq!(outcome["status"], "notified", "{outcome}");
    assert_eq!(
        outcome["reason"],
        "changed by CloudFormation stack `payments-prod`: fix the stack's template, or Warden and the next deploy will undo each other (IacChanges=notify)"
    );
    assert_eq!(
        view(&emu.s3, &bucket).await.public_access_block,
        Value::Null
    );

    let outcome = remediate(
        &emu,
        &[("WARDEN_IAC_CHANGES", "remediate")],
        redelivered(event),
    )
    .await;
    assert_eq!(outcome["status"], "remediated", "{outcome}");
    assert_eq!(view(&emu.s3, &bucket).await.public_access_block, ALL_ON());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_state_table_nothing_is_remembered() {
    let (emu, _, event) = seeded(
        "nostate",
        "delete-bucket-encryption.json",
        Seed::NoEncryption,
    )
    .await;
    let pipeline = pipeline(&emu, &settings("observe", &[]));

    let first = handle(&pipeline, event.clone()).await;
    let second = handle(&pipeline, event).await;

    assert_eq!(first["status"], "observed");
    assert_eq!(
        second, first,
        "each delivery is checked as if it were the first"
    );
    assert!(
        first["findings"][0]["changes"][0]
            .get("change_id")
            .is_none()
    );
}

/// Past the account's hourly limit every fix is held back, and one alert
/// (not one per fix) says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_account_limit_the_rest_of_the_hour_is_notify_only() {
    let emu = emulator().await;
    let table = state_table(&emu).await;
    let alerts = Alerts::subscribe(&emu.config, &unique("limit")).await;
    let env = settings(
        "remediate",
        &[
            ("WARDEN_STATE_TABLE", table.as_str()),
            ("WARDEN_ACCOUNT_CHANGES_PER_HOUR", "2"),
            ("WARDEN_TOPIC_ARN", alerts.topic_arn.as_str()),
        ],
    );
    let pipeline = pipeline(&emu, &env);
    let mut statuses = Vec::new();
    let mut buckets = Vec::new();
    for _ in 0..4 {
        let bucket = unique("limit");
        seed(&emu.s3, &bucket, Seed::NoEncryption, &Value::Null).await;
        let outcome = handle(
            &pipeline,
            redelivered(event("delete-bucket-encryption.json", &bucket)),
        )
        .await;
        statuses.push(outcome["status"].as_str().unwrap().to_string());
        if outcome["status"] == "notified" {
            assert_eq!(
                outcome["reason"],
                "account 123456789012 passed 2 remediations this hour (WARDEN_ACCOUNT_CHANGES_PER_HOUR): notify only for the rest of the hour"
            );
        }
        buckets.push(bucket);
    }

    assert_eq!(
        statuses,
        ["remediated", "remediated", "notified", "notified"]
    );
    assert_eq!(view(&emu.s3, &buckets[3]).await.encryption, Value::Null);
    let received = alerts.all().await;
    let notices: Vec<&String> = received
        .iter()
        .filter(|m| m.starts_with("account 123456789012 passed 2 remediations"))
        .collect();
    assert_eq!(notices.len(), 1, "{received:?}");
}

/// A delivery another invocation is still handling is not dropped: the
/// answer is an error, so Lambda retries it later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_being_handled_elsewhere_is_retried_not_dropped() {
    let (emu, table, bucket) = with_table("busy", Seed::NoEncryption).await;
    let event = event("delete-bucket-encryption.json", &bucket);
    let id = event["detail"]["eventID"].as_str().unwrap();
    let state = warden_tests::state::table(&emu.config, &table);
    let claimed = state
        .claim(&format!("claim#bucket-guard#{id}"))
        .await
        .unwrap();
    assert_eq!(claimed, warden_shared::state::Claim::Taken);
    let env = settings("remediate", &[("WARDEN_STATE_TABLE", table.as_str())]);

    let err = pipeline(&emu, &env).handle(event).await.unwrap_err();

    assert!(err.retryable(), "{err}");
    assert!(
        err.to_string()
            .contains("another invocation has been handling this delivery since 20"),
        "{err}"
    );
    assert_eq!(view(&emu.s3, &bucket).await.encryption, Value::Null);
}

/// A rollback's suppression switches its rule off on that resource, on the
/// event path and the sweep alike; the other rules still run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suppression_is_honoured_like_an_exemption_for_its_rule() {
    let (emu, table, bucket) = with_table("suppressed", Seed::Bare).await;
    let state = warden_tests::state::table(&emu.config, &table);
    state
        .suppress(&warden_shared::state::Suppression {
            resource: arn(&bucket),
            guard: "bucket-guard".into(),
            rule: "default-encryption".into(),
            until: warden_shared::state::format_time(warden_shared::state::now_ms() + 3_600_000),
            change_id: "chg-rolled-back".into(),
            reason: "rolled back".into(),
        })
        .await
        .unwrap();
    let env = settings("remediate", &[("WARDEN_STATE_TABLE", table.as_str())]);
    let pipeline = pipeline(&emu, &env);

    let outcome = handle(&pipeline, event("create-bucket.json", &bucket)).await;

    assert_eq!(outcome["status"], "remediated", "{outcome}");
    assert_eq!(
        rules_of(&outcome),
        ["tls-required", "tls-version", "public-access-block"]
    );
    assert_eq!(view(&emu.s3, &bucket).await.encryption, Value::Null);

    // The sweep honours it too, and claims each resource once per sweep.
    let target = bucket_guard::Bucket::new(&bucket, "us-east-1");
    let context = warden_shared::Context::sweep("sweep-1", "123456789012", "us-east-1");
    let swept = pipeline.check_resource(&target, &context).await.unwrap();
    assert_eq!(swept.status, warden_shared::Status::Compliant, "{swept:?}");
    let again = pipeline.check_resource(&target, &context).await.unwrap();
    assert_eq!(again.status, warden_shared::Status::Skipped);
    assert!(
        again
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("already handled at ") && r.ends_with("(compliant)")),
        "{again:?}"
    );
}
