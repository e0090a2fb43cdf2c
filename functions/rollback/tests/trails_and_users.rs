//! Rolling back trail-guard's and mfa-guard's changes against moto: a
//! trail's logging and its log file validation, a quarantine (detached);
//! and what is refused, with why: a deleted login profile, a tag
//! redaction, a pending record, an unknown change id, no state table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod world;

use mfa_guard::MfaGuard;
use mfa_guard::iam::IamUsers;
use mfa_guard::subject::{MfaState, User};
use rollback::{Rollback, Settings};
use serde_json::json;
use trail_guard::cloudtrail::Trails;
use trail_guard::{Trail, TrailGuard, TrailState, rule};
use warden_shared::Guard;
use warden_shared::state::ChangeStatus;
use warden_tests::fixtures::unique;
use world::{
    ACCOUNT, MFA_EVENTS, REGION, TRAIL_EVENTS, World, applied, remediate, settle, suppression,
    world,
};

fn trail_arn(trail: &str) -> String {
    format!("arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{trail}")
}

async fn read_trail(w: &World, trail: &str) -> TrailState {
    Trails::new(&w.config)
        .read(&Trail::new(trail, REGION, ACCOUNT))
        .await
        .unwrap()
        .expect("the trail exists")
        .state
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

/// trail-guard's fix for the event in `file` (whose call the test has
/// made), recorded as the pipeline records it.
async fn fix_trail(
    w: &World,
    trail: &str,
    file: &str,
    rule: &str,
    action: &str,
) -> warden_shared::state::ChangeRecord {
    let guard = TrailGuard {
        require_kms_key: false,
    };
    let before = read_trail(w, trail).await;
    let event = TRAIL_EVENTS.load(file, trail);
    remediate(&w.trail_pipeline(), event.clone()).await;
    let after = read_trail(w, trail).await;
    let record = applied(
        TrailGuard::NAME,
        rule,
        &trail_arn(trail),
        &event,
        &[action],
        guard.written(rule, &before),
        guard.written(rule, &after),
    );
    w.put(&record).await;
    record
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
async fn validation_turned_off_and_fixed(
    w: &World,
    trail: &str,
) -> warden_shared::state::ChangeRecord {
    w.create_trail(trail).await;
    turn_validation_off(w, trail).await;
    fix_trail(
        w,
        trail,
        "update-trail-disable-validation.json",
        rule::LOG_FILE_VALIDATION,
        "update-trail",
    )
    .await
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
    let record = fix_trail(
        &w,
        &trail,
        "stop-logging-by-name.json",
        rule::TRAIL_LOGGING,
        "start-logging",
    )
    .await;
    assert_eq!(record.before, json!({"IsLogging": false}));
    assert_eq!(record.after, json!({"IsLogging": true}));
    assert!(is_logging(&w, &trail).await);

    let answer = w.ask(json!({"change_id": record.change_id})).await;
    let (rollback_id, answer) = settle(answer, 7);
    assert_eq!(
        answer,
        json!({
            "change_id": record.change_id,
            "resource": trail_arn(&trail),
            "guard": "trail-guard",
            "rule": "trail-logging",
            "status": "rolled-back",
            "rollback_change_id": "<rollback>",
            "writes": [{"call": "StopLogging"}],
            "restored": {"IsLogging": false},
            "also_rolled_back": [],
            "suppressions": [suppression(&trail_arn(&trail), "trail-guard", "trail-logging", &record.change_id)],
        })
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

async fn attached(w: &World, user: &str) -> Vec<String> {
    w.iam
        .list_attached_user_policies()
        .user_name(user)
        .send()
        .await
        .unwrap()
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect()
}

async fn read_user(w: &World, user: &str) -> MfaState {
    let users = IamUsers::new(aws_sdk_iam::Client::new(&w.config), w.quarantine.clone());
    let snapshot = users
        .read(&User::new(user, ACCOUNT, REGION))
        .await
        .unwrap()
        .expect("the user exists");
    MfaState::User(snapshot.state)
}

#[tokio::test]
async fn a_quarantine_is_detached() {
    let w = world().await;
    let user = unique("rb-user");
    w.user_with_password(&user).await;
    let guard = w.mfa_guard();
    let before = read_user(&w, &user).await;
    let event = MFA_EVENTS.load("create-login-profile.json", &user);
    remediate(&w.mfa_pipeline(), event.clone()).await;
    assert_eq!(attached(&w, &user).await, vec![w.quarantine.clone()]);
    let after = read_user(&w, &user).await;
    let arn = format!("arn:aws:iam::{ACCOUNT}:user/{user}");
    let record = applied(
        MfaGuard::NAME,
        mfa_guard::rule::CONSOLE_MFA,
        &arn,
        &event,
        &["attach-user-policy"],
        guard.written(mfa_guard::rule::CONSOLE_MFA, &before),
        guard.written(mfa_guard::rule::CONSOLE_MFA, &after),
    );
    w.put(&record).await;

    let answer = w.ask(json!({"change_id": record.change_id})).await;
    let (_, answer) = settle(answer, 7);
    assert_eq!(
        answer,
        json!({
            "change_id": record.change_id,
            "resource": arn,
            "guard": "mfa-guard",
            "rule": "console-mfa",
            "status": "rolled-back",
            "rollback_change_id": "<rollback>",
            "writes": [{"call": "DetachUserPolicy", "UserName": user, "PolicyArn": w.quarantine}],
            "restored": {"QuarantinePolicyArn": w.quarantine, "QuarantinePolicyAttached": false},
            "also_rolled_back": [],
            "suppressions": [suppression(&arn, "mfa-guard", "console-mfa", &record.change_id)],
        })
    );
    assert_eq!(attached(&w, &user).await, Vec::<String>::new());
    // The user keeps the console password: only the quarantine went.
    assert!(
        w.iam
            .get_login_profile()
            .user_name(&user)
            .send()
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn what_cannot_be_rolled_back_is_refused_with_why() {
    let w = world().await;
    let user_arn = format!("arn:aws:iam::{ACCOUNT}:user/{}", unique("rb-gone"));
    let event = MFA_EVENTS.load("create-login-profile.json", "someone");
    let refused = |answer: &serde_json::Value| {
        assert_eq!(answer["status"], "refused", "{answer:#}");
        answer["reason"].as_str().unwrap().to_string()
    };

    // A deleted login profile: its password is unknown.
    let deleted = applied(
        MfaGuard::NAME,
        mfa_guard::rule::CONSOLE_MFA,
        &user_arn,
        &event,
        &["delete-login-profile"],
        json!({"LoginProfile": true}),
        json!({"LoginProfile": false}),
    );
    w.put(&deleted).await;
    let answer = w.ask(json!({"change_id": deleted.change_id})).await;
    assert_eq!(refused(&answer), mfa_guard::restore::LOGIN_PROFILE_GONE);

    // A tag redaction: only the masked value was recorded.
    let tagged = applied(
        "tag-guard",
        "sensitive-tag",
        "arn:aws:sns:us-east-1:123456789012:orders",
        &event,
        &["redact-tag"],
        json!({"Tags": {"owner": "j***@e***.com"}}),
        json!({"Tags": {"owner": "redacted:email"}}),
    );
    w.put(&tagged).await;
    let answer = w.ask(json!({"change_id": tagged.change_id})).await;
    assert_eq!(refused(&answer), tag_guard::restore::NOT_RESTORABLE);

    // A record still pending, and one never applied.
    for (status, says) in [
        (ChangeStatus::Pending, "is still pending"),
        (ChangeStatus::WouldApply, "was never applied (notify mode"),
        (ChangeStatus::Failed, "failed"),
    ] {
        let mut record = applied(
            TrailGuard::NAME,
            rule::TRAIL_LOGGING,
            &trail_arn("someone"),
            &event,
            &["start-logging"],
            json!({"IsLogging": false}),
            json!({"IsLogging": true}),
        );
        record.status = status;
        record.mode = warden_shared::Mode::Notify;
        w.put(&record).await;
        let answer = w.ask(json!({"change_id": record.change_id})).await;
        assert!(refused(&answer).contains(says), "{answer:#}");
    }

    // A bucket that is gone.
    let gone = applied(
        "bucket-guard",
        "public-access-block",
        &format!("arn:aws:s3:::{}", unique("rb-never")),
        &event,
        &["put-public-access-block"],
        json!({"PublicAccessBlockConfiguration": null}),
        json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true,
            "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true}}),
    );
    w.put(&gone).await;
    let answer = w.ask(json!({"change_id": gone.change_id})).await;
    assert!(refused(&answer).ends_with("no longer exists: there is nothing to restore"));

    // No such change, and a request rollback cannot read.
    assert_eq!(
        w.ask(json!({"change_id": "chg-nope"})).await,
        json!({"status": "error", "reason": format!(
            "no change chg-nope in the state table {}: list a resource's changes with {{\"resource\": \"<arn>\"}}", w.table)})
    );
    let answer = w.ask(json!({"change": "chg-nope"})).await;
    assert_eq!(answer["status"], "error");
    assert!(
        answer["reason"]
            .as_str()
            .unwrap()
            .contains("unknown field `change`")
    );

    // Without the state table there is nothing to roll back.
    let bare = Rollback::new(Settings::from_env(&[("X", "")][..]).unwrap(), &w.config);
    assert_eq!(
        bare.handle(json!({"change_id": "chg-1"}), "inv")
            .await
            .unwrap(),
        json!({"status": "error", "reason": "the state table is not configured (WARDEN_STATE_TABLE is unset): without it Warden keeps no change records, so there is nothing to roll back; deploy the template's WardenStateTable"})
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
    let record = fix_trail(
        &w,
        &trail,
        "update-trail-single-region.json",
        rule::MULTI_REGION,
        "update-trail",
    )
    .await;
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
