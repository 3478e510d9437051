"""Checks the docs imply, run on every generated request besides schemathesis's own.

- every 4xx carries Stripe's error envelope with a ``type`` and a ``message`` (notes 1.2);
- an error's ``param`` names a parameter of the operation, in bracket form
  (``metadata[order_id]``), or one the request sent (``parameter_unknown`` names those);
  an error whose code is about one parameter (``parameter_missing``, ``parameter_unknown``,
  ``parameter_invalid_*``: "One or more of the parameters requires an integer ...", notes 1.5)
  has a ``param`` ("If the error is parameter-specific, the parameter related to the error",
  notes 1.2);
- ids carry their object's prefix, read from the ``id`` patterns in ``schemas/`` (``pi_``,
  ``cus_``, ...), both on objects and in the attributes that refer to one;
- a PaymentIntent never has more ``amount_capturable`` than ``amount``;
- an operation whose document lists ``x-stripe-from-statuses`` succeeds only on an
  intent (PaymentIntent or SetupIntent) last seen in one of them (a capture answered 200 for
  an intent that was ``requires_payment_method`` is a failure).

Each check raises ``AssertionError`` with what it saw; a response that is not JSON is left
to schemathesis's content-type check.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import schemathesis

from conformance import schemas
from conformance.fuzz import parameters

FROM_STATUSES = "x-stripe-from-statuses"
PARAMETER_CODES = "parameter_"  # parameter_missing, parameter_unknown, parameter_invalid_*; not parameters_exclusive
PAYMENT_INTENT = "payment_intent"
NOT_WALKED = frozenset({"metadata"})  # the caller's own keys and values: anything goes there
MAX_REMEMBERED = 50_000


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _objects(node: Any) -> Iterator[dict]:
    """Every JSON object in a body, outside metadata."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key not in NOT_WALKED:
                yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def _payment_intents(body: Any) -> Iterator[dict]:
    return (obj for obj in _objects(body) if obj.get("object") == PAYMENT_INTENT and isinstance(obj.get("id"), str))


def _with_status(body: Any) -> Iterator[dict]:
    """Objects with an id and a status (ids are unique across kinds, so the id says which)."""
    return (obj for obj in _objects(body) if isinstance(obj.get("id"), str) and isinstance(obj.get("status"), str))


# ---------------------------------------------------------------- errors


@schemathesis.check
def stripe_error_envelope(ctx: Any, response: Any, case: Any) -> None:
    if not 400 <= response.status_code < 500:
        return
    body = _json(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        raise AssertionError(f"A {response.status_code} answer without Stripe's error envelope "
                             f"{{\"error\": {{...}}}}: {response.text[:300]!r}")
    missing = [field for field in ("type", "message") if not (isinstance(error.get(field), str) and error[field])]
    if missing:
        raise AssertionError(f"The error envelope of a {response.status_code} answer lacks "
                             f"{' and '.join(missing)}: {error}")


@schemathesis.check
def stripe_error_param(ctx: Any, response: Any, case: Any) -> None:
    body = _json(response)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return
    param, code = error.get("param"), error.get("code")
    if not isinstance(param, str):
        if isinstance(code, str) and code.startswith(PARAMETER_CODES):
            raise AssertionError(f"A {code} error without the param it is about: {error}")
        return
    if parameters.documented(case.operation, param) or parameters.sent(case, param):
        return
    raise AssertionError(f"error.param {param!r} is neither a parameter of {case.operation.label} nor one the "
                         f"request sent (documented: {', '.join(parameters.names(case.operation))})")


# ---------------------------------------------------------------- objects


@lru_cache(maxsize=None)
def id_prefixes() -> dict[str, str]:
    """Object type -> id prefix, from the schemas whose ``id`` pattern is a literal prefix."""
    prefixes: dict[str, str] = {}
    for name in schemas.names():
        properties = schemas.load(name).get("properties", {})
        kind = properties.get("object", {}).get("const")
        match = re.fullmatch(r"\^([a-z]+_)", properties.get("id", {}).get("pattern", ""))
        if kind and match:
            prefixes[kind] = match.group(1)
    return prefixes


@schemathesis.check
def stripe_id_prefixes(ctx: Any, response: Any, case: Any) -> None:
    prefixes = id_prefixes()
    for obj in _objects(_json(response)):
        kind = obj.get("object")
        if kind in prefixes and isinstance(obj.get("id"), str) and not obj["id"].startswith(prefixes[kind]):
            raise AssertionError(f"A {kind} id without the {prefixes[kind]!r} prefix: {obj['id']!r}")
        for key, value in obj.items():
            # An attribute named after an object type holds that object's id when not expanded.
            if key in prefixes and isinstance(value, str) and not value.startswith(prefixes[key]):
                raise AssertionError(f"{key}={value!r} does not refer to a {key} (no {prefixes[key]!r} prefix)")


@schemathesis.check
def stripe_amount_capturable(ctx: Any, response: Any, case: Any) -> None:
    for pi in _payment_intents(_json(response)):
        capturable, amount = pi.get("amount_capturable"), pi.get("amount")
        if isinstance(capturable, int) and isinstance(amount, int) and capturable > amount:
            raise AssertionError(f"PaymentIntent {pi['id']} has amount_capturable {capturable} > amount {amount}")


# ---------------------------------------------------------------- state


class LastSeen:
    """The status each object had in the latest answer that showed it, for a bounded number."""

    def __init__(self, limit: int = MAX_REMEMBERED):
        self.limit = limit
        self.statuses: OrderedDict[str, str] = OrderedDict()

    def get(self, ident: str) -> str | None:
        return self.statuses.get(ident)

    def record(self, body: Any) -> None:
        for obj in _with_status(body):
            self.statuses[obj["id"]] = obj["status"]
            self.statuses.move_to_end(obj["id"])
        while len(self.statuses) > self.limit:
            self.statuses.popitem(last=False)


LAST_SEEN = LastSeen()


@schemathesis.check
def stripe_status_precondition(ctx: Any, response: Any, case: Any) -> None:
    body = _json(response)
    try:
        _check_precondition(case, response.status_code)
    finally:
        LAST_SEEN.record(body)


def _check_precondition(case: Any, status_code: int) -> None:
    allowed = case.operation.definition.raw.get(FROM_STATUSES)
    intent = (case.path_parameters or {}).get("intent")
    if not allowed or not isinstance(intent, str) or not 200 <= status_code < 300:
        return
    before = LAST_SEEN.get(intent)
    if before is not None and before not in allowed:
        raise AssertionError(f"{case.operation.label} answered {status_code} for {intent}, last seen "
                             f"with status {before!r}; the docs allow it only from {', '.join(allowed)}")

