"""The positives make_labelled.py makes itself, one function per detector."""

import uuid

from labelled_values import *  # noqa: F401,F403 (the shared generator and makers)


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
