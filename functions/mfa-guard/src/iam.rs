//! The adapter around the IAM client: one concurrent round of reads, then
//! the plan's writes. "No login profile" is state, a deleted user is `None`,
//! anything else an error naming the call and the permission it needs.

use crate::{Fix, MfaPlan, User, UserState};
use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use warden_shared::pipeline::Snapshot;
use warden_shared::{AwsCall, GuardError};

const GET_LOGIN_PROFILE: AwsCall = AwsCall::new("GetLoginProfile", "iam:GetLoginProfile");
const LIST_MFA_DEVICES: AwsCall = AwsCall::new("ListMFADevices", "iam:ListMFADevices");
const LIST_ATTACHED_POLICIES: AwsCall =
    AwsCall::new("ListAttachedUserPolicies", "iam:ListAttachedUserPolicies");
const LIST_USER_TAGS: AwsCall = AwsCall::new("ListUserTags", "iam:ListUserTags");
const ATTACH_POLICY: AwsCall = AwsCall::new("AttachUserPolicy", "iam:AttachUserPolicy");
const DETACH_POLICY: AwsCall = AwsCall::new("DetachUserPolicy", "iam:DetachUserPolicy");
const DELETE_LOGIN_PROFILE: AwsCall = AwsCall::new("DeleteLoginProfile", "iam:DeleteLoginProfile");

/// Every IAM call mfa-guard makes; the template test checks the function's
/// role allows each of them and no other IAM action.
pub const CALLS: [AwsCall; 7] = [
    GET_LOGIN_PROFILE,
    LIST_MFA_DEVICES,
    LIST_ATTACHED_POLICIES,
    LIST_USER_TAGS,
    ATTACH_POLICY,
    DETACH_POLICY,
    DELETE_LOGIN_PROFILE,
];

/// IAM answers `NoSuchEntity` both for a user that does not exist and for a
/// user without the thing asked for (a login profile, an attached policy).
fn no_such_entity<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error().and_then(ProvideErrorMetadata::code) == Some("NoSuchEntity")
}

/// Classifies an IAM error for the operator. IAM's denials carry the code
/// `AccessDenied`, which [`GuardError::from_sdk`] turns into "grant the
/// function's role `iam:...`"; a 403 whose error body the SDK could not read
/// (moto wraps it in an extra `<Errors>` element) is a denial all the same.
fn iam_error<E>(call: AwsCall, user: &User, err: SdkError<E, HttpResponse>) -> GuardError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let forbidden = err
        .raw_response()
        .filter(|raw| raw.status().as_u16() == 403);
    if let (None, Some(raw)) = (err.code(), forbidden) {
        let message = raw
            .body()
            .bytes()
            .and_then(|body| std::str::from_utf8(body).ok())
            .and_then(|text| text.split_once("<Message>"))
            .and_then(|(_, rest)| rest.split_once("</Message>"))
            .map_or_else(|| "HTTP 403 Forbidden".to_string(), |(m, _)| m.to_string());
        return GuardError::AccessDenied {
            operation: call.operation,
            permission: call.permission,
            resource: user.arn.clone(),
            message,
        };
    }
    GuardError::from_sdk(call, &user.arn, err)
}

/// One read: the value, or the user is gone.
enum Read<T> {
    Found(T),
    NoUser,
}

/// A list call on the user: `NoSuchEntity` can only mean the user is gone.
fn listed<T, E>(
    call: AwsCall,
    user: &User,
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<Read<T>, GuardError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(value) => Ok(Read::Found(value)),
        Err(err) if no_such_entity(&err) => Ok(Read::NoUser),
        Err(err) => Err(iam_error(call, user, err)),
    }
}

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

    /// Reads the login profile, MFA devices, attached policies and tags
    /// concurrently (every list to its last page).
    pub async fn read(&self, user: &User) -> Result<Option<Snapshot<UserState>>, GuardError> {
        let name = user.name.as_str();
        let (profile, devices, attached, tags) = tokio::join!(
            self.client.get_login_profile().user_name(name).send(),
            self.client
                .list_mfa_devices()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
            self.client
                .list_attached_user_policies()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
            self.client
                .list_user_tags()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        );
        let devices = listed(LIST_MFA_DEVICES, user, devices)?;
        let attached = listed(LIST_ATTACHED_POLICIES, user, attached)?;
        let tags = listed(LIST_USER_TAGS, user, tags)?;
        let (Read::Found(devices), Read::Found(attached), Read::Found(tags)) =
            (devices, attached, tags)
        else {
            return Ok(None);
        };
        // The user exists (the lists found it), so NoSuchEntity here means
        // "no login profile", unless the user was deleted a moment ago, which
        // the read-back after a change would notice.
        let console_password = match profile {
            Ok(_) => true,
            Err(err) if no_such_entity(&err) => false,
            Err(err) => return Err(iam_error(GET_LOGIN_PROFILE, user, err)),
        };
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
    pub async fn write(&self, user: &User, plan: &MfaPlan) -> Result<(), GuardError> {
        let name = user.name.as_str();
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
                        .map_err(|e| iam_error(ATTACH_POLICY, user, e))?;
                }
                Fix::DetachQuarantine => {
                    match self
                        .client
                        .detach_user_policy()
                        .user_name(name)
                        .policy_arn(policy)
                        .send()
                        .await
                    {
                        Ok(_) => {}
                        Err(err) if no_such_entity(&err) => {}
                        Err(err) => return Err(iam_error(DETACH_POLICY, user, err)),
                    }
                }
                Fix::DeleteLoginProfile => {
                    match self
                        .client
                        .delete_login_profile()
                        .user_name(name)
                        .send()
                        .await
                    {
                        Ok(_) => {}
                        Err(err) if no_such_entity(&err) => {}
                        Err(err) => {
                            return Err(iam_error(DELETE_LOGIN_PROFILE, user, err));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
