//! Every IAM call mfa-guard makes, named once: the rules list the ones they
//! need, the adapter makes them, and the template's role is tested against
//! them.

use warden_shared::AwsCall;

pub const GET_LOGIN_PROFILE: AwsCall = AwsCall::new("GetLoginProfile", "iam:GetLoginProfile");
pub const LIST_MFA_DEVICES: AwsCall = AwsCall::new("ListMFADevices", "iam:ListMFADevices");
pub const LIST_ATTACHED_POLICIES: AwsCall =
    AwsCall::new("ListAttachedUserPolicies", "iam:ListAttachedUserPolicies");
pub const LIST_USER_TAGS: AwsCall = AwsCall::new("ListUserTags", "iam:ListUserTags");
pub const ATTACH_POLICY: AwsCall = AwsCall::new("AttachUserPolicy", "iam:AttachUserPolicy");
pub const DETACH_POLICY: AwsCall = AwsCall::new("DetachUserPolicy", "iam:DetachUserPolicy");
pub const DELETE_LOGIN_PROFILE: AwsCall =
    AwsCall::new("DeleteLoginProfile", "iam:DeleteLoginProfile");
