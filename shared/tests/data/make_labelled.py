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
import random
import re
import string
import sys
import uuid

from faker import Faker

SEED = 20240517
rng = random.Random(SEED)
Faker.seed(SEED)
LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "en_AU", "ja_JP", "pt_BR", "en_IN", "it_IT", "es_ES", "nl_NL"]
fakers = {loc: Faker(loc) for loc in LOCALES}
fake = fakers["en_US"]

records = []


def add(key, value, labels, source):
    records.append({"key": key, "value": value, "labels": sorted(set(labels)), "source": source})


def acct():
    return "".join(rng.choice(string.digits) for _ in range(12))


def region():
    return rng.choice(
        ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1",
         "sa-east-1", "ca-central-1", "me-south-1", "af-south-1", "eu-north-1"]
    )


PARTITIONS = [
    ("aws", None),
    ("aws-cn", "cn-north-1"),
    ("aws-us-gov", "us-gov-west-1"),
    ("aws-iso", "us-iso-east-1"),
    ("aws-iso-b", "us-isob-east-1"),
    ("aws-iso-e", "eu-isoe-west-1"),
    ("aws-iso-f", "us-isof-south-1"),
]


def b64(n):
    return "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(n))


def secret_key():
    while True:
        s = b64(40)
        if (not s.startswith("/") and any(c.isupper() for c in s) and any(c.islower() for c in s)
                and any(c.isdigit() or c in "+/" for c in s) and len(set(s)) >= 20):
            return s


def key_id(prefix="AKIA"):
    return prefix + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def session_token():
    head = rng.choice(["IQoJb3JpZ2luX2VjE", "FwoGZXIvYXdzE", "IQoJb3JpZ2luX2VjEP", "AQoDYXdzEJr"])
    return head + b64(rng.randint(300, 700)).replace("/", rng.choice(["/", "+"])) + rng.choice(["", "=", "=="])


def pct(s):
    return "".join(c if c.isalnum() or c in "-_.~" else "%%%02X" % ord(c) for c in s)


def luhn_complete(prefix, length):
    digits = [int(c) for c in prefix]
    while len(digits) < length - 1:
        digits.append(rng.randint(0, 9))
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    digits.append((10 - total % 10) % 10)
    return "".join(map(str, digits))


def group(card):
    if len(card) == 15 and card[:2] in ("34", "37"):
        return f"{card[:4]} {card[4:10]} {card[10:]}"
    sep = rng.choice([" ", "-"])
    return sep.join(card[i:i + 4] for i in range(0, len(card), 4))


def embed(value, kind):
    """The value alone, or inside a sentence or a JSON-escaped document."""
    r = rng.random()
    if r < 0.55:
        return value
    if r < 0.8:
        return rng.choice([
            f"{kind} {value}",
            f"contact: {value} (primary)",
            f"Migrated from legacy system; {kind} is {value}.",
            f"see {value} for details",
        ])
    return rng.choice([
        f'{{\\"{kind}\\":\\"{value}\\"}}',
        f'{{"{kind}": "{value}", "env": "prod"}}',
        f'\\"{kind}\\":\\"{value}\\"',
    ])


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
# Positives made here

def emails():
    for i in range(140):
        f = rng.choice(list(fakers.values()))
        addr = rng.choice([f.email(), f.free_email(), f.company_email(), fake.email()])
        r = rng.random()
        if r < 0.08:
            addr = addr + rng.choice(["1", "2", "2024", "7"])
            value = addr
        elif r < 0.15:
            value = f'{{\\"email\\":\\"{addr}\\",\\"role\\":\\"owner\\"}}'
        elif r < 0.2:
            value = f"arn:aws:sts::{acct()}:assumed-role/AWSReservedSSO_Dev_{uuid.uuid4().hex[:16]}/{addr}"
        else:
            value = embed(addr, rng.choice(["owner", "email", "contact"]))
        key = rng.choice(["Owner", "Email", "Contact", "CreatedBy", "Description", "Author", "notify", "requester", "Name"])
        add(key, value, ["email"], "faker:email")


def phones():
    keys = ["Phone", "phone_number", "Mobile", "tel", "ContactPhone", "Fax", "OnCallPhone", "emergency_contact",
            "whatsapp", "cell", "sms", "PagerPhone"]
    for i in range(150):
        loc = LOCALES[i % len(LOCALES)]
        p = fakers[loc].phone_number()
        r = rng.random()
        if r < 0.15:
            p = p + rng.choice([" x123", " ext. 4567", " ext 12", " x98", ";ext=321", " extension 204"])
        elif r < 0.25:
            p = rng.choice(["+61.3.%d.%d", "+1.212.%d.%d", "+44.20.%d.%d"]) % (rng.randint(1000, 9999), rng.randint(1000, 9999))
        key = rng.choice(keys)
        value = p if rng.random() < 0.7 else rng.choice([f"call {p} after hours", f"Phone: {p}", f"tel:{p}"])
        add(key, value, ["phone-number"], f"faker:phone_number:{loc}")


def cards():
    kinds = ["visa16", "visa13", "visa19", "mastercard", "amex", "discover", "jcb15", "jcb16", "diners", "maestro"]
    for i in range(150):
        kind = kinds[i % len(kinds)]
        card = fake.credit_card_number(kind)
        if kind == "maestro" and rng.random() < 0.6:
            card = luhn_complete(rng.choice(["5018", "5020", "5038", "5893", "6304", "6759", "6761", "6763"]), rng.randint(12, 19))
        if kind == "jcb15" and rng.random() < 0.5:
            card = luhn_complete(rng.choice(["1800", "2131"]), 15)
        value = group(card) if rng.random() < 0.3 and len(card) in (15, 16) else card
        key = rng.choice(["CardNumber", "card", "Notes", "Description", "PaymentMethod", "billing", "cc"])
        if rng.random() < 0.3:
            value = rng.choice([f"paid with {value} yesterday", f"card: {value} exp 12/27", f"PAN {value}"])
        add(key, value, ["payment-card"], f"faker:credit_card_number:{kind}")


OWNER_KEYS = ["AccountId", "OwnerId", "owner", "RequesterId", "registryId", "payer", "PayerAccount", "SourceAccount",
              "AwsAccountId", "awsAccountId", "InstanceOwnerId", "BucketOwner", "ExpectedBucketOwner", "TargetAccount",
              "account", "acct", "MasterAccountId", "ResourceOwner", "OwnerAccountId", "delegatedAdminAccountId"]


def accounts():
    for i in range(160):
        a = acct()
        key = OWNER_KEYS[i % len(OWNER_KEYS)]
        r = rng.random()
        if r < 0.5:
            value = a
        elif r < 0.6:
            value = f"{a[:4]}-{a[4:8]}-{a[8:]}"
            key = rng.choice(["account", "AccountId", "aws_account"])
        elif r < 0.75:
            value = f'{{\\"awsAccountId\\":\\"{a}\\"}}'
            key = rng.choice(["Description", "Notes", "Payload"])
        elif r < 0.9:
            if rng.random() < 0.2:
                # No label in the value: the key says what it is.
                value = f"prod ({a})"
            else:
                value = rng.choice([f"Account ID: {a}", f"lives in acct {a}", f"owner={a}", f"OwnerId: {a}"])
                key = rng.choice(["Description", "Notes", key])
        else:
            value = f"{a}, {acct()}"
        add(key, value, ["aws-account-id"], "generated:account-id")


def keys_and_secrets():
    for i in range(70):
        kid = key_id(rng.choice(["AKIA", "ASIA"]))
        value = rng.choice([kid, f"key {kid} rotated", f"AWS_ACCESS_KEY_ID={kid}", f"access_key_id: {kid}"])
        add(rng.choice(["LegacyKey", "Description", "AccessKey", "Notes", "env"]), value, ["aws-access-key-id"], "generated:access-key-id")
    for i in range(70):
        s = secret_key()
        key, value = rng.choice([
            ("aws_secret_access_key", s),
            ("SecretAccessKey", s),
            ("Description", f"aws_secret_access_key = {s}"),
            ("Notes", f"export AWS_SECRET_ACCESS_KEY={s}"),
            ("secret", s),
            ("ApiKey", s),
        ])
        add(key, value, ["aws-secret-access-key"], "generated:secret-access-key")
    for i in range(25):
        kid, s = key_id(), secret_key()
        add("creds", f"{kid}:{s}", ["aws-access-key-id", "aws-secret-access-key"], "generated:key-pair")


def urls():
    schemes = ["https", "postgres", "postgresql", "mysql", "redis", "mongodb+srv", "amqp", "ftp", "sftp", "smtp"]
    for i in range(110):
        user = rng.choice([fake.user_name(), "admin", "app", "", "deploy"])
        raw = fake.password(length=rng.randint(8, 20), special_chars=True)
        r = rng.random()
        if r < 0.35:
            pw = pct(raw)
        elif r < 0.5:
            pw = "%" + format(rng.choice(b"!#$&*@:/"), "02X") + pct(raw)
        else:
            pw = "".join(c for c in raw if c.isalnum()) or "S3cr3t99"
        host = rng.choice([fake.domain_name(), f"db.{fake.domain_name()}", "10.0.0.5", "cache.internal"])
        port = rng.choice(["", ":5432", ":6379", ":3306", ":8443"])
        path = rng.choice(["", "/app", "/orders?sslmode=require", "/0"])
        value = f"{rng.choice(schemes)}://{user}:{pw}@{host}{port}{path}"
        if rng.random() < 0.25:
            value = f"connect via {value} today"
        add(rng.choice(["Database", "Url", "dsn", "ConnectionString", "Description", "endpoint"]), value, ["url-credentials"], "generated:url-credentials")


def private_keys():
    for i in range(50):
        kind = rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])
        body = "MII" + b64(rng.randint(60, 400))
        sep = rng.choice(["\n", "\\n", " "])
        value = f"-----BEGIN {kind}-----{sep}{body}{sep}-----END {kind}-----"
        add(rng.choice(["key", "PrivateKey", "Notes", "Description"]), value, ["private-key"], "generated:private-key")


def session_credentials():
    for i in range(110):
        r = rng.random()
        bucket = rng.choice(["reports", "exports-prod", fake.word() + "-bucket"])
        obj = rng.choice(["q3.pdf", "data/export.csv", "img/1.png"])
        reg = region()
        date = "20240517"
        kid = key_id(rng.choice(["ASIA", "AKIA"]))
        sig = "".join(rng.choice("0123456789abcdef") for _ in range(64))
        if r < 0.45:
            token = session_token()
            q = (f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={kid}%2F{date}%2F{reg}%2Fs3%2Faws4_request"
                 f"&X-Amz-Date={date}T093512Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
                 f"&X-Amz-Security-Token={pct(token)}&X-Amz-Signature={sig}")
            value = f"https://{bucket}.s3.{reg}.amazonaws.com/{obj}?{q}"
            labels = ["aws-session-credentials"]
        elif r < 0.65:
            q = (f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={kid}%2F{date}%2F{reg}%2Fs3%2Faws4_request"
                 f"&X-Amz-Date={date}T093512Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature={sig}")
            value = f"https://s3.{reg}.amazonaws.com/{bucket}/{obj}?{q}"
            labels = ["aws-session-credentials"]
        elif r < 0.75:
            sig2 = pct(b64(27) + "=")
            value = f"https://{bucket}.s3.amazonaws.com/{obj}?AWSAccessKeyId={key_id()}&Signature={sig2}&Expires=1715942112"
            labels = ["aws-access-key-id", "aws-session-credentials"]
        elif r < 0.9:
            value = rng.choice([
                f"AWS_SESSION_TOKEN={session_token()}",
                f"aws_session_token = {session_token()}",
                f'{{"SessionToken": "{session_token()}"}}',
                session_token(),
            ])
            labels = ["aws-session-credentials"]
        else:
            value = f"AWS_ACCESS_KEY_ID={key_id('ASIA')} AWS_SECRET_ACCESS_KEY={secret_key()} AWS_SESSION_TOKEN={session_token()}"
            labels = ["aws-access-key-id", "aws-secret-access-key", "aws-session-credentials"]
        if rng.random() < 0.2 and labels == ["aws-session-credentials"] and value.startswith("https"):
            value = f"Download link (expires in 1h): {value}"
        add(rng.choice(["Description", "Url", "DownloadLink", "Notes", "SessionToken" if "X-Amz" not in value else "Link"]),
            value, labels, "generated:session-credentials")


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
