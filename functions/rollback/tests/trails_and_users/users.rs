//! Rolling back mfa-guard's quarantine: the policy detached, the console
//! password kept.

use crate::world::{
    ACCOUNT, MFA_EVENTS, REGION, World, applied, remediate, settle, suppression, world,
};
use mfa_guard::MfaGuard;
use mfa_guard::iam::IamUsers;
use mfa_guard::subject::{MfaState, User};
use serde_json::json;
use warden_shared::Guard;
use warden_tests::fixtures::unique;

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
