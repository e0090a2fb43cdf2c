//! What cannot be rolled back is refused, with why: a deleted login
//! profile, a tag redaction, a record pending, never applied or failed, a
//! bucket that is gone, an unknown change id or request, no state table.

use super::trail_arn;
use crate::world::{ACCOUNT, MFA_EVENTS, applied, world};
use mfa_guard::MfaGuard;
use rollback::{Rollback, Settings};
use serde_json::json;
use trail_guard::{TrailGuard, rule};
use warden_shared::Guard;
use warden_shared::state::ChangeStatus;
use warden_tests::fixtures::unique;

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
