//! Every S3 call bucket-guard makes, named once: the rules list the ones
//! they need, the adapter makes them, and the template's role is tested
//! against them.

use warden_shared::AwsCall;

pub const GET_ENCRYPTION: AwsCall =
    AwsCall::new("GetBucketEncryption", "s3:GetEncryptionConfiguration");
pub const PUT_ENCRYPTION: AwsCall =
    AwsCall::new("PutBucketEncryption", "s3:PutEncryptionConfiguration");
pub const GET_POLICY: AwsCall = AwsCall::new("GetBucketPolicy", "s3:GetBucketPolicy");
pub const PUT_POLICY: AwsCall = AwsCall::new("PutBucketPolicy", "s3:PutBucketPolicy");
pub const GET_PUBLIC_ACCESS_BLOCK: AwsCall =
    AwsCall::new("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock");
pub const PUT_PUBLIC_ACCESS_BLOCK: AwsCall =
    AwsCall::new("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock");
pub const GET_TAGGING: AwsCall = AwsCall::new("GetBucketTagging", "s3:GetBucketTagging");
/// The account's own Block Public Access (S3 Control), read for a bucket
/// whose policy grants public access (see [`crate::account`]).
pub const GET_ACCOUNT_PUBLIC_ACCESS_BLOCK: AwsCall =
    AwsCall::new("GetPublicAccessBlock", "s3:GetAccountPublicAccessBlock");
