//! Reading and writing tags. The Resource Groups Tagging API covers most
//! services in one call; where it reports a resource as unsupported, the
//! service's own tagging calls take over: IAM for users and roles, CloudTrail
//! for trails, Elastic Load Balancing for load balancers and target groups.

use crate::services::{
    self, ADD_ELB_TAGS, ADD_TRAIL_TAGS, GET_RESOURCES, LIST_ROLE_TAGS, LIST_TRAIL_TAGS,
    LIST_USER_TAGS, REMOVE_ELB_TAGS, REMOVE_TRAIL_TAGS, TAG_QUEUE, TAG_RESOURCES, TAG_ROLE,
    TAG_USER, UNTAG_QUEUE, UNTAG_RESOURCES, UNTAG_ROLE, UNTAG_USER,
};
use crate::shapes::{ResourceKind, ResourceRef};
use crate::{TagChange, TagGuard, TagPlan, TagState, TagTarget, fingerprint};
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_resourcegroupstagging::types::FailureInfo;
use std::collections::HashMap;
use warden_shared::{Adapter, Applied, AwsCall, GuardError, Snapshot};

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
        let out = request
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(GET_RESOURCES, &list(), e))?;
        for mapping in out.resource_tag_mapping_list() {
            let Some(arn) = mapping.resource_arn().filter(|arn| arns.contains(arn)) else {
                continue;
            };
            found.entry(arn.to_string()).or_default().extend(
                mapping
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string())),
            );
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

    /// Tags read with the service's own call, for what GetResources does not
    /// cover; `Ok(None)` when the resource no longer exists.
    async fn own_tags(&self, resource: &ResourceRef) -> Result<Option<Tags>, GuardError> {
        let iam = |tags: &[aws_sdk_iam::types::Tag]| -> Tags {
            tags.iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        };
        match &resource.kind {
            ResourceKind::Tagged | ResourceKind::LoadBalancer | ResourceKind::Queue(_) => Ok(None),
            ResourceKind::IamUser(name) => match self
                .iam
                .list_user_tags()
                .user_name(name)
                .max_items(1000)
                .send()
                .await
            {
                Ok(out) => Ok(Some(iam(out.tags()))),
                Err(e) if e.code() == Some("NoSuchEntity") => Ok(None),
                Err(e) => Err(GuardError::from_sdk(LIST_USER_TAGS, &resource.arn, e)),
            },
            ResourceKind::IamRole(name) => match self
                .iam
                .list_role_tags()
                .role_name(name)
                .max_items(1000)
                .send()
                .await
            {
                Ok(out) => Ok(Some(iam(out.tags()))),
                Err(e) if e.code() == Some("NoSuchEntity") => Ok(None),
                Err(e) => Err(GuardError::from_sdk(LIST_ROLE_TAGS, &resource.arn, e)),
            },
            ResourceKind::Trail => match self
                .cloudtrail
                .list_tags()
                .resource_id_list(&resource.arn)
                .send()
                .await
            {
                Ok(out) => Ok(Some(
                    out.resource_tag_list()
                        .iter()
                        .flat_map(|r| r.tags_list())
                        .map(|t| {
                            (
                                t.key().to_string(),
                                t.value().unwrap_or_default().to_string(),
                            )
                        })
                        .collect(),
                )),
                Err(e)
                    if matches!(
                        e.code(),
                        Some("TrailNotFoundException" | "ResourceNotFoundException")
                    ) =>
                {
                    Ok(None)
                }
                Err(e) => Err(GuardError::from_sdk(LIST_TRAIL_TAGS, &resource.arn, e)),
            },
        }
    }

    /// Makes the changes, resource by resource: redactions through
    /// `TagResources`, removals through `UntagResources`, and IAM's own calls
    /// for what the Tagging API reports it cannot do.
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
        if !redact.is_empty() {
            let out = self
                .api
                .tag_resources()
                .resource_arn_list(&resource.arn)
                .set_tags(Some(redact.clone()))
                .send()
                .await
                .map_err(|e| GuardError::from_sdk(TAG_RESOURCES, &resource.arn, e))?;
            if let Some(failure) = out
                .failed_resources_map()
                .and_then(|m| m.get(&resource.arn))
            {
                self.own_tag(resource, &redact, TAG_RESOURCES, failure)
                    .await?;
            }
        }
        if !remove.is_empty() {
            let out = self
                .api
                .untag_resources()
                .resource_arn_list(&resource.arn)
                .set_tag_keys(Some(remove.clone()))
                .send()
                .await
                .map_err(|e| GuardError::from_sdk(UNTAG_RESOURCES, &resource.arn, e))?;
            if let Some(failure) = out
                .failed_resources_map()
                .and_then(|m| m.get(&resource.arn))
            {
                self.own_untag(resource, &remove, UNTAG_RESOURCES, failure)
                    .await?;
            }
        }
        Ok(())
    }

    /// The service's own call, for what the Tagging API refused; anything
    /// without one is an error naming the refused call and its reason.
    async fn own_tag(
        &self,
        resource: &ResourceRef,
        tags: &HashMap<String, String>,
        refused: AwsCall,
        failure: &FailureInfo,
    ) -> Result<(), GuardError> {
        let arn = &resource.arn;
        match &resource.kind {
            ResourceKind::IamUser(name) => {
                let tags = iam_tags(tags).map_err(|e| not_applied(TAG_USER, resource, &e))?;
                self.iam
                    .tag_user()
                    .user_name(name)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| GuardError::from_sdk(TAG_USER, arn, e))?;
            }
            ResourceKind::IamRole(name) => {
                let tags = iam_tags(tags).map_err(|e| not_applied(TAG_ROLE, resource, &e))?;
                self.iam
                    .tag_role()
                    .role_name(name)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| GuardError::from_sdk(TAG_ROLE, arn, e))?;
            }
            ResourceKind::Trail => {
                let list = tags
                    .iter()
                    .map(|(k, v)| {
                        aws_sdk_cloudtrail::types::Tag::builder()
                            .key(k)
                            .value(v)
                            .build()
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| not_applied(ADD_TRAIL_TAGS, resource, &e.to_string()))?;
                // AddTags replaces the value of a key the trail already has.
                self.cloudtrail
                    .add_tags()
                    .resource_id(arn)
                    .set_tags_list(Some(list))
                    .send()
                    .await
                    .map_err(|e| GuardError::from_sdk(ADD_TRAIL_TAGS, arn, e))?;
            }
            ResourceKind::LoadBalancer => {
                let list = tags
                    .iter()
                    .map(|(k, v)| {
                        aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                            .key(k)
                            .value(v)
                            .build()
                    })
                    .collect::<Vec<_>>();
                self.elb
                    .add_tags()
                    .resource_arns(arn)
                    .set_tags(Some(list))
                    .send()
                    .await
                    .map_err(|e| GuardError::from_sdk(ADD_ELB_TAGS, arn, e))?;
            }
            ResourceKind::Queue(url) => {
                self.sqs
                    .tag_queue()
                    .queue_url(url)
                    .set_tags(Some(tags.clone()))
                    .send()
                    .await
                    .map_err(|e| GuardError::from_sdk(TAG_QUEUE, arn, e))?;
            }
            ResourceKind::Tagged => return Err(tagging_api_failure(refused, resource, failure)),
        }
        Ok(())
    }

    async fn own_untag(
        &self,
        resource: &ResourceRef,
        keys: &[String],
        refused: AwsCall,
        failure: &FailureInfo,
    ) -> Result<(), GuardError> {
        let arn = &resource.arn;
        match &resource.kind {
            ResourceKind::IamUser(name) => {
                self.iam
                    .untag_user()
                    .user_name(name)
                    .set_tag_keys(Some(keys.to_vec()))
                    .send()
                    .await
                    .map_err(|e| GuardError::from_sdk(UNTAG_USER, arn, e))?;
            }
            ResourceKind::IamRole(name) => {
                self.iam
                    .untag_role()
                    .role_name(name)
                    .set_tag_keys(Some(keys.to_vec()))
                    .send()
                    .await
                    .map_err(|e| GuardError::from_sdk(UNTAG_ROLE, arn, e))?;
            }
            ResourceKind::Trail => {
                let list = keys
                    .iter()
                    .map(|k| aws_sdk_cloudtrail::types::Tag::builder().key(k).build())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| not_applied(REMOVE_TRAIL_TAGS, resource, &e.to_string()))?;
                self.cloudtrail
                    .remove_tags()
                    .resource_id(arn)
                    .set_tags_list(Some(list))
                    .send()
                    .await
                    .map_err(|e| GuardError::from_sdk(REMOVE_TRAIL_TAGS, arn, e))?;
            }
            ResourceKind::LoadBalancer => {
                self.elb
                    .remove_tags()
                    .resource_arns(arn)
                    .set_tag_keys(Some(keys.to_vec()))
                    .send()
                    .await
                    .map_err(|e| GuardError::from_sdk(REMOVE_ELB_TAGS, arn, e))?;
            }
            ResourceKind::Queue(url) => {
                self.sqs
                    .untag_queue()
                    .queue_url(url)
                    .set_tag_keys(Some(keys.to_vec()))
                    .send()
                    .await
                    .map_err(|e| GuardError::from_sdk(UNTAG_QUEUE, arn, e))?;
            }
            ResourceKind::Tagged => return Err(tagging_api_failure(refused, resource, failure)),
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

fn iam_tags(tags: &HashMap<String, String>) -> Result<Vec<aws_sdk_iam::types::Tag>, String> {
    tags.iter()
        .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

/// What the Tagging API's per-resource failure means: a denial names the
/// service's own permission it checked, an internal error may pass on a
/// retry, anything else is a refusal.
fn tagging_api_failure(call: AwsCall, resource: &ResourceRef, failure: &FailureInfo) -> GuardError {
    let message = failure.error_message().unwrap_or("refused").to_string();
    let status = failure.status_code();
    let denied = status == 403
        || ["AccessDenied", "not authorized", "UnauthorizedOperation"]
            .iter()
            .any(|m| message.contains(m));
    if denied {
        let permission = services::covering(&resource.arn)
            .and_then(|s| s.writes.iter().find(|w| w.operation == call.operation))
            .map_or(call.permission, |w| w.permission);
        return GuardError::AccessDenied {
            operation: call.operation,
            permission,
            resource: resource.arn.clone(),
            message,
        };
    }
    // By status, not code: emulators answer "not supported" as an
    // InternalServiceException with a 404.
    if status >= 500 {
        return GuardError::Aws {
            operation: call.operation,
            resource: resource.arn.clone(),
            message,
        };
    }
    not_applied(call, resource, &message)
}

fn not_applied(call: AwsCall, resource: &ResourceRef, why: &str) -> GuardError {
    GuardError::unusable(
        call,
        &resource.arn,
        format!("the Tagging API did not apply the change: {why}"),
    )
}
