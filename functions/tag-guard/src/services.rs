//! The services tag-guard knows, in one table: which CloudTrail source and
//! calls write each one's tags, where a call puts the resource, and the IAM
//! actions reading and rewriting its tags take. Everything else follows from
//! it: the shapes [`crate::shapes`] reads, the permissions the rules declare
//! (and so the template's role, which a test holds to them), and which
//! resources tag-guard may rewrite at all.
//!
//! The Resource Groups Tagging API reads and writes tags for most services,
//! but it also checks the caller's own permission in each service: without
//! `sqs:TagQueue` a `TagResources` on a queue fails. A resource of a service
//! missing here is therefore reported (`notified`, naming the permission to
//! add) instead of being written, failed and retried into the dead-letter
//! queue.

use crate::shapes::Shape;
use warden_shared::AwsCall;
use warden_shared::arn::Arn;

/// One service whose tags tag-guard reads and rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The service namespace, as in its ARNs and IAM actions (`sqs`).
    pub namespace: &'static str,
    /// CloudTrail's `eventSource` for its calls.
    pub event_source: &'static str,
    /// The calls that write its tags as CloudTrail logs them (a trailing `*`
    /// matches versioned names such as Lambda's `TagResource20170331v2`),
    /// with where each puts the resource.
    pub calls: &'static [(&'static str, Shape)],
    /// What reading its tags takes: the permissions the Tagging API's
    /// `GetResources` checks, or the service's own read call.
    pub reads: &'static [AwsCall],
    /// What rewriting its tags takes: the permissions `TagResources` and
    /// `UntagResources` check, or the service's own calls.
    pub writes: &'static [AwsCall],
}

impl Service {
    /// The shape of one of its tagging calls.
    pub fn shape(&self, event_name: &str) -> Option<Shape> {
        self.calls.iter().find_map(|(name, shape)| {
            let matches = match name.strip_suffix('*') {
                Some(prefix) => event_name.starts_with(prefix),
                None => event_name == *name,
            };
            matches.then_some(*shape)
        })
    }

    /// The IAM actions that rewrite its tags, for messages.
    pub fn write_permissions(&self) -> Vec<&'static str> {
        self.writes.iter().map(|c| c.permission).collect()
    }
}

pub const GET_RESOURCES: AwsCall = AwsCall::new("GetResources", "tag:GetResources");
pub const TAG_RESOURCES: AwsCall = AwsCall::new("TagResources", "tag:TagResources");
pub const UNTAG_RESOURCES: AwsCall = AwsCall::new("UntagResources", "tag:UntagResources");
pub const LIST_USER_TAGS: AwsCall = AwsCall::new("ListUserTags", "iam:ListUserTags");
pub const LIST_ROLE_TAGS: AwsCall = AwsCall::new("ListRoleTags", "iam:ListRoleTags");
pub const TAG_USER: AwsCall = AwsCall::new("TagUser", "iam:TagUser");
pub const UNTAG_USER: AwsCall = AwsCall::new("UntagUser", "iam:UntagUser");
pub const TAG_ROLE: AwsCall = AwsCall::new("TagRole", "iam:TagRole");
pub const UNTAG_ROLE: AwsCall = AwsCall::new("UntagRole", "iam:UntagRole");
pub const LIST_TRAIL_TAGS: AwsCall = AwsCall::new("ListTags", "cloudtrail:ListTags");
pub const ADD_TRAIL_TAGS: AwsCall = AwsCall::new("AddTags", "cloudtrail:AddTags");
pub const REMOVE_TRAIL_TAGS: AwsCall = AwsCall::new("RemoveTags", "cloudtrail:RemoveTags");
pub const TAG_QUEUE: AwsCall = AwsCall::new("TagQueue", "sqs:TagQueue");
pub const UNTAG_QUEUE: AwsCall = AwsCall::new("UntagQueue", "sqs:UntagQueue");
pub const ADD_ELB_TAGS: AwsCall = AwsCall::new("AddTags", "elasticloadbalancing:AddTags");
pub const REMOVE_ELB_TAGS: AwsCall = AwsCall::new("RemoveTags", "elasticloadbalancing:RemoveTags");

/// A permission `GetResources` checks for the service.
const fn read(permission: &'static str) -> AwsCall {
    AwsCall::new("GetResources", permission)
}

/// A permission `TagResources` checks for the service.
const fn tag(permission: &'static str) -> AwsCall {
    AwsCall::new("TagResources", permission)
}

/// A permission `UntagResources` checks for the service.
const fn untag(permission: &'static str) -> AwsCall {
    AwsCall::new("UntagResources", permission)
}

/// `TagResource` with the resource's ARN in `resourceArn` (or `resourceARN`,
/// as EventBridge and Kinesis spell it).
const TAG_RESOURCE: &[(&str, Shape)] =
    &[("TagResource", Shape::ArnIn(&["resourceArn", "resourceARN"]))];

/// Every service tag-guard reads and rewrites tags of. The Resource Groups
/// Tagging API comes first: its own calls are how every other row is written.
pub const SERVICES: &[Service] = &[
    Service {
        namespace: "tag",
        event_source: "tagging.amazonaws.com",
        calls: &[("TagResources", Shape::TaggingApiTagResources)],
        reads: &[GET_RESOURCES],
        writes: &[TAG_RESOURCES, UNTAG_RESOURCES],
    },
    Service {
        namespace: "ec2",
        event_source: "ec2.amazonaws.com",
        calls: &[("CreateTags", Shape::Ec2CreateTags)],
        reads: &[],
        writes: &[tag("ec2:CreateTags"), untag("ec2:DeleteTags")],
    },
    Service {
        namespace: "s3",
        event_source: "s3.amazonaws.com",
        calls: &[("PutBucketTagging", Shape::S3PutBucketTagging)],
        reads: &[read("s3:GetBucketTagging")],
        // PutBucketTagging replaces the whole set: it also removes.
        writes: &[tag("s3:PutBucketTagging")],
    },
    Service {
        namespace: "elasticloadbalancing",
        event_source: "elasticloadbalancing.amazonaws.com",
        calls: &[("AddTags", Shape::ElbAddTags)],
        reads: &[],
        // The Tagging API refuses load balancers in some regions (and in
        // moto): ELB's own calls take over.
        writes: &[ADD_ELB_TAGS, REMOVE_ELB_TAGS],
    },
    Service {
        namespace: "iam",
        event_source: "iam.amazonaws.com",
        calls: &[
            ("TagUser", Shape::IamTagUser),
            ("TagRole", Shape::IamTagRole),
        ],
        // GetResources does not cover users and roles: IAM's own calls.
        reads: &[LIST_USER_TAGS, LIST_ROLE_TAGS],
        writes: &[TAG_USER, UNTAG_USER, TAG_ROLE, UNTAG_ROLE],
    },
    Service {
        namespace: "lambda",
        event_source: "lambda.amazonaws.com",
        calls: &[("TagResource*", Shape::ArnIn(&["resource"]))],
        reads: &[read("lambda:ListTags")],
        writes: &[tag("lambda:TagResource"), untag("lambda:UntagResource")],
    },
    Service {
        namespace: "sns",
        event_source: "sns.amazonaws.com",
        calls: TAG_RESOURCE,
        reads: &[read("sns:ListTagsForResource")],
        writes: &[tag("sns:TagResource"), untag("sns:UntagResource")],
    },
    Service {
        namespace: "dynamodb",
        event_source: "dynamodb.amazonaws.com",
        calls: TAG_RESOURCE,
        reads: &[read("dynamodb:ListTagsOfResource")],
        writes: &[tag("dynamodb:TagResource"), untag("dynamodb:UntagResource")],
    },
    Service {
        namespace: "ecs",
        event_source: "ecs.amazonaws.com",
        calls: TAG_RESOURCE,
        reads: &[read("ecs:ListTagsForResource")],
        writes: &[tag("ecs:TagResource"), untag("ecs:UntagResource")],
    },
    Service {
        namespace: "kms",
        event_source: "kms.amazonaws.com",
        calls: &[("TagResource", Shape::KmsTagResource)],
        reads: &[read("kms:ListResourceTags")],
        writes: &[tag("kms:TagResource"), untag("kms:UntagResource")],
    },
    Service {
        namespace: "rds",
        event_source: "rds.amazonaws.com",
        calls: &[("AddTagsToResource", Shape::ArnIn(&["resourceName"]))],
        reads: &[read("rds:ListTagsForResource")],
        writes: &[
            tag("rds:AddTagsToResource"),
            untag("rds:RemoveTagsFromResource"),
        ],
    },
    Service {
        namespace: "cloudtrail",
        event_source: "cloudtrail.amazonaws.com",
        calls: &[("AddTags", Shape::ArnIn(&["resourceId"]))],
        // GetResources does not list trails everywhere: CloudTrail's own calls.
        reads: &[LIST_TRAIL_TAGS],
        writes: &[ADD_TRAIL_TAGS, REMOVE_TRAIL_TAGS],
    },
    Service {
        namespace: "sqs",
        event_source: "sqs.amazonaws.com",
        calls: &[("TagQueue", Shape::SqsQueueUrl)],
        reads: &[read("sqs:ListQueueTags")],
        // What the Tagging API checks, and SQS's own calls where it refuses.
        writes: &[
            tag("sqs:TagQueue"),
            untag("sqs:UntagQueue"),
            TAG_QUEUE,
            UNTAG_QUEUE,
        ],
    },
    Service {
        namespace: "secretsmanager",
        event_source: "secretsmanager.amazonaws.com",
        // `secretId` may be a name: without its ARN (which ends in a random
        // suffix) the tags are reported from the event.
        calls: &[("TagResource", Shape::ArnIn(&["secretId"]))],
        // Secrets Manager has no tag-only read permission (DescribeSecret
        // shows far more than tags); GetResources needs none.
        reads: &[],
        writes: &[
            tag("secretsmanager:TagResource"),
            untag("secretsmanager:UntagResource"),
        ],
    },
    Service {
        namespace: "logs",
        event_source: "logs.amazonaws.com",
        calls: &[
            ("TagResource", Shape::ArnIn(&["resourceArn"])),
            ("TagLogGroup", Shape::LogGroupName),
        ],
        reads: &[read("logs:ListTagsForResource")],
        writes: &[tag("logs:TagResource"), untag("logs:UntagResource")],
    },
    Service {
        namespace: "ecr",
        event_source: "ecr.amazonaws.com",
        calls: TAG_RESOURCE,
        reads: &[read("ecr:ListTagsForResource")],
        writes: &[tag("ecr:TagResource"), untag("ecr:UntagResource")],
    },
    Service {
        namespace: "apigateway",
        event_source: "apigateway.amazonaws.com",
        calls: &[(
            "TagResource",
            Shape::ArnIn(&["resourceArn", "resource_arn"]),
        )],
        // API Gateway's tags are the `/tags/*` REST resource: the template
        // grants these on `arn:aws:apigateway:*::/tags/*` only.
        reads: &[read("apigateway:GET")],
        writes: &[tag("apigateway:PUT"), untag("apigateway:DELETE")],
    },
    Service {
        namespace: "cloudfront",
        event_source: "cloudfront.amazonaws.com",
        // CloudFront logs versioned names (TagResource2020_05_31).
        calls: &[("TagResource*", Shape::ArnIn(&["resource"]))],
        reads: &[read("cloudfront:ListTagsForResource")],
        writes: &[
            tag("cloudfront:TagResource"),
            untag("cloudfront:UntagResource"),
        ],
    },
    Service {
        namespace: "states",
        event_source: "states.amazonaws.com",
        calls: TAG_RESOURCE,
        reads: &[read("states:ListTagsForResource")],
        writes: &[tag("states:TagResource"), untag("states:UntagResource")],
    },
    Service {
        namespace: "events",
        event_source: "events.amazonaws.com",
        calls: TAG_RESOURCE,
        reads: &[read("events:ListTagsForResource")],
        writes: &[tag("events:TagResource"), untag("events:UntagResource")],
    },
    Service {
        namespace: "kinesis",
        event_source: "kinesis.amazonaws.com",
        calls: &[
            ("AddTagsToStream", Shape::KinesisStream),
            ("TagResource", Shape::ArnIn(&["resourceARN", "resourceArn"])),
        ],
        reads: &[read("kinesis:ListTagsForStream")],
        writes: &[
            tag("kinesis:AddTagsToStream"),
            untag("kinesis:RemoveTagsFromStream"),
        ],
    },
    Service {
        namespace: "ssm",
        event_source: "ssm.amazonaws.com",
        calls: &[("AddTagsToResource", Shape::SsmResource)],
        reads: &[read("ssm:ListTagsForResource")],
        writes: &[
            tag("ssm:AddTagsToResource"),
            untag("ssm:RemoveTagsFromResource"),
        ],
    },
    Service {
        namespace: "glue",
        event_source: "glue.amazonaws.com",
        calls: TAG_RESOURCE,
        reads: &[read("glue:GetTags")],
        writes: &[tag("glue:TagResource"), untag("glue:UntagResource")],
    },
];

/// The service behind a CloudTrail `eventSource`.
pub fn by_event_source(event_source: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.event_source == event_source)
}

/// The service a resource ARN belongs to, if tag-guard can rewrite its tags.
pub fn covering(arn: &str) -> Option<&'static Service> {
    let namespace = Arn::parse(arn)?.service;
    SERVICES
        .iter()
        .find(|s| s.namespace == namespace && s.namespace != "tag")
}

/// What tag-guard's role would need to rewrite tags of a service missing
/// from the table: most services name it `TagResource`/`UntagResource`.
pub fn missing_permissions(arn: &str) -> String {
    let namespace = Arn::parse(arn).map_or("<service>", |a| a.service);
    format!("`{namespace}:TagResource` and `{namespace}:UntagResource`")
}

const fn count(writes: bool) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < SERVICES.len() {
        n += if writes {
            SERVICES[i].writes.len()
        } else {
            SERVICES[i].reads.len()
        };
        i += 1;
    }
    n
}

const fn flatten<const N: usize>(writes: bool) -> [AwsCall; N] {
    let mut out = [GET_RESOURCES; N];
    let mut k = 0;
    let mut i = 0;
    while i < SERVICES.len() {
        let calls = if writes {
            SERVICES[i].writes
        } else {
            SERVICES[i].reads
        };
        let mut j = 0;
        while j < calls.len() {
            out[k] = calls[j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

/// Every call that reads tags, from the table.
pub const READS: &[AwsCall] = &flatten::<{ count(false) }>(false);

/// Every call that rewrites tags, from the table.
pub const WRITES: &[AwsCall] = &flatten::<{ count(true) }>(true);

#[cfg(test)]
mod tests;
