//! Rolling back trail-guard's changes against moto: a trail's logging, its
//! log file validation (unless the trail changed since) and its regions.
//! mfa-guard's quarantine is in `trails_and_users/users.rs`, and what is
//! refused, with why, in `trails_and_users/refusals.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "trails_and_users/refusals.rs"]
mod refusals;
#[path = "trails_and_users/users.rs"]
mod users;
mod world;

use serde_json::json;
use trail_guard::{Trail, rule};
use warden_shared::state::{ChangeRecord, ChangeStatus};
use warden_tests::fixtures::unique;
use world::{ACCOUNT, REGION, TRAIL_EVENTS, World, rolled_back, world};

fn trail_arn(trail: &str) -> String {
    format!("arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{trail}")
}

async fn is_logging(w: &World, trail: &str) -> bool {
    w.cloudtrail
        .get_trail_status()
        .name(trail)
        .send()
        .await
        .unwrap()
        .is_logging()
        .unwrap()
}

async fn validation(w: &World, trail: &str) -> bool {
    w.cloudtrail
        .get_trail()
        .name(trail)
        .send()
        .await
        .unwrap()
        .trail()
        .unwrap()
        .log_file_validation_enabled()
        .unwrap()
}

/// A rule trail-guard fixes, and the action its change record names.
type Fix = (&'static str, &'static str);
const TRAIL_LOGGING: Fix = (rule::TRAIL_LOGGING, "start-logging");
const LOG_FILE_VALIDATION: Fix = (rule::LOG_FILE_VALIDATION, "update-trail");
const MULTI_REGION: Fix = (rule::MULTI_REGION, "update-trail");

/// trail-guard's fix of `rule` for the event in `file` (whose call the
/// test has made), recorded as the pipeline records it.
async fn fix_trail(w: &World, trail: &str, file: &str, fix: Fix) -> ChangeRecord {
    let event = TRAIL_EVENTS.load(file, trail);
    let target = Trail::new(trail, REGION, ACCOUNT);
    let mut records = w.fixed(&w.trail_pipeline(), &target, &event, &[fix]).await;
    records.remove(0)
}

async fn turn_validation_off(w: &World, trail: &str) {
    w.cloudtrail
        .update_trail()
        .name(trail)
        .enable_log_file_validation(false)
        .send()
        .await
        .unwrap();
}

/// A new trail whose log file validation was turned off, and trail-guard's
/// recorded fix that turned it on again.
async fn validation_turned_off_and_fixed(w: &World, trail: &str) -> ChangeRecord {
    w.create_trail(trail).await;
    turn_validation_off(w, trail).await;
    let file = "update-trail-disable-validation.json";
    fix_trail(w, trail, file, LOG_FILE_VALIDATION).await
}

#[tokio::test]
async fn a_trail_warden_started_is_stopped_again() {
    let w = world().await;
    let trail = unique("rb-logging");
    w.create_trail(&trail).await;
    w.cloudtrail
        .stop_logging()
        .name(&trail)
        .send()
        .await
        .unwrap();
    let record = fix_trail(&w, &trail, "stop-logging-by-name.json", TRAIL_LOGGING).await;
    assert_eq!(record.before, json!({"IsLogging": false}));
    assert_eq!(record.after, json!({"IsLogging": true}));
    assert!(is_logging(&w, &trail).await);

    let (rollback_id, answer) = w.roll_back(&record).await;
    assert_eq!(
        answer,
        rolled_back(
            &record,
            json!([{"call": "StopLogging"}]),
            json!({"IsLogging": false}),
            &[],
        )
    );
    assert!(!is_logging(&w, &trail).await);
    let changes = w.changes(&trail_arn(&trail)).await;
    assert_eq!(changes[0].change_id, rollback_id);
    assert_eq!(changes[0].actions, vec!["stop-logging"]);
    assert_eq!(changes[1].status, ChangeStatus::RolledBack);
}

#[tokio::test]
async fn log_file_validation_is_turned_off_again_unless_the_trail_changed_since() {
    let w = world().await;
    let trail = unique("rb-validation");
    let record = validation_turned_off_and_fixed(&w, &trail).await;
    assert!(validation(&w, &trail).await);

    // A dry run shows the call and makes none.
    let dry = w
        .ask(json!({"change_id": record.change_id, "dry_run": true}))
        .await;
    assert_eq!(dry["status"], "would-roll-back", "{dry:#}");
    assert_eq!(
        dry["writes"],
        json!([{"call": "UpdateTrail", "EnableLogFileValidation": false}])
    );
    assert_eq!(dry["now"], json!({"LogFileValidationEnabled": true}));
    assert_eq!(dry["restores"], json!({"LogFileValidationEnabled": false}));
    assert!(validation(&w, &trail).await, "the dry run wrote nothing");
    assert_eq!(w.changes(&trail_arn(&trail)).await.len(), 1);

    let done = w.ask(json!({"change_id": record.change_id})).await;
    assert_eq!(done["status"], "rolled-back", "{done:#}");
    assert_eq!(done["restored"], json!({"LogFileValidationEnabled": false}));
    assert!(!validation(&w, &trail).await);
    // The trail kept logging: only the recorded setting was touched.
    assert!(is_logging(&w, &trail).await);

    // A trail someone changed since is refused, showing what changed.
    let trail = unique("rb-validation-changed");
    let record = validation_turned_off_and_fixed(&w, &trail).await;
    turn_validation_off(&w, &trail).await;
    let refused = w.ask(json!({"change_id": record.change_id})).await;
    assert_eq!(refused["status"], "refused");
    assert_eq!(
        refused["difference"],
        json!([{"path": "LogFileValidationEnabled", "recorded": true, "now": false}])
    );
}

#[tokio::test]
async fn a_trail_made_multi_region_again_is_single_region_again() {
    let w = world().await;
    let trail = unique("rb-region");
    w.create_trail(&trail).await;
    w.cloudtrail
        .update_trail()
        .name(&trail)
        .is_multi_region_trail(false)
        .send()
        .await
        .unwrap();
    let record = fix_trail(&w, &trail, "update-trail-single-region.json", MULTI_REGION).await;
    assert_eq!(
        record.before,
        json!({"IsMultiRegionTrail": false, "IncludeGlobalServiceEvents": true})
    );
    assert_eq!(
        record.after,
        json!({"IsMultiRegionTrail": true, "IncludeGlobalServiceEvents": true})
    );
    let answer = w.ask(json!({"change_id": record.change_id})).await;
    assert_eq!(answer["status"], "rolled-back", "{answer:#}");
    assert_eq!(
        answer["writes"],
        json!([{"call": "UpdateTrail", "IsMultiRegionTrail": false, "IncludeGlobalServiceEvents": true}])
    );
    let got = w.cloudtrail.get_trail().name(&trail).send().await.unwrap();
    let settings = got.trail().unwrap();
    assert_eq!(settings.is_multi_region_trail(), Some(false));
    assert_eq!(settings.include_global_service_events(), Some(true));
    assert!(is_logging(&w, &trail).await);
}
