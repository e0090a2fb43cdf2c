//! Undoing one of mfa-guard's changes: what each rule writes (what an audit
//! record keeps as before- and after-state) and the one call that puts a
//! recorded before-state back.
//!
//! | rule | written | restored by |
//! | --- | --- | --- |
//! | `console-mfa` (quarantine) | `{"QuarantinePolicyArn": arn, "QuarantinePolicyAttached": bool}` | `DetachUserPolicy` of the quarantine policy |
//! | `console-mfa` (disable-console) | `{"LoginProfile": bool}` | nothing: a deleted login profile cannot be restored |
//! | `quarantine-lift` | as `console-mfa` (quarantine) | nothing: re-quarantining a user who has MFA is refused |
//! | `root-console-mfa` | `null` | nothing: reported only |
//!
//! A deleted login profile cannot come back: its password was never known to
//! Warden (IAM does not return passwords), and a new one would be a password
//! someone has to choose and hand over.

use crate::calls::{
    DETACH_POLICY, GET_LOGIN_PROFILE, LIST_ATTACHED_POLICIES, LIST_MFA_DEVICES, LIST_USER_TAGS,
};
use crate::iam::IamUsers;
use crate::subject::{MfaState, User};
use crate::{MfaAction, MfaGuard, rule};
use serde_json::{Value, json};
use warden_shared::error::found;
use warden_shared::{AwsCall, GuardError};

pub const POLICY_ARN: &str = "QuarantinePolicyArn";
pub const ATTACHED: &str = "QuarantinePolicyAttached";
pub const LOGIN_PROFILE: &str = "LoginProfile";

/// The one call a restore makes, on the quarantine policy only.
pub const CALLS: [AwsCall; 1] = [DETACH_POLICY];

/// What a restore reads back through [`IamUsers::read`].
pub const READS: [AwsCall; 4] = [
    GET_LOGIN_PROFILE,
    LIST_MFA_DEVICES,
    LIST_ATTACHED_POLICIES,
    LIST_USER_TAGS,
];

/// Why a deleted login profile is not restored.
pub const LOGIN_PROFILE_GONE: &str = "a deleted login profile (console password) cannot be restored: its password was never known to Warden (IAM does not return passwords). Give the user a new one by hand (aws iam create-login-profile --user-name NAME --password-reset-required) once they can set up MFA";

/// What `rule`'s fix writes of `state` under `guard`'s settings.
pub fn written(guard: &MfaGuard, rule: &str, state: &MfaState) -> Value {
    let MfaState::User(user) = state else {
        return Value::Null;
    };
    let quarantine = || {
        json!({
            POLICY_ARN: guard.quarantine_policy_arn,
            ATTACHED: user.quarantined,
        })
    };
    match (rule, guard.action) {
        (rule::CONSOLE_MFA, MfaAction::Quarantine) | (rule::QUARANTINE_LIFT, _) => quarantine(),
        (rule::CONSOLE_MFA, MfaAction::DisableConsole) => {
            json!({ LOGIN_PROFILE: user.console_password })
        }
        _ => Value::Null,
    }
}

/// The call that puts a user back as they were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaRestore {
    /// Detach the quarantine policy (this ARN) the change attached.
    DetachQuarantine { policy_arn: String },
}

impl MfaRestore {
    /// The call that turns `after` back into `before` for `rule`, when
    /// `guard`'s quarantine policy is the one the change attached; or why
    /// there is none.
    pub fn of(guard: &MfaGuard, rule: &str, before: &Value, after: &Value) -> Result<Self, String> {
        match rule {
            rule::CONSOLE_MFA if before.get(LOGIN_PROFILE).is_some() => {
                Err(LOGIN_PROFILE_GONE.to_string())
            }
            rule::CONSOLE_MFA => {
                let attached = |state: &Value, which: &str| {
                    state.get(ATTACHED).and_then(Value::as_bool).ok_or_else(|| {
                        format!("the recorded {which}-state of {rule} has no {ATTACHED}: {state}")
                    })
                };
                let (was, is) = (attached(before, "before")?, attached(after, "after")?);
                if was || !is {
                    return Err(
                        "the change did not attach the quarantine policy: nothing to restore"
                            .into(),
                    );
                }
                let policy = after.get(POLICY_ARN).and_then(Value::as_str).unwrap_or_default();
                if policy != guard.quarantine_policy_arn {
                    return Err(format!(
                        "the change attached {policy}, not the quarantine policy this stack detaches ({}): the rollback role may detach only that one",
                        guard.quarantine_policy_arn
                    ));
                }
                Ok(Self::DetachQuarantine {
                    policy_arn: policy.to_string(),
                })
            }
            rule::QUARANTINE_LIFT => Err(
                "a lifted quarantine is not put back: the user has an MFA device, so re-attaching the quarantine policy would lock out a user who meets the rule (and the rollback role may only detach it)"
                    .into(),
            ),
            rule::ROOT_CONSOLE_MFA => {
                Err("root-console-mfa only reports: Warden changes nothing about root".into())
            }
            other => Err(format!(
                "mfa-guard has no rule {other:?} whose change can be restored"
            )),
        }
    }

    pub fn call(&self) -> AwsCall {
        DETACH_POLICY
    }

    /// The call as a dry run shows it.
    pub fn describe(&self, user: &User) -> Value {
        match self {
            Self::DetachQuarantine { policy_arn } => json!({
                "call": DETACH_POLICY.operation,
                "UserName": user.name,
                "PolicyArn": policy_arn,
            }),
        }
    }

    /// Makes the call. A policy already detached counts as done: the
    /// read-back decides.
    pub async fn apply(&self, users: &IamUsers, user: &User) -> Result<(), GuardError> {
        match self {
            Self::DetachQuarantine { policy_arn } => {
                let answer = users
                    .client()
                    .detach_user_policy()
                    .user_name(&user.name)
                    .policy_arn(policy_arn)
                    .send()
                    .await;
                found(DETACH_POLICY, &user.arn, &["NoSuchEntity"], answer).map(drop)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subject::UserState;

    const POLICY: &str = "arn:aws:iam::123456789012:policy/warden-quarantine";

    fn guard(action: MfaAction) -> MfaGuard {
        MfaGuard {
            action,
            quarantine_policy_arn: POLICY.into(),
        }
    }

    fn user(console_password: bool, quarantined: bool) -> MfaState {
        MfaState::User(UserState {
            console_password,
            mfa_devices: vec![],
            quarantined,
        })
    }

    #[test]
    fn a_quarantine_is_recorded_and_detached() {
        let g = guard(MfaAction::Quarantine);
        let before = written(&g, rule::CONSOLE_MFA, &user(true, false));
        let after = written(&g, rule::CONSOLE_MFA, &user(true, true));
        assert_eq!(
            before,
            json!({"QuarantinePolicyArn": POLICY, "QuarantinePolicyAttached": false})
        );
        assert_eq!(
            after,
            json!({"QuarantinePolicyArn": POLICY, "QuarantinePolicyAttached": true})
        );
        let restore = MfaRestore::of(&g, rule::CONSOLE_MFA, &before, &after).unwrap();
        let alice = User::new("alice", "123456789012", "us-east-1");
        assert_eq!(
            restore.describe(&alice),
            json!({"call": "DetachUserPolicy", "UserName": "alice", "PolicyArn": POLICY})
        );
        // Another stack's policy is not detached by this one.
        let other = MfaGuard {
            quarantine_policy_arn: "arn:aws:iam::123456789012:policy/other".into(),
            ..g.clone()
        };
        assert!(
            MfaRestore::of(&other, rule::CONSOLE_MFA, &before, &after)
                .unwrap_err()
                .contains("may detach only that one")
        );
        assert!(MfaRestore::of(&g, rule::CONSOLE_MFA, &after, &after).is_err());
    }

    #[test]
    fn what_cannot_be_restored_says_why() {
        let g = guard(MfaAction::DisableConsole);
        let before = written(&g, rule::CONSOLE_MFA, &user(true, false));
        let after = written(&g, rule::CONSOLE_MFA, &user(false, false));
        assert_eq!(before, json!({"LoginProfile": true}));
        assert_eq!(after, json!({"LoginProfile": false}));
        assert_eq!(
            MfaRestore::of(&g, rule::CONSOLE_MFA, &before, &after),
            Err(LOGIN_PROFILE_GONE.to_string())
        );
        let lifted = written(&g, rule::QUARANTINE_LIFT, &user(true, false));
        assert_eq!(
            lifted,
            json!({"QuarantinePolicyArn": POLICY, "QuarantinePolicyAttached": false})
        );
        assert!(
            MfaRestore::of(&g, rule::QUARANTINE_LIFT, &json!({}), &lifted)
                .unwrap_err()
                .contains("lock out")
        );
        assert_eq!(
            written(&g, rule::ROOT_CONSOLE_MFA, &MfaState::Root),
            Value::Null
        );
        assert!(MfaRestore::of(&g, rule::ROOT_CONSOLE_MFA, &Value::Null, &Value::Null).is_err());
    }
}
