//! trail-guard's own edge cases against moto, in process (the generic
//! suites in `suites.rs` run every event file in every mode): home regions
//! and ARNs, organization trails, deleted trails, recreated trails,
//! advanced selectors, missing KMS keys, exemptions, and the one
//! `UpdateTrail` that names only what it turns back on.

mod fixture;

use fixture::*;
use serde_json::{Value, json};
use warden_tests::fixtures::{event_id, handle, unique};

#[tokio::test]
async fn a_trail_is_read_and_fixed_in_its_home_region() {
    let emu = emulator().await;
    // Both trails live in eu-west-1. A bare name made in eu-west-1 is the
    // caller's trail there; an ARN routes every call to the trail's home
    // region, whatever region the call was recorded in.
    for (tag, file, recorded_in) in [
        ("home-name", "stop-logging-by-name.json", "eu-west-1"),
        ("home-arn", "stop-logging-by-arn.json", "us-east-1"),
    ] {
        let trail = unique(tag);
        let mut event = event(file, &trail);
        event["region"] = json!(recorded_in);
        event["detail"]["awsRegion"] = json!(recorded_in);
        seed(&emu, &trail, Seed::Weakened, &event).await;
        let finding = logging_finding(&arn("eu-west-1", &trail), true);
        assert_eq!(
            remediate(&emu, &[], event.clone()).await,
            remediated(&event, vec![finding]),
            "{file}"
        );
        let after = view(&emu, "eu-west-1", &trail).await.unwrap();
        assert!(after.is_logging, "{file}: {after:?}");
    }
}

#[tokio::test]
async fn a_deletion_by_arn_quotes_the_arn_as_the_request_named_it() {
    let emu = emulator().await;
    let trail = unique("deleted-arn");
    let trail_arn = arn("us-east-1", &trail);
    let mut event = event("delete-trail.json", &trail);
    event["detail"]["requestParameters"]["name"] = json!(trail_arn);
    seed(&emu, &trail, Seed::Weakened, &event).await;

    let result = remediate(&emu, &[], event.clone()).await;

    let finding = deleted_finding(&trail_arn, &trail_arn);
    assert_eq!(result, notified(&event, DELETED_WHY, finding));
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
    let (emu, trail, event) = seeded("deleted", "delete-trail.json", Seed::Weakened).await;
    let pipeline = pipeline(&emu, &settings("remediate", &[]));
    let finding = deleted_finding(&arn("us-east-1", &trail), &trail);
    let expected = notified(&event, DELETED_WHY, finding);

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
        remediate(&emu, &[], event.clone()).await,
        outcome(&event, "compliant", None, vec![])
    );

    // The standing rules run on the new trail.
    let no_key = unique("recreated-nokey");
    let event_no_key = fixture::event("delete-trail.json", &no_key);
    create_healthy(&emu, "us-east-1", &no_key, false, &[]).await;
    assert_eq!(
        remediate(&emu, &[], event_no_key.clone()).await,
        notified(
            &event_no_key,
            KMS_WHY,
            encryption_finding(&arn("us-east-1", &no_key))
        )
    );
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
        remediate(&emu, &[], event.clone()).await,
        outcome(&event, "compliant", None, vec![])
    );
    assert_eq!(view(&emu, "us-east-1", &trail).await.unwrap(), before);
}

#[tokio::test]
async fn a_trail_without_a_kms_key_is_restarted_and_its_encryption_reported() {
    let (emu, trail, event) =
        seeded("nokey", "stop-logging-by-name.json", Seed::WeakenedNoKey).await;
    let trail_arn = arn("us-east-1", &trail);
    let findings = |applied| {
        vec![
            logging_finding(&trail_arn, applied),
            encryption_finding(&trail_arn),
        ]
    };

    let observe = handle(&pipeline(&emu, &settings("observe", &[])), event.clone()).await;
    assert_eq!(observe, outcome(&event, "observed", None, findings(false)));
    assert!(!view(&emu, "us-east-1", &trail).await.unwrap().is_logging);

    assert_eq!(
        remediate(&emu, &[], event.clone()).await,
        outcome(&event, "notified", Some(KMS_WHY), findings(true))
    );
    let after = view(&emu, "us-east-1", &trail).await.unwrap();
    assert!(after.is_logging);
    assert_eq!(
        after.settings["KmsKeyId"],
        Value::Null,
        "Warden never picks a key"
    );

    let lenient = [("WARDEN_REQUIRE_TRAIL_KMS_KEY", "false")];
    assert_eq!(
        remediate(&emu, &lenient, event.clone()).await,
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

    let result = remediate(&emu, &[], event.clone()).await;

    let findings = vec![
        validation_finding(&trail_arn, true),
        multi_region_finding(&trail_arn, "us-east-1", true),
    ];
    assert_eq!(result, remediated(&event, findings));
    let fixed = [
        ("IsMultiRegionTrail", json!(true)),
        ("LogFileValidationEnabled", json!(true)),
    ];
    assert_eq!(
        view(&emu, "us-east-1", &trail).await.unwrap(),
        with_settings(&before, &fixed),
        "bucket, prefix and KMS key are exactly as they were"
    );
}

#[tokio::test]
async fn notify_mode_publishes_the_deletion_with_its_severity() {
    let (emu, trail, event) = seeded("notify", "delete-trail.json", Seed::Weakened).await;
    let alerts = warden_tests::Alerts::subscribe(&emu.config, &unique("alerts")).await;
    let env = settings("notify", &[("WARDEN_TOPIC_ARN", &alerts.topic_arn)]);

    let result = handle(&pipeline(&emu, &env), event.clone()).await;

    let trail_arn = arn("us-east-1", &trail);
    let finding = deleted_finding(&trail_arn, &trail);
    assert_eq!(result, outcome(&event, "notified", None, vec![finding]));
    let alert = alerts.the_one().await;
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
