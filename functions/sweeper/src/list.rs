//! Listing what exists, a page at a time, with the clients the guards'
//! adapters already hold. Each page's items come with the id a cursor keeps
//! (a bucket name, an ARN) and can be rebuilt from.

use aws_sdk_cloudtrail::Client as CloudTrail;
use aws_sdk_iam::Client as Iam;
use aws_sdk_resourcegroupstagging::Client as Tagging;
use aws_sdk_s3::Client as S3;
use bucket_guard::Bucket;
use futures::StreamExt;
use mfa_guard::subject::{Subject, User, is_user_name};
use std::collections::HashMap;
use tag_guard::TagTarget;
use tag_guard::shapes::ResourceRef;
use tag_guard::tagging::{ARNS_PER_CALL, Tags, tags_by_arn};
use trail_guard::Trail;
use warden_shared::arn::Arn;
use warden_shared::{AwsCall, GuardError};

pub const LIST_BUCKETS: AwsCall = AwsCall::new("ListBuckets", "s3:ListAllMyBuckets");
pub const LIST_USERS: AwsCall = AwsCall::new("ListUsers", "iam:ListUsers");
pub const LIST_TRAILS: AwsCall = AwsCall::new("ListTrails", "cloudtrail:ListTrails");
pub const GET_RESOURCES: AwsCall = AwsCall::new("GetResources", "tag:GetResources");

/// Every listing call a sweep makes.
pub const LISTINGS: [AwsCall; 4] = [LIST_BUCKETS, LIST_USERS, LIST_TRAILS, GET_RESOURCES];

/// The largest pages each API hands out.
const USERS_PER_PAGE: i32 = 1000;
const RESOURCES_PER_PAGE: i32 = 100;

/// One page: each item's id and target, and the next page's token.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// `items`, and `next` as the next page's token if it is one: some
    /// APIs end a listing with `""` rather than no token.
    fn new(items: Vec<(String, T)>, next: Option<&str>) -> Self {
        Self {
            items,
            next: next.filter(|t| !t.is_empty()).map(str::to_string),
        }
    }
}

/// The buckets whose region is `region` (S3 lists every bucket of the
/// account from any region; `BucketRegion` keeps the shard's).
pub async fn buckets(
    s3: &S3,
    region: &str,
    page: Option<String>,
) -> Result<Page<Bucket>, GuardError> {
    let out = s3
        .list_buckets()
        .bucket_region(region)
        .set_continuation_token(page)
        .send()
        .await
        .map_err(|e| GuardError::from_sdk(LIST_BUCKETS, &format!("buckets in {region}"), e))?;
    let items = out
        .buckets()
        .iter()
        // S3 names each bucket's region; one in another region (from an
        // endpoint that ignores the filter) is its own region's shard's.
        .filter(|b| b.bucket_region().is_none_or(|r| r == region))
        .filter_map(|b| b.name())
        .filter(|name| !name.is_empty())
        .map(|name| (name.to_string(), Bucket::new(name, region)))
        .collect();
    Ok(Page::new(items, out.continuation_token()))
}

/// Gives each bucket its tags from the Tagging API, a hundred buckets a
/// call in place of one `GetBucketTagging` each: the sweep's one read of
/// tags per bucket, where S3's own would be its fourth. When a call fails,
/// its buckets keep `listed_tags: None` and their tags are read from S3:
/// nothing is lost, only the saving.
pub async fn bucket_tags(tagging: &Tagging, region: &str, buckets: &mut [(String, Bucket)]) {
    let chunks: Vec<Vec<String>> = buckets
        .chunks(ARNS_PER_CALL)
        .map(|chunk| chunk.iter().map(|(_, b)| b.arn.clone()).collect())
        .collect();
    let answers: Vec<Option<HashMap<String, Tags>>> = futures::stream::iter(chunks)
        .map(|arns| listed_tags(tagging, region, arns))
        .buffered(4)
        .collect()
        .await;
    for (chunk, answer) in buckets.chunks_mut(ARNS_PER_CALL).zip(answers) {
        let Some(mut tags) = answer else { continue };
        for (_, bucket) in chunk {
            bucket.listed_tags = Some(tags.remove(&bucket.arn).unwrap_or_default());
        }
    }
}

async fn listed_tags(
    tagging: &Tagging,
    region: &str,
    arns: Vec<String>,
) -> Option<HashMap<String, Tags>> {
    let arns: Vec<&str> = arns.iter().map(String::as_str).collect();
    match tags_by_arn(tagging, &arns).await {
        Ok(tags) => Some(tags),
        Err(err) => {
            tracing::warn!(region, error = %err, buckets = arns.len(), "the Tagging API did not list these buckets' tags; reading them from S3");
            None
        }
    }
}

/// A bucket from a cursor's id.
pub fn bucket(region: &str, name: &str) -> Option<Bucket> {
    (!name.is_empty()).then(|| Bucket::new(name, region))
}

/// Every IAM user (IAM is global: one listing per partition).
pub async fn users(iam: &Iam, page: Option<String>) -> Result<Page<Subject>, GuardError> {
    let out = iam
        .list_users()
        .max_items(USERS_PER_PAGE)
        .set_marker(page)
        .send()
        .await
        .map_err(|e| GuardError::from_sdk(LIST_USERS, "IAM users", e))?;
    let items = out
        .users()
        .iter()
        .map(|u| {
            let user = User {
                name: u.user_name().to_string(),
                arn: u.arn().to_string(),
            };
            (user.arn.clone(), Subject::User(user))
        })
        .collect();
    // IAM's marker is only the next page's when the listing is truncated.
    let next = out.marker().filter(|_| out.is_truncated());
    Ok(Page::new(items, next))
}

/// A user from its ARN (`arn:aws:iam::123456789012:user/path/name`).
pub fn user(arn: &str) -> Option<Subject> {
    let parsed = Arn::parse(arn)?;
    let (kind, path) = parsed.typed_resource()?;
    let name = path.rsplit('/').next()?;
    (parsed.service == "iam" && kind == "user" && is_user_name(name)).then(|| {
        Subject::User(User {
            name: name.to_string(),
            arn: arn.to_string(),
        })
    })
}

/// The trails whose home is `region` and that `account` owns: a
/// multi-region trail is listed in every region (its shadow copies) and an
/// organization trail in every member account; each is checked once, at
/// home, by its owner (trail-guard skips the others on events too).
pub async fn trails(
    cloudtrail: &CloudTrail,
    region: &str,
    account: &str,
    page: Option<String>,
) -> Result<Page<Trail>, GuardError> {
    let out = cloudtrail
        .list_trails()
        .set_next_token(page)
        .send()
        .await
        .map_err(|e| GuardError::from_sdk(LIST_TRAILS, &format!("trails in {region}"), e))?;
    let items = out
        .trails()
        .iter()
        .filter(|t| t.home_region() == Some(region))
        .filter_map(|t| trail(t.trail_arn()?, region, account))
        .collect();
    Ok(Page::new(items, out.next_token()))
}

/// A trail from its ARN, if `account` owns it and `region` is its home.
pub fn trail(arn: &str, region: &str, account: &str) -> Option<(String, Trail)> {
    let trail = Trail::parse(arn, "TrailARN", region, account).ok()?;
    (trail.account == account && trail.region == region).then(|| (arn.to_string(), trail))
}

/// Every resource the Tagging API lists in the client's region.
pub async fn tagged(
    tagging: &Tagging,
    region: &str,
    page: Option<String>,
) -> Result<Page<TagTarget>, GuardError> {
    let out = tagging
        .get_resources()
        .resources_per_page(RESOURCES_PER_PAGE)
        .set_pagination_token(page)
        .send()
        .await
        .map_err(|e| {
            GuardError::from_sdk(GET_RESOURCES, &format!("tagged resources in {region}"), e)
        })?;
    let items = out
        .resource_tag_mapping_list()
        .iter()
        .filter_map(|m| m.resource_arn())
        .filter_map(tagged_resource)
        .collect();
    Ok(Page::new(items, out.pagination_token()))
}

/// A tagged resource from its ARN.
pub fn tagged_resource(arn: &str) -> Option<(String, TagTarget)> {
    Arn::parse(arn)?;
    Some((
        arn.to_string(),
        TagTarget::Resource(ResourceRef::from_arn(arn.to_string())),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_rebuilt_from_cursor_ids() {
        assert_eq!(
            bucket("eu-west-1", "b1"),
            Some(Bucket::new("b1", "eu-west-1"))
        );
        assert_eq!(bucket("eu-west-1", ""), None);

        let Some(Subject::User(u)) = user("arn:aws:iam::123456789012:user/team/alice") else {
            panic!("a user");
        };
        assert_eq!(
            (u.name.as_str(), u.arn.as_str()),
            ("alice", "arn:aws:iam::123456789012:user/team/alice")
        );
        assert_eq!(user("arn:aws:iam::123456789012:role/r"), None);

        let arn = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/main";
        let (_, t) = trail(arn, "eu-west-1", "123456789012").unwrap();
        assert_eq!((t.name.as_str(), t.region.as_str()), ("main", "eu-west-1"));
        assert!(
            trail(arn, "us-east-1", "123456789012").is_none(),
            "a shadow copy"
        );
        assert!(
            trail(arn, "eu-west-1", "210987654321").is_none(),
            "another account's trail"
        );

        let (_, target) = tagged_resource("arn:aws:sqs:us-east-1:123456789012:q").unwrap();
        assert_eq!(
            warden_shared::Resource::arn(&target),
            "arn:aws:sqs:us-east-1:123456789012:q"
        );
        assert!(tagged_resource("not-an-arn").is_none());
    }
}
