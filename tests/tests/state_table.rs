//! The state table the template creates is the one the code uses: a table
//! made in moto's DynamoDB from `WardenStateTable`'s own properties (keys,
//! index, billing, encryption, then its TTL and point-in-time recovery) is
//! read back with those settings, and Warden's `StateTable` claims, records,
//! finds by change id (through the index), lists newest first and suppresses
//! on it, every item carrying the TTL attribute the template names.

// Tests: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    PointInTimeRecoverySpecification, Projection, ProjectionType, ScalarAttributeType,
    SseSpecification, TimeToLiveSpecification,
};
use serde_json::{Value, json};
use warden_shared::outcome::Status;
use warden_shared::state::{
    ChangeRecord, Claim, StateSettings, StateTable, Suppression, format_time, now_ms,
};
use warden_tests::template::resource;
use warden_tests::{moto, sdk_config};

fn key_schema(keys: &Value) -> Vec<KeySchemaElement> {
    keys.as_array()
        .unwrap()
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(k["AttributeName"].as_str().unwrap())
                .key_type(KeyType::from(k["KeyType"].as_str().unwrap()))
                .build()
                .unwrap()
        })
        .collect()
}

/// `CreateTable`, `UpdateTimeToLive` and `UpdateContinuousBackups` with the
/// template's properties, as CloudFormation would make them.
async fn create_from_template(client: &aws_sdk_dynamodb::Client, name: &str) {
    let props = &resource("WardenStateTable")["Properties"];
    let mut create = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::from(props["BillingMode"].as_str().unwrap()))
        .set_key_schema(Some(key_schema(&props["KeySchema"])))
        .sse_specification(
            SseSpecification::builder()
                .enabled(props["SSESpecification"]["SSEEnabled"].as_bool().unwrap())
                .build(),
        );
    for a in props["AttributeDefinitions"].as_array().unwrap() {
        create = create.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(a["AttributeName"].as_str().unwrap())
                .attribute_type(ScalarAttributeType::from(
                    a["AttributeType"].as_str().unwrap(),
                ))
                .build()
                .unwrap(),
        );
    }
    for index in props["GlobalSecondaryIndexes"].as_array().unwrap() {
        create = create.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index["IndexName"].as_str().unwrap())
                .set_key_schema(Some(key_schema(&index["KeySchema"])))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(
                            index["Projection"]["ProjectionType"].as_str().unwrap(),
                        ))
                        .build(),
                )
                .build()
                .unwrap(),
        );
    }
    create.send().await.expect("CreateTable");
    let ttl = &props["TimeToLiveSpecification"];
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(ttl["AttributeName"].as_str().unwrap())
                .enabled(ttl["Enabled"].as_bool().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("UpdateTimeToLive");
    client
        .update_continuous_backups()
        .table_name(name)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(
                    props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
                        .as_bool()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("UpdateContinuousBackups");
}

fn record(change_id: &str, resource: &str, created_ms: i64) -> ChangeRecord {
    serde_json::from_value(json!({
        "change_id": change_id,
        "resource": resource,
        "account": "123456789012",
        "region": "us-east-1",
        "guard": "bucket-guard",
        "rule": "tls-required",
        "trigger": {"event": {"event_id": format!("event-{change_id}"), "event_name": "PutBucketPolicy"}},
        "principal": "arn:aws:iam::123456789012:user/alice",
        "mode": "remediate",
        "actions": ["put-bucket-policy"],
        "before": {"policy": null},
        "after": {"policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"},
        "status": "applied",
        "outcome": "remediated",
        "reason": null,
        "created_at": format_time(created_ms),
        "completed_at": format_time(created_ms + 800),
        "rollback_of": null,
        "rolled_back_by": null
    }))
    .expect("a change record")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_templates_table_serves_every_read_and_write_of_the_code() {
    let moto = moto();
    let config = sdk_config(moto.endpoint()).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let name = format!("warden-template-state-{}", std::process::id());
    create_from_template(&client, &name).await;

    // Read back: what the template asked for.
    let table = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let keys: Vec<(String, String)> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name().to_string(), k.key_type().to_string()))
        .collect();
    assert_eq!(
        keys,
        [
            ("pk".to_string(), "HASH".to_string()),
            ("sk".to_string(), "RANGE".to_string())
        ]
    );
    assert_eq!(
        table
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|m| m.as_str()),
        Some("PAY_PER_REQUEST")
    );
    let indexes = table.global_secondary_indexes();
    assert_eq!(indexes.len(), 1);
    assert_eq!(
        indexes[0].index_name(),
        Some(warden_shared::state::CHANGE_INDEX)
    );
    assert_eq!(indexes[0].key_schema()[0].attribute_name(), "change_id");
    assert_eq!(
        table
            .sse_description()
            .and_then(|s| s.status())
            .map(|s| s.as_str()),
        Some("ENABLED")
    );
    let ttl = client
        .describe_time_to_live()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
    assert_eq!(
        ttl.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED")
    );
    let backups = client
        .describe_continuous_backups()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .continuous_backups_description
        .unwrap();
    assert_eq!(
        backups
            .point_in_time_recovery_description()
            .and_then(|p| p.point_in_time_recovery_status())
            .map(|s| s.as_str()),
        Some("ENABLED")
    );

    // Warden's own reads and writes on it.
    let settings = StateSettings::from_env(&[(StateSettings::TABLE, name.as_str())][..])
        .unwrap()
        .unwrap();
    let state = StateTable::new(client.clone(), settings);
    let bucket = "arn:aws:s3:::warden-template-state";
    let other = "arn:aws:s3:::warden-template-other";
    let now = now_ms();
    let older = record("change-older", bucket, now - 60_000);
    let newer = record("change-newer", bucket, now - 1_000);
    let elsewhere = record("change-elsewhere", other, now - 500);
    for r in [&older, &newer, &elsewhere] {
        state.put_change(r).await.unwrap();
    }
    assert_eq!(
        state.change("change-older").await.unwrap(),
        Some(older.clone())
    );
    assert_eq!(
        state.change("change-elsewhere").await.unwrap(),
        Some(elsewhere)
    );
    assert_eq!(state.change("change-unknown").await.unwrap(), None);
    assert_eq!(state.changes_of(bucket).await.unwrap(), [newer, older]);

    let suppression = Suppression {
        resource: bucket.into(),
        guard: "bucket-guard".into(),
        rule: "tls-required".into(),
        until: format_time(now + 86_400_000),
        change_id: "change-rollback".into(),
        reason: "rolled back change-newer".into(),
    };
    state.suppress(&suppression).await.unwrap();
    assert_eq!(state.suppressions_of(bucket).await.unwrap(), [suppression]);

    let claim = "claim#bucket-guard#template-event";
    assert_eq!(state.claim(claim).await.unwrap(), Claim::Taken);
    state.finish(claim, Status::Remediated).await.unwrap();
    assert!(
        matches!(state.claim(claim).await.unwrap(), Claim::Handled { .. }),
        "a second delivery is handled already"
    );

    // Every item expires through the attribute the template's TTL names.
    let items = client.scan().table_name(&name).send().await.unwrap();
    assert!(items.count() >= 5, "{items:?}");
    for item in items.items() {
        let expires = item
            .get("expires_at")
            .unwrap_or_else(|| panic!("an item without expires_at: {item:?}"));
        let seconds: i64 = expires.as_n().unwrap().parse().unwrap();
        assert!(seconds > now / 1000, "{item:?} expires in the future");
    }
}
