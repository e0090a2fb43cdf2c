"""Making resources exist in the emulator, one method per resource type,
each found again on a second run rather than made twice."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from moto_seeding import ACCOUNT, REGION, SeedError, log

# An AMI in moto's default image list; moto does not boot anything.
AMI = "ami-12c6146b"

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


@dataclass
class Resource:
    """A resource that now exists in the emulator."""

    arn: str
    kind: str  # e.g. "ec2:instance", the Resource Groups Tagging API type
    tag: Callable[[dict[str, str]], None]


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
