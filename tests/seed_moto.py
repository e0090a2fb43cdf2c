#!/usr/bin/env python3
"""Make the world of a tag-guard sample event real in a moto emulator.

    .venv/bin/python tests/seed_moto.py --endpoint http://127.0.0.1:5000 \
        --event events/tag-guard/iam-tag-user.json --suffix abc123

For one file under events/tag-guard/ this:

1. replaces every `warden-demo` in the event text with `warden-demo-<suffix>`,
   so every test run gets resource names of its own;
2. creates, with boto3 against the emulator, every resource the event names
   (instance, bucket, load balancer, user, role, function, topic, table,
   cluster, key, DB instance, trail, queue, alarm);
3. applies the event's tags to each resource with that service's own tagging
   call, as if the recorded call had succeeded (a failed call, one with an
   `errorCode`, creates the resources but applies nothing);
4. replaces the identifiers AWS generates (the instance id, the load balancer
   ARN, the KMS key id) by the ones moto generated, so the event refers to
   real emulator resources;
5. prints the final event JSON on stdout, and nothing else.

Diagnostics go to stderr, including what the Resource Groups Tagging API
(`GetResources`) sees of the seeded resources afterwards. Any failure exits
with status 1 and a message naming the event file and the step that failed.

Running it twice with the same suffix reuses the resources made the first time.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError as err:  # pragma: no cover - depends on the environment
    sys.exit(f"seed_moto: boto3 is not importable ({err}); run it with the .venv python")

TOKEN = "warden-demo"
REGION = "us-east-1"
ACCOUNT = "123456789012"
# An AMI in moto's default image list; moto does not boot anything.
AMI = "ami-12c6146b"
# Words of lowercase letters and digits joined by single hyphens (RDS refuses
# "--"); at most 16 characters, as an ALB name is at most 32.
SUFFIX_RE = re.compile(r"^(?=.{1,16}$)[a-z0-9]+(?:-[a-z0-9]+)*$")

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


class SeedError(Exception):
    """A failure with a message that says what was being done."""


def log(message: str) -> None:
    print(f"seed_moto: {message}", file=sys.stderr)


@dataclass
class Resource:
    """A resource that now exists in the emulator."""

    arn: str
    kind: str  # e.g. "ec2:instance", the Resource Groups Tagging API type
    tag: Callable[[dict[str, str]], None]


@dataclass
class Target:
    """What the event's call touched: a resource reference and the tags it set."""

    ref: str  # an ARN, or a bare EC2 resource id / KMS key id as the event has it
    tags: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------
# Reading the event: which resources, which tags
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Making resources exist
# --------------------------------------------------------------------------


def error_code(err: Exception) -> str:
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code", ""))
    return ""


T = TypeVar("T")


def existing(find: Callable[[], T], *missing: str) -> T | None:
    """What `find()` returns, or None when the service answers with one of
    the `missing` error codes: the resource is not there yet."""
    try:
        return find()
    except ClientError as err:
        if error_code(err) not in missing:
            raise
        return None


def key_values(
    tags: dict[str, str], key: str = "Key", value: str = "Value"
) -> list[dict[str, str]]:
    """A tag map as the list of {Key, Value} objects most tagging calls take."""
    return [{key: k, value: v} for k, v in tags.items()]


class Seeder:
    def __init__(self, endpoint: str, suffix: str):
        self.endpoint = endpoint
        self.suffix = suffix
        self.session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=REGION,
        )
        self._clients: dict[str, Any] = {}
        # Generated identifiers: the event's placeholder -> moto's value.
        self.substitutions: dict[str, str] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            config = Config(
                retries={"max_attempts": 2, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
                s3={"addressing_style": "path"},
            )
            self._clients[service] = self.session.client(
                service, endpoint_url=self.endpoint, config=config
            )
        return self._clients[service]

    # -- dispatch ------------------------------------------------------------

    def ensure(self, ref: str) -> Resource:
        """Creates (or finds) the resource `ref` names and returns it."""
        if re.fullmatch(r"i-[0-9a-f]{8,17}", ref):
            return self.instance(ref)
        if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", ref):
            return self.kms_key(ref)
        parts = ref.split(":", 5)
        if len(parts) < 6 or parts[0] != "arn":
            raise SeedError(f"cannot tell which resource {ref!r} is")
        service, resource = parts[2], parts[5]
        if service == "ec2" and resource.startswith("instance/"):
            return self.instance(resource.split("/", 1)[1])
        if service == "s3" and "/" not in resource:
            return self.bucket(resource)
        if service == "elasticloadbalancing" and resource.startswith("loadbalancer/app/"):
            return self.alb(ref, resource.split("/")[2])
        if service == "iam" and resource.startswith("user/"):
            return self.user(resource.split("/")[-1])
        if service == "iam" and resource.startswith("role/"):
            return self.role(resource.split("/")[-1])
        if service == "lambda" and resource.startswith("function:"):
            return self.function(resource.split(":")[1])
        if service == "sns":
            return self.topic(resource)
        if service == "dynamodb" and resource.startswith("table/"):
            return self.table(resource.split("/", 1)[1])
        if service == "ecs" and resource.startswith("cluster/"):
            return self.cluster(resource.split("/", 1)[1])
        if service == "kms" and resource.startswith("key/"):
            return self.kms_key(resource.split("/", 1)[1])
        if service == "rds" and resource.startswith("db:"):
            return self.db_instance(resource.split(":", 1)[1])
        if service == "cloudtrail" and resource.startswith("trail/"):
            return self.trail(resource.split("/", 1)[1])
        if service == "sqs":
            return self.queue(resource)
        if service == "cloudwatch" and resource.startswith("alarm:"):
            return self.alarm(resource.split(":", 1)[1])
        raise SeedError(f"no seeding rule for resource {ref!r}")

    # -- EC2 -----------------------------------------------------------------

    def instance(self, placeholder: str) -> Resource:
        ec2 = self.client("ec2")
        # The key pair name marks the instance made for (suffix, placeholder),
        # so a second run finds it without adding a tag the guard would see.
        marker = f"warden-seed-{self.suffix}-{placeholder}"
        found = ec2.describe_instances(
            Filters=[
                {"Name": "key-name", "Values": [marker]},
                {"Name": "instance-state-name", "Values": ["pending", "running"]},
            ]
        )
        ids = [i["InstanceId"] for r in found["Reservations"] for i in r["Instances"]]
        if ids:
            instance_id = ids[0]
        else:
            try:
                ec2.create_key_pair(KeyName=marker)
            except ClientError as err:
                if error_code(err) != "InvalidKeyPair.Duplicate":
                    raise
            made = ec2.run_instances(
                ImageId=AMI, InstanceType="t3.micro", MinCount=1, MaxCount=1, KeyName=marker
            )
            instance_id = made["Instances"][0]["InstanceId"]
        self.substitutions[placeholder] = instance_id
        arn = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance_id}"

        def tag(tags: dict[str, str]) -> None:
            ec2.create_tags(
                Resources=[instance_id],
                Tags=key_values(tags),
            )

        return Resource(arn, "ec2:instance", tag)

    # -- S3 ------------------------------------------------------------------

    def bucket(self, name: str) -> Resource:
        s3 = self.client("s3")
        if existing(lambda: s3.head_bucket(Bucket=name), "404", "NoSuchBucket", "NotFound") is None:
            s3.create_bucket(Bucket=name)

        def tag(tags: dict[str, str]) -> None:
            # PutBucketTagging replaces the whole tag set, as the event's call did.
            s3.put_bucket_tagging(
                Bucket=name,
                Tagging={"TagSet": key_values(tags)},
            )

        return Resource(f"arn:aws:s3:::{name}", "s3:bucket", tag)

    # -- ELBv2 ---------------------------------------------------------------

    def alb(self, placeholder_arn: str, name: str) -> Resource:
        elbv2 = self.client("elbv2")
        found = existing(
            lambda: elbv2.describe_load_balancers(Names=[name])["LoadBalancers"],
            "LoadBalancerNotFound",
        )
        if found:
            arn = found[0]["LoadBalancerArn"]
        else:
            subnets = self.two_subnets()
            made = elbv2.create_load_balancer(
                Name=name, Subnets=subnets, Type="application", Scheme="internet-facing"
            )
            arn = made["LoadBalancers"][0]["LoadBalancerArn"]
        self.substitutions[placeholder_arn] = arn

        def tag(tags: dict[str, str]) -> None:
            elbv2.add_tags(ResourceArns=[arn], Tags=key_values(tags))

        return Resource(arn, "elasticloadbalancing:loadbalancer", tag)

    def two_subnets(self) -> list[str]:
        """Subnets in two availability zones, as an ALB needs: the default
        VPC's when moto has one, else those of a new VPC."""
        ec2 = self.client("ec2")
        by_az: dict[str, str] = {}
        for subnet in ec2.describe_subnets(
            Filters=[{"Name": "default-for-az", "Values": ["true"]}]
        )["Subnets"]:
            by_az.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
        if len(by_az) >= 2:
            return [by_az[az] for az in sorted(by_az)[:2]]
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        return [
            ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
            for cidr, az in (("10.42.1.0/24", "us-east-1a"), ("10.42.2.0/24", "us-east-1b"))
        ]

    # -- IAM -----------------------------------------------------------------

    def user(self, name: str) -> Resource:
        iam = self.client("iam")
        arn = existing(lambda: iam.get_user(UserName=name)["User"]["Arn"], "NoSuchEntity")
        if arn is None:
            arn = iam.create_user(UserName=name)["User"]["Arn"]

        def tag(tags: dict[str, str]) -> None:
            iam.tag_user(UserName=name, Tags=key_values(tags))

        return Resource(arn, "iam:user", tag)

    def role(self, name: str) -> Resource:
        iam = self.client("iam")
        arn = existing(lambda: iam.get_role(RoleName=name)["Role"]["Arn"], "NoSuchEntity")
        if arn is None:
            arn = iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
            )["Role"]["Arn"]

        def tag(tags: dict[str, str]) -> None:
            iam.tag_role(RoleName=name, Tags=key_values(tags))

        return Resource(arn, "iam:role", tag)

    # -- Lambda --------------------------------------------------------------

    def function(self, name: str) -> Resource:
        lam = self.client("lambda")
        arn = existing(
            lambda: lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"],
            "ResourceNotFoundException",
        )
        if arn is None:
            role_arn = self.role(f"{name}-exec").arn
            code = io.BytesIO()
            with zipfile.ZipFile(code, "w") as archive:
                archive.writestr("index.py", "def handler(event, context):\n    return event\n")
            arn = lam.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role_arn,
                Handler="index.handler",
                Code={"ZipFile": code.getvalue()},
            )["FunctionArn"]

        def tag(tags: dict[str, str]) -> None:
            lam.tag_resource(Resource=arn, Tags=tags)

        return Resource(arn, "lambda:function", tag)

    # -- SNS / SQS -----------------------------------------------------------

    def topic(self, name: str) -> Resource:
        sns = self.client("sns")
        arn = sns.create_topic(Name=name)["TopicArn"]  # idempotent by name

        def tag(tags: dict[str, str]) -> None:
            sns.tag_resource(ResourceArn=arn, Tags=key_values(tags))

        return Resource(arn, "sns:topic", tag)

    def queue(self, name: str) -> Resource:
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]  # idempotent by name
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"

        def tag(tags: dict[str, str]) -> None:
            sqs.tag_queue(QueueUrl=url, Tags=tags)

        return Resource(arn, "sqs:queue", tag)

    # -- CloudWatch (a service outside tag-guard's role) -----------------------

    def alarm(self, name: str) -> Resource:
        cw = self.client("cloudwatch")
        found = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        if not found:
            cw.put_metric_alarm(
                AlarmName=name,
                Namespace="AWS/SQS",
                MetricName="ApproximateNumberOfMessagesVisible",
                Statistic="Maximum",
                Period=60,
                EvaluationPeriods=1,
                Threshold=100,
                ComparisonOperator="GreaterThanThreshold",
            )
        arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"

        def tag(tags: dict[str, str]) -> None:
            cw.tag_resource(ResourceARN=arn, Tags=key_values(tags))

        return Resource(arn, "cloudwatch:alarm", tag)

    # -- DynamoDB ------------------------------------------------------------

    def table(self, name: str) -> Resource:
        ddb = self.client("dynamodb")
        arn = existing(
            lambda: ddb.describe_table(TableName=name)["Table"]["TableArn"],
            "ResourceNotFoundException",
        )
        if arn is None:
            arn = ddb.create_table(
                TableName=name,
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )["TableDescription"]["TableArn"]

        def tag(tags: dict[str, str]) -> None:
            ddb.tag_resource(ResourceArn=arn, Tags=key_values(tags))

        return Resource(arn, "dynamodb:table", tag)

    # -- ECS -----------------------------------------------------------------

    def cluster(self, name: str) -> Resource:
        ecs = self.client("ecs")
        found = [
            c
            for c in ecs.describe_clusters(clusters=[name])["clusters"]
            if c.get("status") == "ACTIVE"
        ]
        if found:
            arn = found[0]["clusterArn"]
        else:
            arn = ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]

        def tag(tags: dict[str, str]) -> None:
            ecs.tag_resource(resourceArn=arn, tags=key_values(tags, "key", "value"))

        return Resource(arn, "ecs:cluster", tag)

    # -- KMS -----------------------------------------------------------------

    def kms_key(self, placeholder: str) -> Resource:
        kms = self.client("kms")
        # An alias marks the key made for (suffix, placeholder); it does not
        # appear in the event and is not a tag.
        alias = f"alias/warden-seed-{self.suffix}-{placeholder}"
        key_id = existing(
            lambda: kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"], "NotFoundException"
        )
        if key_id is None:
            key_id = kms.create_key(Description=f"tag-guard seed key ({self.suffix})")[
                "KeyMetadata"
            ]["KeyId"]
            kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        self.substitutions[placeholder] = key_id
        arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"

        def tag(tags: dict[str, str]) -> None:
            kms.tag_resource(KeyId=key_id, Tags=key_values(tags, "TagKey", "TagValue"))

        return Resource(arn, "kms:key", tag)

    # -- RDS -----------------------------------------------------------------

    def db_instance(self, name: str) -> Resource:
        rds = self.client("rds")
        found = existing(
            lambda: rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"],
            "DBInstanceNotFound",
        )
        if found:
            arn = found[0]["DBInstanceArn"]
        else:
            arn = rds.create_db_instance(
                DBInstanceIdentifier=name,
                Engine="postgres",
                DBInstanceClass="db.t3.micro",
                AllocatedStorage=20,
                MasterUsername="warden",
                MasterUserPassword="not-a-real-password-1",
            )["DBInstance"]["DBInstanceArn"]

        def tag(tags: dict[str, str]) -> None:
            rds.add_tags_to_resource(ResourceName=arn, Tags=key_values(tags))

        return Resource(arn, "rds:db", tag)

    # -- CloudTrail ----------------------------------------------------------

    def trail(self, name: str) -> Resource:
        ct = self.client("cloudtrail")
        arn = existing(
            lambda: ct.get_trail(Name=name)["Trail"]["TrailARN"], "TrailNotFoundException"
        )
        if arn is None:
            bucket = self.bucket(f"{name}-logs")
            arn = ct.create_trail(Name=name, S3BucketName=bucket.arn.split(":::")[1])[
                "TrailARN"
            ]

        def tag(tags: dict[str, str]) -> None:
            ct.add_tags(ResourceId=arn, TagsList=key_values(tags))

        return Resource(arn, "cloudtrail:trail", tag)

    # -- What the Resource Groups Tagging API sees ---------------------------

    def tagging_api_view(self, resources: list[Resource]) -> None:
        if not resources:
            return
        rgta = self.client("resourcegroupstaggingapi")
        arns = [r.arn for r in resources]
        seen: dict[str, dict[str, str]] = {}
        token = ""
        while True:
            page = rgta.get_resources(ResourceARNList=arns, PaginationToken=token)
            for mapping in page.get("ResourceTagMappingList", []):
                seen[mapping["ResourceARN"]] = {t["Key"]: t["Value"] for t in mapping["Tags"]}
            token = page.get("PaginationToken") or ""
            if not token:
                break
        for r in resources:
            if r.arn in seen:
                log(f"tagging API GetResources sees {r.kind} {r.arn} with tag keys {sorted(seen[r.arn])}")
            else:
                log(f"tagging API GetResources does NOT see {r.kind} {r.arn}")


# --------------------------------------------------------------------------


def seed(endpoint: str, event_path: str, suffix: str) -> dict[str, Any]:
    try:
        with open(event_path, encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        raise SeedError(f"reading the event: {err}") from err
    text = text.replace(TOKEN, f"{TOKEN}-{suffix}")
    try:
        event = json.loads(text)
    except json.JSONDecodeError as err:
        raise SeedError(f"the event is not JSON: {err}") from err
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise SeedError("the event has no `detail` object (expected an EventBridge envelope)")

    seeder = Seeder(endpoint, suffix)
    failed_call = "errorCode" in detail
    resources: list[Resource] = []
    for target in targets_of(detail):
        try:
            resource = seeder.ensure(target.ref)
        except (ClientError, BotoCoreError) as err:
            raise SeedError(f"creating {target.ref}: {err}") from err
        resources.append(resource)
        if failed_call:
            log(f"created {resource.kind} {resource.arn}; no tags applied (the call failed: {detail['errorCode']})")
            continue
        try:
            resource.tag(target.tags)
        except (ClientError, BotoCoreError) as err:
            raise SeedError(f"tagging {resource.arn}: {err}") from err
        log(f"created {resource.kind} {resource.arn} and applied tag keys {sorted(target.tags)}")
    if not resources:
        log(f"{detail.get('eventSource')} {detail.get('eventName')}: nothing to create (free-form fields only)")

    if seeder.substitutions:
        text = json.dumps(event)
        for placeholder, real in seeder.substitutions.items():
            text = text.replace(placeholder, real)
            log(f"substituted {placeholder} -> {real}")
        event = json.loads(text)

    try:
        seeder.tagging_api_view(resources)
    except (ClientError, BotoCoreError) as err:
        log(f"tagging API GetResources failed: {err}")
    return event


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Create a tag-guard sample event's resources in moto and print the event."
    )
    parser.add_argument("--endpoint", required=True, help="moto URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--event", required=True, help="path of an events/tag-guard/*.json file")
    parser.add_argument(
        "--suffix",
        required=True,
        help="makes names unique: `warden-demo` becomes `warden-demo-<suffix>` "
        "(lowercase letters and digits, optionally joined by single hyphens; at most 16 "
        "characters)",
    )
    args = parser.parse_args(argv)
    if not SUFFIX_RE.fullmatch(args.suffix):
        print(
            f"seed_moto: invalid --suffix {args.suffix!r}: use 1-16 lowercase letters and "
            "digits, optionally joined by single hyphens (it becomes part of bucket, load "
            "balancer and DB names)",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    try:
        event = seed(args.endpoint.rstrip("/"), args.event, args.suffix)
    except SeedError as err:
        print(f"seed_moto: {args.event}: {err}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as err:
        print(f"seed_moto: {args.event}: talking to {args.endpoint}: {err}", file=sys.stderr)
        return 1
    except KeyError as err:
        print(f"seed_moto: {args.event}: the request parameters lack {err}", file=sys.stderr)
        return 1
    json.dump(event, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    log(f"seeded {args.event} in {time.monotonic() - started:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
