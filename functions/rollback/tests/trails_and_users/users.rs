//! Rolling back mfa-guard's quarantine: the policy detached, the console
//! password kept.

use crate::world::{ACCOUNT, MFA_EVENTS, REGION, World, rolled_back, world};
use mfa_guard::subject::{Subject, User};
use serde_json::json;
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

#[tokio::test]
async fn a_quarantine_is_detached() {
    let w = world().await;
    let user = unique("rb-user");
    w.user_with_password(&user).await;
    let event = MFA_EVENTS.load("create-login-profile.json", &user);
    let target = Subject::User(User::new(&user, ACCOUNT, REGION));
    let fix = (mfa_guard::rule::CONSOLE_MFA, "attach-user-policy");
    let mut records = w.fixed(&w.mfa_pipeline(), &target, &event, &[fix]).await;
    let record = records.remove(0);
    assert_eq!(attached(&w, &user).await, vec![w.quarantine.clone()]);

    let (_, answer) = w.roll_back(&record).await;
    assert_eq!(
        answer,
        rolled_back(
            &record,
            json!([{"call": "DetachUserPolicy", "UserName": user, "PolicyArn": w.quarantine}]),
            json!({"QuarantinePolicyArn": w.quarantine, "QuarantinePolicyAttached": false}),
            &[],
        )
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
