#!/usr/bin/env python3
"""Writes labelled.jsonl: the labelled values the detectors are measured on.

Run once by hand and commit the output; the tests and the precision
benchmark only read the file. Needs Faker (any recent version) and, for the
recorded values, botocore's service examples (the examples in the AWS API
reference): pass the botocore data folder as the first argument.

    python3 make_labelled.py PATH/TO/botocore/data > labelled.jsonl

Every line is {"key", "value", "labels", "source", "split"}: `labels` lists
the detector ids that should report something in the value (empty for a
negative), `split` is `dev` (tune on it) or `test` (held out, report on it).

Labels follow the documented behaviour of the detectors: an account id that
is part of an AWS identifier (an ARN, an AWS service URL or host, a name AWS
generates) is not a finding; the credential parameter of a presigned URL is
covered by its `aws-session-credentials` detection.
"""

import glob
import json
import re
import sys
import uuid

from labelled_positives import *  # noqa: F401,F403 (the positives made here)
from labelled_values import *  # noqa: F401,F403 (the shared generator and makers)


# ---------------------------------------------------------------------------
# Recorded AWS values: the examples of the AWS API reference (botocore)

ACCOUNT_KEY = re.compile(r"(account|owner|requester|registry|payer)", re.I)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")


def botocore_values(data):
    pairs = {}

    def walk(o, service, k=None):
        if isinstance(o, dict):
            for kk, vv in o.items():
                walk(vv, service, kk)
        elif isinstance(o, list):
            for x in o:
                walk(x, service, k)
        elif isinstance(o, str) and k and 5 <= len(o) <= 300:
            pairs.setdefault((k, o), service)

    for f in sorted(glob.glob(f"{data}/*/*/examples-1.json")):
        service = f.split("/")[-3]
        with open(f) as fh:
            examples = json.load(fh).get("examples", {})
        for exs in examples.values():
            for ex in exs:
                walk(ex.get("input", {}), service)
                walk(ex.get("output", {}), service)
    return pairs


def vary_accounts(value):
    """The same value with its 12-digit account ids replaced by random ones
    (one replacement per distinct id), so the set is not all 123456789012."""
    ids = {m: acct() for m in set(re.findall(r"(?<![0-9])[0-9]{12}(?![0-9])", value))}
    for old, new in ids.items():
        value = value.replace(old, new)
    return value


def label_recorded(key, value):
    """The labels of a recorded value, or None when it is ambiguous (left out)."""
    labels = []
    bare12 = re.fullmatch(r"[0-9]{12}", value)
    if bare12:
        if ACCOUNT_KEY.search(key):
            labels.append("aws-account-id")
        else:
            return None
    elif re.search(r"(?<![0-9])[0-9]{12}(?![0-9])", value):
        # 12 digits inside a longer value: fine when they sit in an identifier.
        if not re.search(r"arn:aws|amazonaws\.com", value):
            return None
    if EMAIL.search(value) and "@" in value:
        labels.append("email")
    if ACCESS_KEY.search(value):
        labels.append("aws-access-key-id")
    if re.search(r"secretaccesskey", key, re.I):
        labels.append("aws-secret-access-key")
    if re.search(r"sessiontoken", key, re.I) or re.search(r"[?&](X-Amz-Signature|Signature)=", value) \
            and re.search(r"X-Amz-Credential=|AWSAccessKeyId=", value):
        labels.append("aws-session-credentials")
    if re.search(r"phone", key, re.I) and re.search(r"[0-9]{7}", re.sub(r"[^0-9]", "", value)):
        labels.append("phone-number")
    if re.search(r"password|secret|token", key, re.I) and "aws-secret-access-key" not in labels \
            and "aws-session-credentials" not in labels:
        return None
    if re.search(r"BEGIN .*PRIVATE KEY|://[^/ ]*:[^/ ]*@", value):
        return None
    return labels


def recorded(data):
    pairs = botocore_values(data)
    items = sorted(pairs.items())
    rng.shuffle(items)
    kept = 0
    with_ids = [(k, s) for k, s in items if re.search(r"[0-9]{12}", k[1])]
    others = [(k, s) for k, s in items if not re.search(r"[0-9]{12}", k[1])]
    for ((key, value), service) in with_ids[:330] + others[:260]:
        value = vary_accounts(value)
        labels = label_recorded(key, value)
        if labels is None:
            continue
        add(key, value, labels, f"botocore-examples:{service}")
        kept += 1
    # Every partition, from the recorded ARNs.
    arns = sorted({v for (k, v) in pairs if re.fullmatch(r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:\S+", v)})
    rng.shuffle(arns)
    for arn in arns[:70]:
        part, reg = rng.choice(PARTITIONS[1:])
        fields = arn.split(":", 5)
        fields[1] = part
        if fields[3] and reg:
            fields[3] = reg
        value = vary_accounts(":".join(fields))
        key = rng.choice(["Arn", "ResourceArn", "Owner", "AccountArn", "Name", "TrailARN", "Description", "CreatedBy"])
        add(key, value, [], "botocore-examples:arn-partitions")


# ---------------------------------------------------------------------------
# AWS identifiers made here (account ids inside them are not findings)

def identifiers():
    gens = [
        lambda a, r: f"https://sqs.{r}.amazonaws.com/{a}/{rng.choice(['orders', 'dlq', 'jobs.fifo', 'ingest-events'])}",
        lambda a, r: f"https://sqs.{r}.amazonaws.com.cn/{a}/queue-{rng.randint(1, 99)}" if False else f"https://queue.amazonaws.com/{a}/legacy-queue",
        lambda a, r: f"{a}.dkr.ecr.{r}.amazonaws.com/{rng.choice(['app', 'orders-api', 'ml/train'])}:{rng.choice(['latest', '1.4.2', 'sha-3f5e2b7'])}",
        lambda a, r: f"arn:aws:cloudformation:{r}:{a}:stack/{fake.word()}-stack/{uuid.UUID(int=rng.getrandbits(128))}",
        lambda a, r: f"cdk-hnb659fds-assets-{a}-{r}",
        lambda a, r: f"cdk-hnb659fds-deploy-role-{a}-{r}",
        lambda a, r: f"sagemaker-{r}-{a}",
        lambda a, r: f"aws-cloudtrail-logs-{a}-{uuid.UUID(int=rng.getrandbits(128)).hex[:8]}",
        lambda a, r: f"aws-controltower-logs-{a}-{r}",
        lambda a, r: f"aws-controltower-s3-access-logs-{a}-{r}",
        lambda a, r: f"elasticbeanstalk-{r}-{a}",
        lambda a, r: f"aws-glue-assets-{a}-{r}",
        lambda a, r: f"codepipeline-{r}-{a}",
        lambda a, r: f"aws-athena-query-results-{a}-{r}",
        lambda a, r: f"config-bucket-{a}",
        lambda a, r: f"s3://aws-cloudtrail-logs-{a}-ab12cd34/AWSLogs/{a}/CloudTrail/{r}/2024/05/17/",
        lambda a, r: f"AWSLogs/{a}/elasticloadbalancing/{r}/2024/05/17/",
        lambda a, r: f"https://{a}.signin.aws.amazon.com/console",
        lambda a, r: f"my-ap-{a}.s3-accesspoint.{r}.amazonaws.com",
        lambda a, r: f"arn:aws:s3:{r}:{a}:accesspoint/{fake.word()}-ap",
        lambda a, r: f"https://{fake.word()}-{a}.s3.{r}.amazonaws.com/report.csv",
        lambda a, r: f"arn:aws:iam::{a}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}",
        lambda a, r: f"arn:aws:sts::{a}:assumed-role/{rng.choice(['deployer', 'ci', 'OrganizationAccountAccessRole'])}/{rng.choice(['session', 'build-4711', 'botocore-session-1715938933'])}",
        lambda a, r: f"arn:aws:organizations::{a}:account/o-{uuid.UUID(int=rng.getrandbits(128)).hex[:10]}/{acct()}",
        lambda a, r: f"StackSet-AWSControlTowerBP-BASELINE-CONFIG-{a}",
        lambda a, r: f"{a}_CloudTrail_{r}_20240517T0935Z_{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}.json.gz",
        lambda a, r: f"arn:aws:logs:{r}:{a}:log-group:/aws/lambda/{fake.word()}-fn:*",
        lambda a, r: f"arn:aws:kms:{r}:{a}:key/{uuid.UUID(int=rng.getrandbits(128))}",
        lambda a, r: f"Deployed by arn:aws:iam::{a}:role/ci-deployer from pipeline {fake.word()}",
        lambda a, r: f"arn:aws:trail:{r}:{a}:trail/management-events" if False else f"arn:aws:cloudtrail:{r}:{a}:trail/management-events",
    ]
    keys = ["aws:cloudformation:stack-id", "QueueUrl", "Image", "Bucket", "Owner", "AccountId", "OwnerId", "Name",
            "Description", "RoleArn", "LogBucket", "CreatedBy", "Source", "account", "payer", "registryId"]
    for i in range(240):
        g = gens[i % len(gens)]
        value = g(acct(), region())
        key = "aws:cloudformation:stack-id" if "stack/" in value else rng.choice(keys)
        add(key, value, [], "generated:aws-identifier")


# ---------------------------------------------------------------------------
# Negatives made here

def negatives():
    eager = ["Name", "Owner", "AccountId", "Description", "Notes", "CardNumber", "Phone", "Secret", "token", "Email"]
    gens = [
        ("uuid", lambda: str(uuid.UUID(int=rng.getrandbits(128)))),
        ("git-sha", lambda: fake.sha1()),
        ("sha256", lambda: fake.sha256()),
        ("ssh-public-key", lambda: f"ssh-{rng.choice(['rsa', 'ed25519'])} AAAA{b64(rng.randint(60, 300))} {fake.user_name()}@{fake.hostname()}"),
        ("timestamp", lambda: fake.iso8601()),
        ("epoch-ms", lambda: str(rng.randint(1_500_000_000_000, 1_800_000_000_000))),
        ("version", lambda: rng.choice([f"v{rng.randint(0, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 99)}", fake.numerify("#.#.#-rc.#"), f"1.{rng.randint(0, 30)}.{rng.randint(0, 9)}+build.{rng.randint(20240101, 20241231)}"])),
        ("name", lambda: rng.choice(list(fakers.values())).name()),
        ("address", lambda: rng.choice(list(fakers.values())).address().replace("\n", ", ")),
        ("company", lambda: fake.company()),
        ("sentence", lambda: fake.sentence()),
        ("ipv4", lambda: fake.ipv4()),
        ("ipv6", lambda: fake.ipv6()),
        ("mac", lambda: fake.mac_address()),
        ("file-path", lambda: fake.file_path(depth=3)),
        ("url", lambda: fake.url() + fake.uri_path()),
        ("date", lambda: fake.date(pattern=rng.choice(["%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d"]))),
        ("iban", lambda: fake.iban()),
        ("imei", lambda: luhn_complete(rng.choice(["35", "86", "99"]), 15)),
        ("upc", lambda: fake.upc_a()),
        ("ean13", lambda: fake.ean13()),
        ("docker-digest", lambda: f"{fake.word()}@sha256:{fake.sha256()}"),
        ("npm", lambda: f"{fake.word()}@{rng.randint(0, 20)}.{rng.randint(0, 20)}.{rng.randint(0, 20)}"),
        ("git-remote", lambda: f"git@github.com:{fake.user_name()}/{fake.word()}.git"),
        ("ssh-command", lambda: rng.choice([
            f"ssh -i {fake.word()}.pem {fake.user_name()}@{fake.hostname()}",
            f"ssh -i ~/.ssh/{fake.word()}.pem ec2-user@{fake.ipv4()}",
            f"ssh -p 2222 -o StrictHostKeyChecking=no {fake.user_name()}@{fake.domain_name()}",
            f"ssh -A -J bastion {fake.user_name()}@{fake.hostname()}",
            f"ssh {fake.user_name()}@{fake.domain_name()}",
        ])),
        ("templated-url", lambda: rng.choice([f"postgres://app:${{DB_PASSWORD}}@{fake.hostname()}:5432/app", f"https://user:{{{{ password }}}}@{fake.domain_name()}", f"redis://:%REDIS_PASS%@cache:6379"])),
        ("order-number", lambda: acct()),
        ("aws-id", lambda: rng.choice([f"i-{uuid.uuid4().hex[:17]}", f"sg-{uuid.uuid4().hex[:17]}", f"vpc-{uuid.uuid4().hex[:8]}", f"ami-{uuid.uuid4().hex[:17]}", "AIDA" + key_id()[4:], "AROA" + key_id()[4:]])),
        ("cron", lambda: rng.choice(["cron(0 3 * * ? *)", "rate(5 minutes)", "0 */6 * * *"])),
        ("number", lambda: rng.choice([str(rng.randint(1, 10**rng.randint(2, 11))), f"{rng.random() * 1000:.2f}"])),
        ("bucket-name", lambda: f"{fake.word()}-{fake.word()}-{rng.choice(['prod', 'dev', 'logs'])}-{rng.randint(1, 99)}"),
        ("isbn", lambda: fake.isbn13()),
        ("ssn", lambda: fake.ssn()),
    ]
    for i in range(420):
        kind, g = gens[i % len(gens)]
        value = g()
        if kind == "order-number":
            key = rng.choice(["OrderNumber", "InvoiceId", "TrackingNumber", "BuildNumber", "Sku", "Reference", "Barcode"])
        elif kind in ("imei", "upc", "ean13", "iban", "isbn", "ssn"):
            key = rng.choice(["DeviceImei", "Barcode", "Sku", "Reference", "Notes", "Description"]) if kind != "iban" else "BankAccount"
        else:
            key = rng.choice(eager + ["BuildId", "Commit", "Version", "Created", "Path", "Team", "Project"])
        add(key, value, [], f"faker:{kind}" if kind not in ("templated-url", "ssh-command", "order-number", "aws-id", "cron") else f"generated:{kind}")


def main():
    recorded(sys.argv[1])
    identifiers()
    emails()
    phones()
    cards()
    accounts()
    keys_and_secrets()
    urls()
    private_keys()
    session_credentials()
    negatives()
    seen = set()
    out = []
    for r in records:
        if (r["key"], r["value"]) in seen:
            continue
        seen.add((r["key"], r["value"]))
        out.append(r)
    rng.shuffle(out)
    for i, r in enumerate(out):
        r["split"] = "dev" if i % 2 == 0 else "test"
        print(json.dumps(r, ensure_ascii=False))


if __name__ == "__main__":
    main()
