"""API keys: who is calling, and with what kind of key.

Each key suffix is one account: ``sk_test_abc`` and ``pk_test_abc`` are the secret and
publishable keys of the same account, and objects never cross accounts.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from dataclasses import dataclass

from reference_impl.errors import StripeError, authentication

_KEY = re.compile(r"^(sk|pk|rk)_test_([A-Za-z0-9_]{1,247})$")

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, "
    "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
)


@dataclass(frozen=True)
class Caller:
    account: str
    publishable: bool


@functools.lru_cache(maxsize=256)  # every request of a client carries the same header: parse it once
def caller(authorization: str | None) -> Caller:
    if not authorization:
        raise authentication(NO_KEY)
    key = _key_from_header(authorization)
    match = _KEY.match(key)
    if not match:
        raise authentication(f"Invalid API Key provided: {_redact(key)}")
    return Caller(account=match.group(2), publishable=match.group(1) == "pk")


def _key_from_header(header: str) -> str:
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode("utf-8").split(":", 1)[0]
        except (binascii.Error, UnicodeDecodeError):
            raise authentication("Invalid API Key provided: the Basic credentials are not valid base64.")
    raise authentication(NO_KEY)


def _redact(key: str) -> str:
    return key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else "*" * len(key)


def require_secret(who: Caller) -> None:
    if who.publishable:
        raise StripeError(
            401,
            "This API call cannot be made with a publishable API key. Please use a secret API key.",
            code="secret_key_required",
        )
