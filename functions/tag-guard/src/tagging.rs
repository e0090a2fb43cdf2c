//! Reading and writing tags. The Resource Groups Tagging API covers most
//! services in one call; where it reports a resource as unsupported, the
//! service's own tagging calls take over: IAM for users and roles, CloudTrail
//! for trails, Elastic Load Balancing for load balancers and target groups.

use crate::services::{GET_RESOURCES, TAG_RESOURCES, UNTAG_RESOURCES};
use crate::shapes::{ResourceKind, ResourceRef};
use crate::{TagChange, TagGuard, TagPlan, TagState, TagTarget, fingerprint};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use std::collections::HashMap;
use std::future::Future;
use warden_shared::{Adapter, Applied, AwsCall, GuardError, Snapshot};

mod own;

pub use crate::services::{READS, WRITES};

/// The Tagging API takes at most 100 ARNs a call.
pub const ARNS_PER_CALL: usize = 100;

/// Pages of one list of ARNs followed before giving up on it: AWS answers
/// a list in one page, moto pages it by its count of tags.
const MAX_PAGES: usize = 10;

/// The tags of up to a hundred resources, by ARN, from the Tagging API; a
/// resource it does not name has no tags (it lists every resource that has
/// or had one). A page's token is followed, so a long answer is not cut
/// short.
pub async fn tags_by_arn(
    api: &aws_sdk_resourcegroupstagging::Client,
    arns: &[&str],
) -> Result<HashMap<String, Tags>, GuardError> {
    let mut found: HashMap<String, Tags> = HashMap::new();
    let list = || arns.join(",");
    let mut request = api
        .get_resources()
        .set_resource_arn_list(Some(arns.iter().map(|a| a.to_string()).collect()));
    for _ in 0..MAX_PAGES {
        let out = sent(GET_RESOURCES, &list(), request.send()).await?;
        for mapping in out.resource_tag_mapping_list() {
            let Some(arn) = mapping.resource_arn().filter(|arn| arns.contains(arn)) else {
                continue;
            };
            let tags = mapping.tags().iter().map(|t| pair(t.key(), t.value()));
            found.entry(arn.to_string()).or_default().extend(tags);
        }
        match out.pagination_token().filter(|t| !t.is_empty()) {
            None => return Ok(found),
            Some(next) => request = api.get_resources().pagination_token(next),
        }
    }
    Err(GuardError::unusable(
        GET_RESOURCES,
        &list(),
        format!("the Tagging API was still paging these resources' tags after {MAX_PAGES} pages"),
    ))
}

/// The clients, built once per cold start: tag-guard's adapter.
pub struct Tagging {
    pub api: aws_sdk_resourcegroupstagging::Client,
    pub iam: aws_sdk_iam::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub sqs: aws_sdk_sqs::Client,
}

pub type Tags = Vec<(String, String)>;

impl Tagging {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            api: aws_sdk_resourcegroupstagging::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            cloudtrail: aws_sdk_cloudtrail::Client::new(config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
        }
    }

    /// One resource's current tags; `None` when it no longer exists.
    pub async fn tags_of(&self, resource: &ResourceRef) -> Result<Option<Tags>, GuardError> {
        match &resource.kind {
            // The Tagging API leaves out untagged resources.
            ResourceKind::Tagged | ResourceKind::LoadBalancer | ResourceKind::Queue(_) => Ok(Some(
                self.api_tags(&[resource.arn.as_str()])
                    .await?
                    .remove(&resource.arn)
                    .unwrap_or_default(),
            )),
            _ => self.own_tags(resource).await,
        }
    }

    async fn api_tags(&self, arns: &[&str]) -> Result<HashMap<String, Tags>, GuardError> {
        let mut found = HashMap::new();
        for chunk in arns.chunks(ARNS_PER_CALL) {
            found.extend(tags_by_arn(&self.api, chunk).await?);
        }
        Ok(found)
    }

    /// Makes the changes, resource by resource: redactions through
    /// `TagResources`, removals through `UntagResources`, and
    /// the service's own calls for what the Tagging API reports it cannot do.
    pub async fn write(&self, changes: &[TagChange]) -> Result<(), GuardError> {
        let mut by_resource: Vec<(&ResourceRef, Vec<&TagChange>)> = Vec::new();
        for change in changes {
            match by_resource.iter_mut().find(|(r, _)| **r == change.resource) {
                Some((_, list)) => list.push(change),
                None => by_resource.push((&change.resource, vec![change])),
            }
        }
        let writes = by_resource
            .iter()
            .map(|(resource, changes)| self.write_resource(resource, changes));
        futures::future::try_join_all(writes).await?;
        Ok(())
    }

    async fn write_resource(
        &self,
        resource: &ResourceRef,
        changes: &[&TagChange],
    ) -> Result<(), GuardError> {
        let redact: HashMap<String, String> = changes
            .iter()
            .filter_map(|c| Some((c.key.clone(), c.replacement.clone()?)))
            .collect();
        let remove: Vec<String> = changes
            .iter()
            .filter(|c| c.replacement.is_none())
            .map(|c| c.key.clone())
            .collect();
        let arn = &resource.arn;
        if !redact.is_empty() {
            let request = self.api.tag_resources().set_tags(Some(redact.clone()));
            let out = sent(TAG_RESOURCES, arn, request.resource_arn_list(arn).send()).await?;
            if let Some(failure) = out.failed_resources_map().and_then(|m| m.get(arn)) {
                self.own_tag(resource, &redact, TAG_RESOURCES, failure)
                    .await?;
            }
        }
        if !remove.is_empty() {
            let keys = Some(remove.clone());
            let request = self.api.untag_resources().set_tag_keys(keys);
            let out = sent(UNTAG_RESOURCES, arn, request.resource_arn_list(arn).send()).await?;
            if let Some(failure) = out.failed_resources_map().and_then(|m| m.get(arn)) {
                self.own_untag(resource, &remove, UNTAG_RESOURCES, failure)
                    .await?;
            }
        }
        Ok(())
    }
}

impl Adapter<TagGuard> for Tagging {
    async fn read(&self, target: &TagTarget) -> Result<Option<Snapshot<TagState>>, GuardError> {
        let resource = match target {
            TagTarget::Call { .. } => {
                return Ok(Some(Snapshot {
                    state: TagState::Call,
                    tags: vec![],
                }));
            }
            TagTarget::Resource(resource) => resource,
        };
        Ok(self.tags_of(resource).await?.map(|tags| Snapshot {
            state: TagState::Tags(tags.clone()),
            tags,
        }))
    }

    /// Re-reads each resource's tags immediately before writing: a tag
    /// whose value changed since the plan was made (someone fixed it, or
    /// wrote another value) is not overwritten.
    async fn apply(&self, _: &TagTarget, plan: &TagPlan) -> Result<Applied, GuardError> {
        let mut resources: Vec<&ResourceRef> = Vec::new();
        for change in &plan.changes {
            if !resources.contains(&&change.resource) {
                resources.push(&change.resource);
            }
        }
        for resource in resources {
            let Some(now) = self.tags_of(resource).await? else {
                return Ok(Applied::Changed(format!("{} is gone", resource.arn)));
            };
            let changed = plan
                .changes
                .iter()
                .filter(|c| c.resource == *resource)
                .filter(|c| {
                    now.iter()
                        .find(|(k, _)| *k == c.key)
                        .is_none_or(|(_, v)| fingerprint(v) != c.seen)
                })
                .count();
            if changed > 0 {
                return Ok(Applied::Changed(format!(
                    "{changed} of the tags to change on {} changed since they were read",
                    resource.arn
                )));
            }
        }
        self.write(&plan.changes).await?;
        Ok(Applied::Done)
    }
}

fn pair(key: &str, value: &str) -> (String, String) {
    (key.to_string(), value.to_string())
}

/// A call's answer, or the error naming the call and the resource it was
/// about.
async fn sent<T, E>(
    call: AwsCall,
    arn: &str,
    request: impl Future<Output = Result<T, SdkError<E>>>,
) -> Result<T, GuardError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    request
        .await
        .map_err(|e| GuardError::from_sdk(call, arn, e))
}
