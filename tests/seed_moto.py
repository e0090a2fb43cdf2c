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
import json
import re
import sys
import time
from typing import Any

try:
    import boto3  # noqa: F401 - the steps below use it
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError as err:  # pragma: no cover - depends on the environment
    sys.exit(f"seed_moto: boto3 is not importable ({err}); run it with the .venv python")

TOKEN = "warden-demo"
# Words of lowercase letters and digits joined by single hyphens (RDS refuses
# "--"); at most 16 characters, as an ALB name is at most 32.
SUFFIX_RE = re.compile(r"^(?=.{1,16}$)[a-z0-9]+(?:-[a-z0-9]+)*$")

# The steps (tests/moto_seeding/), imported once boto3 is known to be there.
from moto_seeding import SeedError, log  # noqa: E402
from moto_seeding.events import targets_of  # noqa: E402
from moto_seeding.resources import Resource, Seeder  # noqa: E402


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
