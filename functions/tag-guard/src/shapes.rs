//! Where the tags are: every service logs its tagging call in its own shape.
//! This module turns a CloudTrail record into the resources it tagged (with
//! partition-aware ARNs built where the record has none), the tags it wrote,
//! and the free-form fields (`name`, `*Name`, `description`, `author`) of a
//! create or update call.

use serde_json::{Map, Value};
use warden_shared::arn::{self, Arn};
use warden_shared::{CloudTrailEvent, EventError};

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
            _ => ResourceKind::Tagged,
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

/// Where a call's tags sit in `requestParameters`.
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
    /// Lambda `TagResource`: `resource` (an ARN), `tags` as a map.
    LambdaTagResource,
    /// SNS, DynamoDB, ECS `TagResource`: `resourceArn`, `tags[].key/value`.
    ArnTagResource,
    /// KMS `TagResource`: `keyId` (an id or ARN), `tags[].tagKey/tagValue`.
    KmsTagResource,
    /// RDS `AddTagsToResource`: `resourceName` (an ARN), `tags[].key/value`.
    RdsAddTagsToResource,
    /// CloudTrail `AddTags`: `resourceId` (a trail ARN), `tagsList[].key/value`.
    CloudTrailAddTags,
    /// Resource Groups Tagging API `TagResources`: `resourceARNList`, `tags` map.
    TaggingApiTagResources,
    /// Any other tagging call: `key`/`value` pairs under a `tags`-like field.
    Generic,
}

/// The tagging calls tag-guard knows by shape, by event source.
pub fn shape(event_source: &str, event_name: &str) -> Option<Shape> {
    let service = event_source
        .strip_suffix(".amazonaws.com")
        .unwrap_or(event_source);
    Some(match (service, event_name) {
        ("ec2", "CreateTags") => Shape::Ec2CreateTags,
        ("s3", "PutBucketTagging") => Shape::S3PutBucketTagging,
        ("elasticloadbalancing", "AddTags") => Shape::ElbAddTags,
        ("iam", "TagUser") => Shape::IamTagUser,
        ("iam", "TagRole") => Shape::IamTagRole,
        // Lambda logs versioned names such as TagResource20170331v2.
        ("lambda", name) if name.starts_with("TagResource") => Shape::LambdaTagResource,
        ("sns" | "dynamodb" | "ecs", "TagResource") => Shape::ArnTagResource,
        ("kms", "TagResource") => Shape::KmsTagResource,
        ("rds", "AddTagsToResource") => Shape::RdsAddTagsToResource,
        ("cloudtrail", "AddTags") => Shape::CloudTrailAddTags,
        ("tagging", "TagResources") => Shape::TaggingApiTagResources,
        (_, name) if is_tagging_call(name) => Shape::Generic,
        _ => return None,
    })
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
        Some(Shape::LambdaTagResource) => touched
            .resources
            .push(tagged(event.request_string(&["resource"])?)),
        Some(Shape::ArnTagResource) => touched
            .resources
            .push(tagged(event.request_string(&["resourceArn"])?)),
        Some(Shape::KmsTagResource) => {
            let key = event.request_string(&["keyId"])?;
            let arn = if key.starts_with("arn:") {
                key
            } else {
                format!("arn:{partition}:kms:{region}:{account}:key/{key}")
            };
            touched.resources.push(tagged(arn));
        }
        Some(Shape::RdsAddTagsToResource) => touched
            .resources
            .push(tagged(event.request_string(&["resourceName"])?)),
        Some(Shape::CloudTrailAddTags) => touched
            .resources
            .push(tagged(event.request_string(&["resourceId"])?)),
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
                touched.unresolved_tags = tags_in(params);
            } else {
                touched.resources.extend(arns.into_iter().map(tagged));
            }
        }
        None => {}
    }
    if is_create_or_update(&detail.event_name) {
        touched.fields = free_form_fields(params);
    }
    Ok(touched)
}

fn require(ok: bool, field: String) -> Result<(), EventError> {
    if ok {
        Ok(())
    } else {
        Err(EventError::invalid(field, "names no resource"))
    }
}

/// `{"items": [...]}` (EC2's XML-derived lists) or a plain list.
fn items(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Object(map)) => items(map.get("items")),
        Some(Value::Array(list)) => list.iter().collect(),
        _ => vec![],
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

/// EC2 ids carry their resource type in their prefix.
fn ec2_arn(partition: &str, region: &str, account: &str, id: &str) -> String {
    let kind = match id.split_once('-').map(|(prefix, _)| prefix) {
        Some("i") => "instance",
        Some("vol") => "volume",
        Some("snap") => "snapshot",
        Some("sg") => "security-group",
        Some("vpc") => "vpc",
        Some("subnet") => "subnet",
        Some("eni") => "network-interface",
        Some("igw") => "internet-gateway",
        Some("rtb") => "route-table",
        Some("acl") => "network-acl",
        Some("eipalloc") => "elastic-ip",
        Some("nat") => "natgateway",
        Some("lt") => "launch-template",
        Some("key") => "key-pair",
        Some("dopt") => "dhcp-options",
        Some("vpce") => "vpc-endpoint",
        Some("tgw") => "transit-gateway",
        // AMIs are regional but have no owner account in their ARN.
        Some("ami") => return format!("arn:{partition}:ec2:{region}::image/{id}"),
        _ => "resource",
    };
    format!("arn:{partition}:ec2:{region}:{account}:{kind}/{id}")
}

/// The tags of any shape: `key`/`value` pairs (any casing, `tagKey`/`tagValue`
/// too) or a plain map, under any field whose name contains "tag".
pub fn tags_in(params: &Value) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    collect_tags(params, false, &mut tags);
    tags
}

fn collect_tags(value: &Value, under_tags: bool, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if under_tags && let Some(pair) = key_value(map) {
                out.push(pair);
                return;
            }
            for (name, child) in map {
                let taggy = name.to_ascii_lowercase().contains("tag");
                match child {
                    // A plain map of tag values: {"tags": {"k": "v"}}.
                    Value::Object(inner)
                        if taggy
                            && key_value(inner).is_none()
                            && inner.values().all(Value::is_string) =>
                    {
                        out.extend(
                            inner
                                .iter()
                                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))),
                        );
                    }
                    _ => collect_tags(child, under_tags || taggy, out),
                }
            }
        }
        Value::Array(list) => list
            .iter()
            .for_each(|item| collect_tags(item, under_tags, out)),
        _ => {}
    }
}

fn key_value(map: &Map<String, Value>) -> Option<(String, String)> {
    let find = |names: &[&str]| {
        map.iter()
            .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .and_then(|(_, v)| v.as_str())
    };
    Some((
        find(&["key", "tagKey"])?.to_string(),
        find(&["value", "tagValue"]).unwrap_or("").to_string(),
    ))
}

fn arns_in(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut walk = vec![value];
    while let Some(v) = walk.pop() {
        match v {
            Value::String(s) if s.starts_with("arn:") && !found.contains(s) => {
                found.push(s.clone())
            }
            Value::Array(list) => walk.extend(list.iter().rev()),
            Value::Object(map) => walk.extend(map.values().rev()),
            _ => {}
        }
    }
    found
}

/// `name`, `*Name`, `description` and `author` string fields, at any depth
/// outside tags (tags are scanned as tags).
fn free_form_fields(params: &Value) -> Vec<FreeFormField> {
    let mut fields = Vec::new();
    collect_fields(params, "", &mut fields);
    fields
}

fn collect_fields(value: &Value, path: &str, out: &mut Vec<FreeFormField>) {
    let Value::Object(map) = value else { return };
    for (name, child) in map {
        let full = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        let lower = name.to_ascii_lowercase();
        if lower.contains("tag") {
            continue;
        }
        match child {
            Value::String(text) if is_free_form(name) && !text.is_empty() => {
                out.push(FreeFormField {
                    name: full,
                    value: text.clone(),
                })
            }
            Value::Object(_) => collect_fields(child, &full, out),
            _ => {}
        }
    }
}

fn is_free_form(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "name"
        || lower == "description"
        || lower == "author"
        || (name.ends_with("Name") && lower != "bucketname")
}

#[cfg(test)]
mod tests;
