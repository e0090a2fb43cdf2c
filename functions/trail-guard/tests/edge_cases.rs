//! trail-guard's own edge cases against moto, in process (the generic
//! suites in `suites.rs` run every event file in every mode): home regions
//! and ARNs, organization trails, trails gone or deleted, recreated trails,
//! advanced selectors, missing KMS keys, exemptions, and the one
//! `UpdateTrail` that names only what it turns back on.

mod fixture;

use fixture::*;
use serde_json::{Value, json};
use warden_tests::fixtures::{event_id, handle, unique};

#[tokio::test]
async fn a_trail_is_read_and_fixed_in_its_home_region() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("remediate", &[]));

    // A bare name made in eu-west-1 is the caller's trail there.
    let by_name = unique("home-name");
    let mut event_by_name = event("stop-logging-by-name.json", &by_name);
    event_by_name["region"] = json!("eu-west-1");
    event_by_name["detail"]["awsRegion"] = json!("eu-west-1");
    seed(&emu, &by_name, Seed::Weakened, &event_by_name).await;
    assert_eq!(
        handle(&pipeline, event_by_name.clone()).await,
        outcome(
            &event_by_name,
            "remediated",
            None,
            vec![logging_finding(&arn("eu-west-1", &by_name), true)]
        )
    );
    assert!(view(&emu, "eu-west-1", &by_name).await.unwrap().is_logging);

    // An ARN routes every call to the trail's home region, whatever region
    // the call was recorded in.
    let by_arn = unique("home-arn");
    let mut event_by_arn = event("stop-logging-by-arn.json", &by_arn);
    event_by_arn["region"] = json!("us-east-1");
    event_by_arn["detail"]["awsRegion"] = json!("us-east-1");
    seed(&emu, &by_arn, Seed::Weakened, &event_by_arn).await;
    assert_eq!(
        handle(&pipeline, event_by_arn.clone()).await,
        outcome(
            &event_by_arn,
            "remediated",
            None,
            vec![logging_finding(&arn("eu-west-1", &by_arn), true)]
        )
    );
    assert!(view(&emu, "eu-west-1", &by_arn).await.unwrap().is_logging);
}

#[tokio::test]
async fn a_deletion_by_arn_quotes_the_arn_as_the_request_named_it() {
    let emu = emulator().await;
    let trail = unique("deleted-arn");
    let trail_arn = arn("us-east-1", &trail);
    let mut event = event("delete-trail.json", &trail);
    event["detail"]["requestParameters"]["name"] = json!(trail_arn);
    seed(&emu, &trail, Seed::Weakened, &event).await;

    let result = handle(&pipeline(&emu, &settings("remediate", &[])), event.clone()).await;

    assert_eq!(
        result,
        outcome(
            &event,
            "notified",
            Some(DELETED_WHY),
            vec![deleted_finding(&trail_arn, &trail_arn)]
        )
    );
}

#[tokio::test]
async fn an_organization_trail_of_another_account_makes_no_aws_call() {
    let emu = emulator().await;
    // AWS behind a closed port: any call would be an infrastructure error.
    let env = settings("remediate", &[]);
    let closed = warden_tests::aws::sdk_config("http://127.0.0.1:9").await;
    let offline = Emulator {
        config: closed,
        s3: emu.s3.clone(),
    };
    let event = event("stop-logging-organization-trail.json", "unused");

    let result = handle(&pipeline(&offline, &env), event.clone()).await;

    assert_eq!(result["status"], "skipped");
    assert_eq!(
        result["reason"],
        "arn:aws:cloudtrail:us-east-1:111122223333:trail/warden-org-trail belongs to account 111122223333, \
         not 123456789012: an organization trail seen from a member account is guarded in the account that owns it"
    );
}

#[tokio::test]
async fn a_replayed_deletion_is_reported_again_and_no_trail_is_created() {
    let emu = emulator().await;
    let trail = unique("deleted");
    let event = event("delete-trail.json", &trail);
    seed(&emu, &trail, Seed::Weakened, &event).await;
    let pipeline = pipeline(&emu, &settings("remediate", &[]));
    let expected = outcome(
        &event,
        "notified",
        Some(DELETED_WHY),
        vec![deleted_finding(&arn("us-east-1", &trail), &trail)],
    );

    assert_eq!(handle(&pipeline, event.clone()).await, expected);
    assert_eq!(handle(&pipeline, event.clone()).await, expected);
    for region in ["us-east-1", "eu-west-1"] {
        let trails = cloudtrail(&emu.config, region)
            .list_trails()
            .send()
            .await
            .expect("ListTrails");
        assert!(
            trails.trails().iter().all(|t| t.name() != Some(&trail)),
            "no trail named {trail} in {region}"
        );
    }
}

#[tokio::test]
async fn a_deletion_of_a_trail_that_exists_again_is_not_reported() {
    let emu = emulator().await;
    let trail = unique("recreated");
    let event = event("delete-trail.json", &trail);
    // Deleted and recreated before the event is handled: a healthy trail.
    create_healthy(&emu, "us-east-1", &trail, true, &[]).await;
    assert_eq!(
        handle(&pipeline(&emu, &settings("remediate", &[])), event.clone()).await,
        outcome(&event, "compliant", None, vec![])
    );

    // The standing rules run on the new trail.
    let no_key = unique("recreated-nokey");
    let event_no_key = fixture::event("delete-trail.json", &no_key);
    create_healthy(&emu, "us-east-1", &no_key, false, &[]).await;
    assert_eq!(
        handle(
            &pipeline(&emu, &settings("remediate", &[])),
            event_no_key.clone()
        )
        .await,
        outcome(
            &event_no_key,
            "notified",
            Some(KMS_WHY),
            vec![encryption_finding(&arn("us-east-1", &no_key))]
        )
    );
}

#[tokio::test]
async fn a_trail_deleted_before_its_stop_event_is_handled_is_skipped() {
    let emu = emulator().await;
    let trail = unique("gone");
    let event = event("stop-logging-by-name.json", &trail);
    let result = handle(&pipeline(&emu, &settings("remediate", &[])), event.clone()).await;
    let reason = format!("{} no longer exists", arn("us-east-1", &trail));
    assert_eq!(result, outcome(&event, "skipped", Some(&reason), vec![]));
}

#[tokio::test]
async fn advanced_selectors_that_keep_write_management_events_are_compliant() {
    let emu = emulator().await;
    let trail = unique("advanced-ok");
    let mut event = event("put-event-selectors-advanced-data-only.json", &trail);
    event["detail"]["requestParameters"]["advancedEventSelectors"] = json!([
        {"name": "Management events but KMS", "fieldSelectors": [
            {"field": "eventCategory", "equals": ["Management"]},
            {"field": "eventSource", "notEquals": ["kms.amazonaws.com"]}]},
        {"name": "S3 object writes", "fieldSelectors": [
            {"field": "eventCategory", "equals": ["Data"]},
            {"field": "resources.type", "equals": ["AWS::S3::Object"]},
            {"field": "readOnly", "equals": ["false"]}]}
    ]);
    seed(&emu, &trail, Seed::Weakened, &event).await;
    let before = view(&emu, "us-east-1", &trail).await.unwrap();
    assert_eq!(
        before.selectors["advanced"],
        json!(["Management events but KMS", "S3 object writes"]),
        "seeded with the event's selectors"
    );

    assert_eq!(
        handle(&pipeline(&emu, &settings("remediate", &[])), event.clone()).await,
        outcome(&event, "compliant", None, vec![])
    );
    assert_eq!(view(&emu, "us-east-1", &trail).await.unwrap(), before);
}

#[tokio::test]
async fn a_trail_without_a_kms_key_is_restarted_and_its_encryption_reported() {
    let emu = emulator().await;
    let trail = unique("nokey");
    let event = event("stop-logging-by-name.json", &trail);
    seed(&emu, &trail, Seed::WeakenedNoKey, &event).await;
    let trail_arn = arn("us-east-1", &trail);

    let observe = handle(&pipeline(&emu, &settings("observe", &[])), event.clone()).await;
    assert_eq!(
        observe,
        outcome(
            &event,
            "observed",
            None,
            vec![
                logging_finding(&trail_arn, false),
                encryption_finding(&trail_arn)
            ]
        )
    );
    assert!(!view(&emu, "us-east-1", &trail).await.unwrap().is_logging);

    let remediate = handle(&pipeline(&emu, &settings("remediate", &[])), event.clone()).await;
    assert_eq!(
        remediate,
        outcome(
            &event,
            "notified",
            Some(KMS_WHY),
            vec![
                logging_finding(&trail_arn, true),
                encryption_finding(&trail_arn)
            ]
        )
    );
    let after = view(&emu, "us-east-1", &trail).await.unwrap();
    assert!(after.is_logging);
    assert_eq!(
        after.settings["KmsKeyId"],
        Value::Null,
        "Warden never picks a key"
    );

    let lenient = settings("remediate", &[("WARDEN_REQUIRE_TRAIL_KMS_KEY", "false")]);
    assert_eq!(
        handle(&pipeline(&emu, &lenient), event.clone()).await,
        outcome(&event, "compliant", None, vec![])
    );
}

#[tokio::test]
async fn an_update_that_breaks_both_settings_is_fixed_in_one_call() {
    let emu = emulator().await;
    let trail = unique("both");
    let mut event = event("update-trail-single-region.json", &trail);
    event["detail"]["requestParameters"]["enableLogFileValidation"] = json!(false);
    seed(&emu, &trail, Seed::Weakened, &event).await;
    let before = view(&emu, "us-east-1", &trail).await.unwrap();
    assert_eq!(
        (
            &before.settings["IsMultiRegionTrail"],
            &before.settings["LogFileValidationEnabled"]
        ),
        (&json!(false), &json!(false))
    );
    let trail_arn = arn("us-east-1", &trail);

    let result = handle(&pipeline(&emu, &settings("remediate", &[])), event.clone()).await;

    assert_eq!(
        result,
        outcome(
            &event,
            "remediated",
            None,
            vec![
                validation_finding(&trail_arn, true),
                multi_region_finding(&trail_arn, "us-east-1", true)
            ]
        )
    );
    let after = view(&emu, "us-east-1", &trail).await.unwrap();
    let mut expected = before.clone();
    expected.settings["IsMultiRegionTrail"] = json!(true);
    expected.settings["LogFileValidationEnabled"] = json!(true);
    assert_eq!(
        after, expected,
        "bucket, prefix and KMS key are exactly as they were"
    );
}

#[tokio::test]
async fn notify_mode_publishes_the_deletion_with_its_severity() {
    let emu = emulator().await;
    let name = unique("alerts");
    let alerts = warden_tests::Alerts::subscribe(&emu.config, &name).await;
    let topic = alerts.topic_arn.clone();

    let trail = unique("notify");
    let event = event("delete-trail.json", &trail);
    seed(&emu, &trail, Seed::Weakened, &event).await;
    let mut env = settings("notify", &[]);
    env.push(("WARDEN_TOPIC_ARN".into(), topic.clone()));

    let result = handle(&pipeline(&emu, &env), event.clone()).await;

    let trail_arn = arn("us-east-1", &trail);
    assert_eq!(
        result,
        outcome(
            &event,
            "notified",
            None,
            vec![deleted_finding(&trail_arn, &trail)]
        )
    );
    let messages = alerts.received().await;
    assert_eq!(messages.len(), 1);
    let alert: Value = serde_json::from_str(&messages[0]).unwrap();
    assert_eq!(
        alert,
        json!({
            "guard": "trail-guard", "rule": "trail-deleted", "resource": trail_arn,
            "account": "123456789012", "region": "us-east-1",
            "trigger": {"event": {"event_id": event_id(&event), "event_name": "DeleteTrail"}},
            "event_id": event_id(&event),
            "event_name": "DeleteTrail", "principal": "arn:aws:iam::123456789012:user/alice",
            "mode": "notify", "outcome": "notified",
            "evidence": format!("DeleteTrail deleted the trail (requestParameters.name: {trail}); nothing is recorded for it any more and its settings are gone"),
            "changes": [], "applied": false, "severity": "critical"
        })
    );
}
