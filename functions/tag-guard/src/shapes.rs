//! Where the tags are: every service logs its tagging call in its own shape.
//! This module turns a CloudTrail record into the resources it tagged (with
//! partition-aware ARNs built where the record has none), the tags it wrote,
//! and the free-form fields (`name`, `*Name`, `description`, `author`) of a
//! create or update call.

use crate::services;
use arns::{ec2_arn, queue_url, ssm_arn};
use params::{arns_in, free_form_fields, items, strings};
use warden_shared::arn::{self, Arn};
use warden_shared::{CloudTrailEvent, EventError};

mod arns;
mod params;

pub use arns::queue_arn;
pub use params::tags_in;

/// How a resource's tags are read and written. Writes always go through the
/// Resource Groups Tagging API first; the kind says which service's own calls
/// take over where that API reports the resource as unsupported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// The Tagging API only.
    Tagged,
    /// IAM users and roles: read with `ListUserTags`/`ListRoleTags` (the
    /// Tagging API's GetResources does not cover them), written with
    /// `TagUser`/`UntagUser` and the role calls when it refuses.
    IamUser(String),
    IamRole(String),
    /// CloudTrail trails: `ListTags`, `AddTags`, `RemoveTags`.
    Trail,
    /// Elastic Load Balancing (v2) load balancers and target groups.
    LoadBalancer,
    /// SQS queues, by URL: `TagQueue`/`UntagQueue` where the Tagging API
    /// refuses (emulators do).
    Queue(String),
}

impl ResourceRef {
    /// The kind follows from the ARN, whichever call named the resource.
    pub fn from_arn(arn: String) -> Self {
        let kind = match Arn::parse(&arn).map(|a| (a.service, a.typed_resource())) {
            Some(("iam", Some(("user", path)))) => {
                ResourceKind::IamUser(path.rsplit('/').next().unwrap_or(path).to_string())
            }
            Some(("iam", Some(("role", path)))) => {
                ResourceKind::IamRole(path.rsplit('/').next().unwrap_or(path).to_string())
            }
            Some(("cloudtrail", Some(("trail", _)))) => ResourceKind::Trail,
            Some(("elasticloadbalancing", Some(("loadbalancer", rest))))
                if ["app/", "net/", "gwy/"].iter().any(|p| rest.starts_with(p)) =>
            {
                ResourceKind::LoadBalancer
            }
            Some(("elasticloadbalancing", Some(("targetgroup", _)))) => ResourceKind::LoadBalancer,
            _ => match Arn::parse(&arn) {
                Some(a) if a.service == "sqs" && !a.resource.contains([':', '/']) => {
                    ResourceKind::Queue(queue_url(&a))
                }
                _ => ResourceKind::Tagged,
            },
        };
        Self { arn, kind }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRef {
    pub arn: String,
    pub kind: ResourceKind,
}

/// One free-form field of a create/update call: it cannot be changed after
/// the fact, so a finding in it is notify-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreeFormField {
    /// The field's path in `requestParameters`, e.g. `author`.
    pub name: String,
    pub value: String,
}

/// What a tagging or create call touched.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Touched {
    pub resources: Vec<ResourceRef>,
    /// Tags the event wrote, kept for resources Warden could not identify
    /// (generic shapes without an ARN): those are reported from the event.
    pub unresolved_tags: Vec<(String, String)>,
    pub fields: Vec<FreeFormField>,
}

/// Where a call puts the resource it tags, in `requestParameters` (its tags
/// are re-read from the resource, never trusted from the event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// EC2 `CreateTags`: `resourcesSet.items[].resourceId`, `tagSet.items[].key/value`.
    Ec2CreateTags,
    /// S3 `PutBucketTagging`: `bucketName`, `Tagging.TagSet.Tag` (an object or a list).
    S3PutBucketTagging,
    /// ELB `AddTags`: `resourceArns[]` (v2) or `loadBalancerNames[]` (classic), `tags[].key/value`.
    ElbAddTags,
    /// IAM `TagUser`/`TagRole`: `userName`/`roleName`, `tags[].key/value`.
    IamTagUser,
    IamTagRole,
    /// KMS `TagResource`: `keyId` (an id or ARN), `tags[].tagKey/tagValue`.
    KmsTagResource,
    /// The resource's ARN in the first of these parameters that is present
    /// (`resourceArn`, Lambda's `resource`, RDS's `resourceName`, ...); a
    /// name there instead of an ARN leaves the resource unidentified.
    ArnIn(&'static [&'static str]),
    /// SQS `TagQueue`: `queueUrl`, `tags` as a map.
    SqsQueueUrl,
    /// CloudWatch Logs `TagLogGroup`: `logGroupName`, `tags` as a map.
    LogGroupName,
    /// Kinesis `AddTagsToStream`: `streamARN` or `streamName`, `tags` as a map.
    KinesisStream,
    /// SSM `AddTagsToResource`: `resourceType` and `resourceId`, `tags[].key/value`.
    SsmResource,
    /// Resource Groups Tagging API `TagResources`: `resourceARNList`, `tags` map.
    TaggingApiTagResources,
    /// Any other tagging call: any ARN in the request, `key`/`value` pairs
    /// under a `tags`-like field.
    Generic,
}

/// The tagging calls tag-guard knows by shape (see [`services::SERVICES`]),
/// and tagging calls of any other service read generically.
pub fn shape(event_source: &str, event_name: &str) -> Option<Shape> {
    if let Some(shape) = services::by_event_source(event_source).and_then(|s| s.shape(event_name)) {
        return Some(shape);
    }
    is_tagging_call(event_name).then_some(Shape::Generic)
}

/// Calls that write tags, in services without a known shape. Removing or
/// reading tags cannot add a sensitive value.
pub fn is_tagging_call(event_name: &str) -> bool {
    let removes_or_reads = ["Delete", "Remove", "Untag", "Get", "List", "Describe"]
        .iter()
        .any(|p| event_name.starts_with(p));
    let writes = ["Tag", "AddTags", "CreateTags", "PutTags"]
        .iter()
        .any(|p| event_name.starts_with(p))
        || event_name.ends_with("Tagging")
        || event_name.ends_with("Tags");
    writes && !removes_or_reads
}

/// Machine calls made many times an hour in a busy account that carry
/// neither tags nor a free-form name worth scanning. The EventBridge rule
/// leaves them out (the template test holds it to this list), and so does
/// [`crate::TagGuard::read_event`] should one arrive anyway. `(eventSource,
/// eventName, why)`.
pub const HIGH_VOLUME: &[(&str, &str, &str)] = &[
    (
        "ssm.amazonaws.com",
        "UpdateInstanceInformation",
        "every SSM agent reports its instance every few minutes",
    ),
    (
        "ssm.amazonaws.com",
        "UpdateInstanceAssociationStatus",
        "every SSM agent reports each association it runs",
    ),
    (
        "ssmmessages.amazonaws.com",
        "CreateControlChannel",
        "every SSM agent opens one, and again after each reconnect",
    ),
    (
        "ssmmessages.amazonaws.com",
        "CreateDataChannel",
        "one for every Session Manager session",
    ),
    (
        "logs.amazonaws.com",
        "CreateLogStream",
        "every Lambda execution environment and log agent opens streams",
    ),
    (
        "kms.amazonaws.com",
        "CreateGrant",
        "EBS, RDS, Lambda and others grant themselves key use on every attach or start",
    ),
    (
        "ec2.amazonaws.com",
        "CreateNetworkInterface",
        "Lambda in a VPC, ECS tasks and EKS pods each create interfaces",
    ),
    (
        "ec2.amazonaws.com",
        "CreateNetworkInterfacePermission",
        "made by AWS services alongside their network interfaces",
    ),
];

/// One of [`HIGH_VOLUME`]'s calls.
pub fn is_high_volume(event_source: &str, event_name: &str) -> bool {
    HIGH_VOLUME
        .iter()
        .any(|(source, name, _)| *source == event_source && *name == event_name)
}

/// Create and update calls, whose free-form fields are scanned.
pub fn is_create_or_update(event_name: &str) -> bool {
    event_name.starts_with("Create") || event_name.starts_with("Update")
}

/// Reads what an event touched.
pub fn touched(event: &CloudTrailEvent) -> Result<Touched, EventError> {
    let detail = &event.detail;
    let params = &detail.request_parameters;
    let region = detail.aws_region.as_str();
    let account = event.account.as_str();
    let partition = arn::partition(region);
    let field = |name: &str| format!("detail.requestParameters.{name}");
    let tagged = ResourceRef::from_arn;

    let mut touched = Touched::default();
    // Where the call names its resource by a name Warden cannot turn into
    // an ARN, the event's own tags are all there is to scan.
    let mut unresolved = false;
    match shape(&detail.event_source, &detail.event_name) {
        Some(Shape::Ec2CreateTags) => {
            for id in items(params.get("resourcesSet"))
                .iter()
                .filter_map(|i| i.get("resourceId")?.as_str())
            {
                touched
                    .resources
                    .push(tagged(ec2_arn(partition, region, account, id)));
            }
            require(!touched.resources.is_empty(), field("resourcesSet.items"))?;
        }
        Some(Shape::S3PutBucketTagging) => {
            let bucket = event.request_string(&["bucketName"])?;
            touched
                .resources
                .push(tagged(arn::s3_bucket(region, &bucket)));
        }
        Some(Shape::ElbAddTags) => {
            for arn in strings(params.get("resourceArns")) {
                touched.resources.push(tagged(arn));
            }
            for name in strings(params.get("loadBalancerNames")) {
                touched.resources.push(tagged(format!(
                    "arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/{name}"
                )));
            }
            require(!touched.resources.is_empty(), field("resourceArns"))?;
        }
        Some(Shape::IamTagUser) => {
            let name = event.request_string(&["userName"])?;
            touched.resources.push(tagged(format!(
                "arn:{partition}:iam::{account}:user/{name}"
            )));
        }
        Some(Shape::IamTagRole) => {
            let name = event.request_string(&["roleName"])?;
            touched.resources.push(tagged(format!(
                "arn:{partition}:iam::{account}:role/{name}"
            )));
        }
        Some(Shape::KmsTagResource) => {
            let key = event.request_string(&["keyId"])?;
            let arn = if key.starts_with("arn:") {
                key
            } else {
                format!("arn:{partition}:kms:{region}:{account}:key/{key}")
            };
            touched.resources.push(tagged(arn));
        }
        Some(Shape::ArnIn(names)) => {
            let named = names
                .iter()
                .copied()
                .find(|name| params.get(*name).is_some());
            match named {
                Some(name) => {
                    let text = event.request_string(&[name])?;
                    if Arn::parse(&text).is_some() {
                        touched.resources.push(tagged(text));
                    } else {
                        unresolved = true;
                    }
                }
                // Not where the service usually logs it: any ARN will do.
                None => {
                    let arns = arns_in(params);
                    let first = names.first().copied().unwrap_or("resourceArn");
                    require(!arns.is_empty(), field(first))?;
                    touched.resources.extend(arns.into_iter().map(tagged));
                }
            }
        }
        Some(Shape::SqsQueueUrl) => {
            let url = event.request_string(&["queueUrl"])?;
            match queue_arn(partition, region, &url) {
                Some(arn) => touched.resources.push(tagged(arn)),
                None => return Err(EventError::invalid(field("queueUrl"), "is not a queue URL")),
            }
        }
        Some(Shape::LogGroupName) => {
            let name = event.request_string(&["logGroupName"])?;
            touched.resources.push(tagged(format!(
                "arn:{partition}:logs:{region}:{account}:log-group:{name}"
            )));
        }
        Some(Shape::KinesisStream) => {
            let arn = match event.request_string(&["streamARN"]) {
                Ok(arn) => arn,
                Err(_) => {
                    let name = event.request_string(&["streamName"])?;
                    format!("arn:{partition}:kinesis:{region}:{account}:stream/{name}")
                }
            };
            touched.resources.push(tagged(arn));
        }
        Some(Shape::SsmResource) => {
            let kind = event.request_string(&["resourceType"])?;
            let id = event.request_string(&["resourceId"])?;
            match ssm_arn(partition, region, account, &kind, &id) {
                Some(arn) => touched.resources.push(tagged(arn)),
                None => unresolved = true,
            }
        }
        Some(Shape::TaggingApiTagResources) => {
            touched.resources.extend(
                strings(params.get("resourceARNList"))
                    .into_iter()
                    .map(tagged),
            );
            require(!touched.resources.is_empty(), field("resourceARNList"))?;
        }
        Some(Shape::Generic) => {
            let arns = arns_in(params);
            if arns.is_empty() {
                unresolved = true;
            } else {
                touched.resources.extend(arns.into_iter().map(tagged));
            }
        }
        None if is_create_or_update(&detail.event_name) && !tags_in(params).is_empty() => {
            // A create call that tags what it makes: the new resource, when
            // the response names it, is checked like any tagged resource.
            match created_arn(event, partition) {
                Some(arn) => touched.resources.push(tagged(arn)),
                None => unresolved = true,
            }
        }
        None => {}
    }
    if unresolved {
        touched.unresolved_tags = tags_in(params);
    }
    if is_create_or_update(&detail.event_name) {
        touched.fields = free_form_fields(params);
    }
    Ok(touched)
}

/// What a create call made, from its response: the first ARN in it, or an
/// SQS queue URL.
fn created_arn(event: &CloudTrailEvent, partition: &str) -> Option<String> {
    let response = &event.detail.response_elements;
    if let Some(arn) = arns_in(response).into_iter().next() {
        return Some(arn);
    }
    let url = response.get("queueUrl")?.as_str()?;
    queue_arn(partition, &event.detail.aws_region, url)
}

fn require(ok: bool, field: String) -> Result<(), EventError> {
    if ok {
        Ok(())
    } else {
        Err(EventError::invalid(field, "names no resource"))
    }
}

#[cfg(test)]
mod tests;
