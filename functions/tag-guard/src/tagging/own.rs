//! The services' own tagging calls, for what the Resource Groups Tagging API
//! does not read (IAM users and roles, trails) or refuses to write, and what
//! its refusal means where no such call exists.

use super::{Tagging, Tags, pair, sent};
use crate::services::{
    self, ADD_ELB_TAGS, ADD_TRAIL_TAGS, LIST_ROLE_TAGS, LIST_TRAIL_TAGS, LIST_USER_TAGS,
    REMOVE_ELB_TAGS, REMOVE_TRAIL_TAGS, TAG_QUEUE, TAG_ROLE, TAG_USER, UNTAG_QUEUE, UNTAG_ROLE,
    UNTAG_USER,
};
use crate::shapes::{ResourceKind, ResourceRef};
use aws_sdk_cloudtrail::types::Tag as TrailTag;
use aws_sdk_elasticloadbalancingv2::types::Tag as ElbTag;
use aws_sdk_iam::types::Tag as IamTag;
use aws_sdk_resourcegroupstagging::types::FailureInfo;
use std::collections::HashMap;
use warden_shared::error::found;
use warden_shared::{AwsCall, GuardError};

/// What IAM answers for a user or role that no longer exists.
const IAM_GONE: &[&str] = &["NoSuchEntity"];

/// What CloudTrail answers for a trail that no longer exists.
const TRAIL_GONE: &[&str] = &["TrailNotFoundException", "ResourceNotFoundException"];

impl Tagging {
    /// Tags read with the service's own call, for what GetResources does not
    /// cover; `Ok(None)` when the resource no longer exists.
    pub(super) async fn own_tags(
        &self,
        resource: &ResourceRef,
    ) -> Result<Option<Tags>, GuardError> {
        let arn = &resource.arn;
        let iam =
            |tags: &[IamTag]| -> Tags { tags.iter().map(|t| pair(t.key(), t.value())).collect() };
        match &resource.kind {
            ResourceKind::Tagged | ResourceKind::LoadBalancer | ResourceKind::Queue(_) => Ok(None),
            ResourceKind::IamUser(name) => {
                let request = self.iam.list_user_tags().user_name(name).max_items(1000);
                let out = found(LIST_USER_TAGS, arn, IAM_GONE, request.send().await)?;
                Ok(out.map(|out| iam(out.tags())))
            }
            ResourceKind::IamRole(name) => {
                let request = self.iam.list_role_tags().role_name(name).max_items(1000);
                let out = found(LIST_ROLE_TAGS, arn, IAM_GONE, request.send().await)?;
                Ok(out.map(|out| iam(out.tags())))
            }
            ResourceKind::Trail => {
                let request = self.cloudtrail.list_tags().resource_id_list(arn);
                let out = found(LIST_TRAIL_TAGS, arn, TRAIL_GONE, request.send().await)?;
                Ok(out.map(|out| {
                    out.resource_tag_list()
                        .iter()
                        .flat_map(|r| r.tags_list())
                        .map(|t| pair(t.key(), t.value().unwrap_or_default()))
                        .collect()
                }))
            }
        }
    }

    /// The service's own call, for what the Tagging API refused; anything
    /// without one is an error naming the refused call and its reason.
    pub(super) async fn own_tag(
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
                let request = self.iam.tag_user().user_name(name).set_tags(Some(tags));
                sent(TAG_USER, arn, request.send()).await?;
            }
            ResourceKind::IamRole(name) => {
                let tags = iam_tags(tags).map_err(|e| not_applied(TAG_ROLE, resource, &e))?;
                let request = self.iam.tag_role().role_name(name).set_tags(Some(tags));
                sent(TAG_ROLE, arn, request.send()).await?;
            }
            ResourceKind::Trail => {
                let list = tags
                    .iter()
                    .map(|(k, v)| TrailTag::builder().key(k).value(v).build())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| not_applied(ADD_TRAIL_TAGS, resource, &e.to_string()))?;
                // AddTags replaces the value of a key the trail already has.
                let request = self.cloudtrail.add_tags().set_tags_list(Some(list));
                sent(ADD_TRAIL_TAGS, arn, request.resource_id(arn).send()).await?;
            }
            ResourceKind::LoadBalancer => {
                let list = tags
                    .iter()
                    .map(|(k, v)| ElbTag::builder().key(k).value(v).build())
                    .collect::<Vec<_>>();
                let request = self.elb.add_tags().resource_arns(arn).set_tags(Some(list));
                sent(ADD_ELB_TAGS, arn, request.send()).await?;
            }
            ResourceKind::Queue(url) => {
                let request = self.sqs.tag_queue().queue_url(url);
                sent(TAG_QUEUE, arn, request.set_tags(Some(tags.clone())).send()).await?;
            }
            ResourceKind::Tagged => return Err(tagging_api_failure(refused, resource, failure)),
        }
        Ok(())
    }

    /// [`Self::own_tag`]'s counterpart for removals.
    pub(super) async fn own_untag(
        &self,
        resource: &ResourceRef,
        keys: &[String],
        refused: AwsCall,
        failure: &FailureInfo,
    ) -> Result<(), GuardError> {
        let arn = &resource.arn;
        let tag_keys = Some(keys.to_vec());
        match &resource.kind {
            ResourceKind::IamUser(name) => {
                let request = self.iam.untag_user().user_name(name).set_tag_keys(tag_keys);
                sent(UNTAG_USER, arn, request.send()).await?;
            }
            ResourceKind::IamRole(name) => {
                let request = self.iam.untag_role().role_name(name).set_tag_keys(tag_keys);
                sent(UNTAG_ROLE, arn, request.send()).await?;
            }
            ResourceKind::Trail => {
                let list = keys
                    .iter()
                    .map(|k| TrailTag::builder().key(k).build())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| not_applied(REMOVE_TRAIL_TAGS, resource, &e.to_string()))?;
                let request = self.cloudtrail.remove_tags().set_tags_list(Some(list));
                sent(REMOVE_TRAIL_TAGS, arn, request.resource_id(arn).send()).await?;
            }
            ResourceKind::LoadBalancer => {
                let request = self.elb.remove_tags().set_tag_keys(tag_keys);
                sent(REMOVE_ELB_TAGS, arn, request.resource_arns(arn).send()).await?;
            }
            ResourceKind::Queue(url) => {
                let request = self.sqs.untag_queue().queue_url(url).set_tag_keys(tag_keys);
                sent(UNTAG_QUEUE, arn, request.send()).await?;
            }
            ResourceKind::Tagged => return Err(tagging_api_failure(refused, resource, failure)),
        }
        Ok(())
    }
}

fn iam_tags(tags: &HashMap<String, String>) -> Result<Vec<IamTag>, String> {
    tags.iter()
        .map(|(k, v)| IamTag::builder().key(k).value(v).build())
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
