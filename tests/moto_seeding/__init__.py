"""What seed_moto.py's steps share: the emulator's account and region, the
error every step raises, and its diagnostics."""

from __future__ import annotations

import sys

REGION = "us-east-1"
ACCOUNT = "123456789012"


class SeedError(Exception):
    """A failure with a message that says what was being done."""


def log(message: str) -> None:
    print(f"seed_moto: {message}", file=sys.stderr)

