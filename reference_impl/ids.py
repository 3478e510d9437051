"""Stripe-shaped identifiers: a prefix and 24 random base62 characters."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def token(length: int = 24) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_id(prefix: str) -> str:
    return f"{prefix}_{token()}"


def client_secret(object_id: str) -> str:
    return f"{object_id}_secret_{token(25)}"
