"""Reading a CloudTrail record: which resources its call touched, and the
tags it set on them, per service shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moto_seeding import ACCOUNT, REGION, SeedError


@dataclass
class Target:
    """What the event's call touched: a resource reference and the tags it set."""

    ref: str  # an ARN, or a bare EC2 resource id / KMS key id as the event has it
    tags: dict[str, str] = field(default_factory=dict)


def kv_list(items: Any, key: str = "key", value: str = "value") -> dict[str, str]:
    """Tags from a CloudTrail list of {key, value} objects (any capitalisation)."""
    if items is None:
        return {}
    if isinstance(items, dict):  # a one-element XML list logged as an object
        items = [items]
    if not isinstance(items, list):
        raise SeedError(f"expected a list of tags, found {type(items).__name__}")
    tags: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict):
            raise SeedError(f"expected a tag object, found {item!r}")
        k = next((item[n] for n in (key, key[:1].upper() + key[1:]) if n in item), None)
        v = next((item[n] for n in (value, value[:1].upper() + value[1:]) if n in item), "")
        if k is None:
            raise SeedError(f"tag without a {key!r}: {item!r}")
        tags[str(k)] = "" if v is None else str(v)
    return tags


def tag_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise SeedError(f"expected a tag map, found {type(value).__name__}")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def targets_of(detail: dict[str, Any]) -> list[Target]:
    """The resources and tags of one CloudTrail record, per service shape."""
    source = detail.get("eventSource", "")
    name = detail.get("eventName", "")
    rp = detail.get("requestParameters") or {}
    key = (source, name)

    if key == ("ec2.amazonaws.com", "CreateTags"):
        tags = kv_list((rp.get("tagSet") or {}).get("items"))
        items = (rp.get("resourcesSet") or {}).get("items") or []
        return [Target(item["resourceId"], tags) for item in items]
    if key == ("s3.amazonaws.com", "PutBucketTagging"):
        tag = ((rp.get("Tagging") or {}).get("TagSet") or {}).get("Tag")
        return [Target(f"arn:aws:s3:::{rp['bucketName']}", kv_list(tag, "Key", "Value"))]
    if key == ("elasticloadbalancing.amazonaws.com", "AddTags"):
        tags = kv_list(rp.get("tags"))
        return [Target(arn, tags) for arn in rp.get("resourceArns") or []]
    if key == ("iam.amazonaws.com", "TagUser"):
        return [Target(f"arn:aws:iam::{ACCOUNT}:user/{rp['userName']}", kv_list(rp.get("tags")))]
    if key == ("iam.amazonaws.com", "TagRole"):
        return [Target(f"arn:aws:iam::{ACCOUNT}:role/{rp['roleName']}", kv_list(rp.get("tags")))]
    if source == "lambda.amazonaws.com" and name.startswith("TagResource"):
        return [Target(rp["resource"], tag_map(rp.get("tags") or {}))]
    if key in (
        ("sns.amazonaws.com", "TagResource"),
        ("dynamodb.amazonaws.com", "TagResource"),
        ("ecs.amazonaws.com", "TagResource"),
    ):
        return [Target(rp["resourceArn"], kv_list(rp.get("tags")))]
    if key == ("kms.amazonaws.com", "TagResource"):
        return [Target(rp["keyId"], kv_list(rp.get("tags"), "tagKey", "tagValue"))]
    if key == ("rds.amazonaws.com", "AddTagsToResource"):
        return [Target(rp["resourceName"], kv_list(rp.get("tags")))]
    if key == ("cloudtrail.amazonaws.com", "AddTags"):
        return [Target(rp["resourceId"], kv_list(rp.get("tagsList")))]
    if key == ("tagging.amazonaws.com", "TagResources"):
        tags = tag_map(rp.get("tags") or {})
        return [Target(arn, tags) for arn in rp.get("resourceARNList") or []]
    if key == ("sqs.amazonaws.com", "TagQueue"):
        queue = rp["queueUrl"].rstrip("/").rsplit("/", 1)[1]
        return [Target(f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}", tag_map(rp.get("tags") or {}))]
    if key == ("monitoring.amazonaws.com", "TagResource"):
        return [Target(rp["resourceARN"], kv_list(rp.get("tags")))]
    if key == ("sns.amazonaws.com", "CreateTopic"):
        # A create call that tags what it makes (CloudFormation's way): the
        # topic the response names, with the request's tags.
        arn = (detail.get("responseElements") or {})["topicArn"]
        return [Target(arn, kv_list(rp.get("tags")))]
    if key in (
        ("serverlessrepo.amazonaws.com", "CreateApplication"),
        ("serverlessrepo.amazonaws.com", "UpdateApplication"),
        ("codedeploy.amazonaws.com", "CreateApplication"),
        ("cloudtrail.amazonaws.com", "UpdateTrail"),
    ):
        return []  # free-form fields only: nothing to create or tag
    raise SeedError(f"no seeding rule for {source} {name}")
