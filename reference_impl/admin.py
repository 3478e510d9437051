"""The server's own endpoints, under a path prefix Stripe never uses: health and reset.

``GET /_conformance/health`` answers 200 as soon as the server accepts requests (for compose
and CI readiness checks; no key needed). ``POST /_conformance/reset`` forgets every object,
hidden state and idempotency key; ``POST /_conformance/reset/account`` only those of the account
whose secret key asks. ``serve --no-reset`` turns both resets off (403).
"""

from __future__ import annotations

from typing import Any, Mapping

from reference_impl import auth, errors
from reference_impl.store import Store

PREFIX = "/_conformance/"
HEALTH = PREFIX + "health"
RESET = PREFIX + "reset"
RESET_ACCOUNT = PREFIX + "reset/account"

RESET_DISABLED = "Resetting is turned off on this server: it was started with --no-reset."


def health(method: str, path: str) -> bool:
    return path == HEALTH and method in ("GET", "HEAD")


def answer(store: Store, method: str, path: str, headers: Mapping[str, str], reset_enabled: bool) -> dict[str, Any] | None:
    """The body of a 200 answer to an admin request, None for a URL it does not know; errors raise."""
    if health(method, path):
        return {"object": "health", "status": "ok"}
    if method != "POST" or path not in (RESET, RESET_ACCOUNT):
        return None
    if path == RESET_ACCOUNT:
        caller = auth.caller(headers.get("authorization"))
        auth.require_secret(caller)
        account = caller.account
    else:
        account = None
    if not reset_enabled:
        raise errors.StripeError(403, RESET_DISABLED)
    deleted = store.reset(account)
    return {"object": "reset", "scope": "all" if account is None else "account", "account": account,
            "deleted_objects": deleted}
