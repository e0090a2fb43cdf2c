//! Every CloudTrail call trail-guard makes, named once: the rules list the
//! ones they need, the adapter makes them, and the template's role is tested
//! against them. Never `CreateTrail`, `DeleteTrail`, `StopLogging` or
//! `PutEventSelectors`.

use warden_shared::AwsCall;

pub const GET_TRAIL: AwsCall = AwsCall::new("GetTrail", "cloudtrail:GetTrail");
pub const GET_TRAIL_STATUS: AwsCall = AwsCall::new("GetTrailStatus", "cloudtrail:GetTrailStatus");
pub const GET_EVENT_SELECTORS: AwsCall =
    AwsCall::new("GetEventSelectors", "cloudtrail:GetEventSelectors");
pub const LIST_TAGS: AwsCall = AwsCall::new("ListTags", "cloudtrail:ListTags");
pub const START_LOGGING: AwsCall = AwsCall::new("StartLogging", "cloudtrail:StartLogging");
pub const UPDATE_TRAIL: AwsCall = AwsCall::new("UpdateTrail", "cloudtrail:UpdateTrail");
