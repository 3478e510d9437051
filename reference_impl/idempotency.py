"""Idempotent requests (docs.stripe.com/api/idempotent_requests).

"Stripe's idempotency works by saving the resulting status code and body of the first
request made for any given idempotency key, regardless of whether it succeeds or fails."
A key belongs to the account that used it; reusing it with another endpoint or other
parameters is an ``idempotency_error``. Results are saved only once the endpoint began
executing: a request refused while authenticating or validating its parameters leaves
the key unused, so it can be retried.
"""

from __future__ import annotations

import json
import time
from typing import Any, Mapping

from reference_impl import errors
from reference_impl.store import SavedResponse, Store

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255  # "Idempotency keys are up to 255 characters long."


def key_from(headers: Mapping[str, str]) -> str | None:
    """The request's idempotency key; an empty header counts as none."""
    key = headers.get(HEADER, "")
    if len(key) > MAX_KEY_LENGTH:
        raise errors.StripeError(400, f"Idempotency keys are limited to {MAX_KEY_LENGTH} characters; this one has "
                                 f"{len(key)}.", type="idempotency_error")
    return key or None


def fingerprint(method: str, path: str, params: Any, query: Any) -> str:
    """What makes two requests "the same": the endpoint and every parameter."""
    return json.dumps([method, path, params, query], sort_keys=True, separators=(",", ":"))


def replay(store: Store, account: str, key: str, request_fingerprint: str) -> SavedResponse | None:
    """The saved answer to ``key``, or None when the key is new; another request's key is refused."""
    saved = store.saved_response(account, key)
    if saved is not None and saved.fingerprint != request_fingerprint:
        raise errors.StripeError(
            400, f"Keys for idempotent requests can only be used with the same parameters they were first used "
            f"with. Try using a key other than '{key}' if you meant to execute a different request.",
            type="idempotency_error")
    return saved


def remember(store: Store, account: str, key: str, request_fingerprint: str, status: int, body: bytes,
             request_id: str) -> None:
    store.save_response(account, key, SavedResponse(request_fingerprint, status, body, request_id, time.time()))
