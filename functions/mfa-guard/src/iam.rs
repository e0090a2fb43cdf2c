//! The adapter around the IAM client: one concurrent round of reads, then
//! the plan's writes. "No login profile" is state, a deleted user is `None`,
//! anything else an error naming the call and the permission it needs. The
//! root user is never read or written.

use crate::MfaGuard;
use crate::calls::{
    ATTACH_POLICY, DELETE_LOGIN_PROFILE, DETACH_POLICY, GET_LOGIN_PROFILE, LIST_ATTACHED_POLICIES,
    LIST_MFA_DEVICES, LIST_USER_TAGS,
};
use crate::subject::{Fix, MfaPlan, MfaState, Subject, User, UserState};
use warden_shared::error::found;
use warden_shared::{Adapter, Applied, GuardError, Snapshot};

/// IAM answers `NoSuchEntity` both for a user that does not exist and for a
/// user without the thing asked for (a login profile, an attached policy).
const NO_SUCH_ENTITY: &[&str] = &["NoSuchEntity"];

/// The IAM adapter, built once per cold start.
pub struct IamUsers {
    client: aws_sdk_iam::Client,
    quarantine_policy_arn: String,
}

impl IamUsers {
    pub fn new(client: aws_sdk_iam::Client, quarantine_policy_arn: String) -> Self {
        Self {
            client,
            quarantine_policy_arn,
        }
    }

    /// The IAM client, for the calls rollback makes ([`crate::restore`]).
    pub fn client(&self) -> &aws_sdk_iam::Client {
        &self.client
    }

    /// The only policy mfa-guard attaches and detaches.
    pub fn quarantine_policy_arn(&self) -> &str {
        &self.quarantine_policy_arn
    }

    /// Reads the login profile, MFA devices, attached policies and tags
    /// concurrently (every list to its last page).
    pub async fn read(&self, user: &User) -> Result<Option<Snapshot<UserState>>, GuardError> {
        let name = user.name.as_str();
        let arn = user.arn.as_str();
        // Every item of a list call, to its last page.
        macro_rules! every_page {
            ($call:expr) => {
                $call.into_paginator().items().send().try_collect()
            };
        }
        let (profile, devices, attached, tags) = tokio::join!(
            self.client.get_login_profile().user_name(name).send(),
            every_page!(self.client.list_mfa_devices().user_name(name)),
            every_page!(self.client.list_attached_user_policies().user_name(name)),
            every_page!(self.client.list_user_tags().user_name(name)),
        );
        // On a list call about the user, NoSuchEntity can only mean the
        // user is gone.
        let devices = found(LIST_MFA_DEVICES, arn, NO_SUCH_ENTITY, devices)?;
        let attached = found(LIST_ATTACHED_POLICIES, arn, NO_SUCH_ENTITY, attached)?;
        let tags = found(LIST_USER_TAGS, arn, NO_SUCH_ENTITY, tags)?;
        let (Some(devices), Some(attached), Some(tags)) = (devices, attached, tags) else {
            return Ok(None);
        };
        // The user exists (the lists found it), so NoSuchEntity here means
        // "no login profile", unless the user was deleted a moment ago, which
        // the read-back after a change would notice.
        let console_password = found(GET_LOGIN_PROFILE, arn, NO_SUCH_ENTITY, profile)?.is_some();
        Ok(Some(Snapshot {
            state: UserState {
                console_password,
                mfa_devices: devices
                    .iter()
                    .map(|d| d.serial_number().to_string())
                    .collect(),
                quarantined: attached
                    .iter()
                    .any(|p| p.policy_arn() == Some(self.quarantine_policy_arn.as_str())),
            },
            tags: tags
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
        }))
    }

    /// Makes the plan's changes, in order. Each is idempotent: attaching an
    /// attached policy is a no-op in IAM, and a policy already detached or a
    /// login profile already deleted counts as done (the read-back decides).
    pub async fn write(&self, user: &User, plan: &MfaPlan) -> Result<Applied, GuardError> {
        let name = user.name.as_str();
        let arn = user.arn.as_str();
        let policy = self.quarantine_policy_arn.as_str();
        for fix in &plan.fixes {
            match fix {
                Fix::AttachQuarantine => {
                    self.client
                        .attach_user_policy()
                        .user_name(name)
                        .policy_arn(policy)
                        .send()
                        .await
                        .map_err(|e| GuardError::from_sdk(ATTACH_POLICY, arn, e))?;
                }
                Fix::DetachQuarantine => {
                    // Lift only while an MFA device is there: a user who
                    // loses it while the lift runs stays quarantined.
                    let devices = self
                        .client
                        .list_mfa_devices()
                        .user_name(name)
                        .into_paginator()
                        .items()
                        .send()
                        .try_collect()
                        .await;
                    let devices = found(LIST_MFA_DEVICES, arn, NO_SUCH_ENTITY, devices)?;
                    if devices.is_none_or(|d| d.is_empty()) {
                        return Ok(Applied::Changed(format!(
                            "{name} has no MFA device any more, so the quarantine stays"
                        )));
                    }
                    let result = self
                        .client
                        .detach_user_policy()
                        .user_name(name)
                        .policy_arn(policy)
                        .send()
                        .await;
                    found(DETACH_POLICY, arn, NO_SUCH_ENTITY, result)?;
                }
                Fix::DeleteLoginProfile => {
                    let result = self
                        .client
                        .delete_login_profile()
                        .user_name(name)
                        .send()
                        .await;
                    found(DELETE_LOGIN_PROFILE, arn, NO_SUCH_ENTITY, result)?;
                }
            }
        }
        Ok(Applied::Done)
    }
}

impl Adapter<MfaGuard> for IamUsers {
    /// Root has nothing to read: the sign-in is the evidence.
    async fn read(&self, subject: &Subject) -> Result<Option<Snapshot<MfaState>>, GuardError> {
        match subject {
            Subject::Root { .. } => Ok(Some(Snapshot {
                state: MfaState::Root,
                tags: vec![],
            })),
            Subject::User(user) => Ok(IamUsers::read(self, user).await?.map(|snapshot| Snapshot {
                state: MfaState::User(snapshot.state),
                tags: snapshot.tags,
            })),
        }
    }

    async fn apply(&self, subject: &Subject, plan: &MfaPlan) -> Result<Applied, GuardError> {
        match subject {
            Subject::User(user) => self.write(user, plan).await,
            // Nothing about root is ever planned.
            Subject::Root { .. } => Ok(Applied::Done),
        }
    }
}
