//! Every IAM action rollback's code may call, once: the template's
//! `RollbackFunctionRole` is tested against [`ACTIONS`], and [`ACTIONS`]
//! against the calls the code names (so neither can drift).

use warden_shared::AwsCall;

/// The actions, sorted: the state table's, each guard's reads (through its
/// adapter) and the restore writes. `iam:DetachUserPolicy` is granted on
/// the quarantine policy only (an `iam:PolicyARN` condition).
pub const ACTIONS: [&str; 25] = [
    "cloudtrail:GetEventSelectors",
    "cloudtrail:GetTrail",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:ListTags",
    "cloudtrail:StopLogging",
    "cloudtrail:UpdateTrail",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "iam:DetachUserPolicy",
    "iam:GetLoginProfile",
    "iam:ListAttachedUserPolicies",
    "iam:ListMFADevices",
    "iam:ListUserTags",
    "s3:DeleteBucketPolicy",
    "s3:GetAccountPublicAccessBlock",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketTagging",
    "s3:GetEncryptionConfiguration",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutEncryptionConfiguration",
];

/// The calls the code makes, as the crates name them.
pub fn calls() -> Vec<AwsCall> {
    use bucket_guard::calls as s3;
    let mut calls = vec![
        // bucket-guard's adapter reads all four on every read, and the
        // account's Block Public Access when the policy grants public access.
        s3::GET_ENCRYPTION,
        s3::GET_POLICY,
        s3::GET_PUBLIC_ACCESS_BLOCK,
        s3::GET_TAGGING,
        s3::GET_ACCOUNT_PUBLIC_ACCESS_BLOCK,
    ];
    calls.extend(bucket_guard::restore::CALLS);
    calls.extend(trail_guard::restore::READS);
    calls.extend(trail_guard::restore::CALLS);
    calls.extend(mfa_guard::restore::READS);
    calls.extend(mfa_guard::restore::CALLS);
    calls.extend(warden_shared::state::CALLS);
    calls
}

/// [`calls`]' actions, sorted and without repeats.
pub fn actions_of_calls() -> Vec<&'static str> {
    let mut actions: Vec<&'static str> = calls().iter().map(|c| c.permission).collect();
    actions.sort_unstable();
    actions.dedup();
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_the_calls_the_code_makes() {
        let mut listed = ACTIONS.to_vec();
        listed.sort_unstable();
        assert_eq!(listed, ACTIONS.to_vec(), "ACTIONS is sorted");
        assert_eq!(ACTIONS.to_vec(), actions_of_calls());
    }
}
