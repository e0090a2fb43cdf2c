//! trail-guard end to end against the moto emulator, in process: the real
//! pipeline, the real CloudTrail adapter and SDK over HTTP, with every
//! resulting trail read back independently through the SDK.

mod common;

use common::*;
use serde_json::{Value, json};
use trail_guard::{TrailGuard, TrailRules};
use warden_shared::{Config, Pipeline};
use warden_tests::fixtures::{event_id, handle, observed, unique};

fn pipeline(emu: &Emulator, env: &[(String, String)]) -> Pipeline<TrailGuard> {
    let config = Config::from_env(env).expect("valid settings");
    let rules = TrailRules::from_env(env).expect("valid trail settings");
    Pipeline::build(TrailGuard::new(&emu.config, rules), config, &emu.config)
}

#[test]
fn every_event_file_has_a_case() {
    EVENTS.assert_cases_cover(cases().iter().map(|c| c.file));
}

#[tokio::test]
async fn every_event_file_in_remediate_mode() {
    let emu = emulator().await;
    for case in cases() {
        let (trail, event, before) = prepare(&emu, &case, "remediate").await;

        let outcome = handle(
            &pipeline(&emu, &settings("remediate", &case.env)),
            event.clone(),
        )
        .await;

        assert_eq!(outcome, (case.expect)(&trail, &event), "{}", case.file);
        if case.seed != Seed::Nothing {
            let (region, _) = home(&event);
            assert_eq!(
                view(&emu, &region, &trail).await,
                (case.after)(before),
                "{}",
                case.file
            );
        }
    }
}

#[tokio::test]
async fn observe_mode_changes_nothing_and_still_reports() {
    let emu = emulator().await;
    for case in cases() {
        let (trail, event, before) = prepare(&emu, &case, "observe").await;

        let outcome = handle(
            &pipeline(&emu, &settings("observe", &case.env)),
            event.clone(),
        )
        .await;

        assert_eq!(
            outcome,
            observed((case.expect)(&trail, &event)),
            "{}",
            case.file
        );
        if case.seed != Seed::Nothing {
            let (region, _) = home(&event);
            assert_eq!(
                view(&emu, &region, &trail).await,
                before,
                "{}: observe must not change the trail",
                case.file
            );
        }
    }
}

#[tokio::test]
async fn a_stopped_trail_is_logging_again_and_a_replay_changes_nothing() {
    let emu = emulator().await;
    let trail = unique("replay");
    let event = event("stop-logging-by-name.json", &trail);
    seed(&emu, &trail, Seed::Weakened, &event).await;
    let before = view(&emu, "us-east-1", &trail).await.unwrap();
    assert!(!before.is_logging, "seeded stopped");
    let pipeline = pipeline(&emu, &settings("remediate", &[]));

    assert_eq!(
        handle(&pipeline, event.clone()).await["status"],
        "remediated"
    );
    let fixed = view(&emu, "us-east-1", &trail).await.unwrap();
    assert!(fixed.is_logging, "GetTrailStatus reads IsLogging: true");
    assert_eq!(
        fixed.settings, before.settings,
        "nothing else about the trail changed"
    );

    assert_eq!(
        handle(&pipeline, event.clone()).await,
        outcome(&event, "compliant", None, vec![])
    );
    assert_eq!(view(&emu, "us-east-1", &trail).await.unwrap(), fixed);
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
async fn a_trail_deleted_before_its_stop_event_is_handled_is_skipped() {
    let emu = emulator().await;
    let trail = unique("gone");
    let event = event("stop-logging-by-name.json", &trail);
    let result = handle(&pipeline(&emu, &settings("remediate", &[])), event.clone()).await;
    let reason = format!("{} no longer exists", arn("us-east-1", &trail));
    assert_eq!(result, outcome(&event, "skipped", Some(&reason), vec![]));
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
async fn exemption_tags_switch_off_their_rules() {
    let emu = emulator().await;
    let pipeline = pipeline(&emu, &settings("remediate", &[]));

    let all = unique("exempt-all");
    let event_all = event("stop-logging-by-name.json", &all);
    create_healthy(
        &emu,
        "us-east-1",
        &all,
        true,
        &[("warden:exempt", "all until=2999-12-31"), ("team", "audit")],
    )
    .await;
    replay_call(&emu, &event_all).await;
    let reason = format!(
        "{} is exempt from every rule (tag warden:exempt)",
        arn("us-east-1", &all)
    );
    assert_eq!(
        handle(&pipeline, event_all.clone()).await,
        outcome(&event_all, "skipped", Some(&reason), vec![])
    );
    assert!(!view(&emu, "us-east-1", &all).await.unwrap().is_logging);

    let some = unique("exempt-some");
    let event_some = event("stop-logging-by-name.json", &some);
    create_healthy(
        &emu,
        "us-east-1",
        &some,
        false,
        &[("warden:exempt", "log-encryption")],
    )
    .await;
    replay_call(&emu, &event_some).await;
    assert_eq!(
        handle(&pipeline, event_some.clone()).await,
        outcome(
            &event_some,
            "remediated",
            None,
            vec![logging_finding(&arn("us-east-1", &some), true)]
        )
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
            "account": "123456789012", "region": "us-east-1", "event_id": event_id(&event),
            "event_name": "DeleteTrail", "principal": "arn:aws:iam::123456789012:user/alice",
            "mode": "notify", "outcome": "notified",
            "evidence": format!("DeleteTrail deleted the trail (requestParameters.name: {trail}); nothing is recorded for it any more and its settings are gone"),
            "changes": [], "applied": false, "severity": "critical"
        })
    );
}
