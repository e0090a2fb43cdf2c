"""The labelled set's randomness and value makers: one seeded generator and
Faker per locale, so every run of make_labelled.py writes the same file.
"""

import random
import string
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
