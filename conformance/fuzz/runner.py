"""One generated request against the target: unsupported operations are skipped, not failed.

A target that answers an operation with Stripe's 404 "Unrecognized request URL" (or 405/501)
does not implement it: that operation's fuzz test is skipped once with a reason naming the
endpoint, and the endpoint is recorded with the session's other unsupported endpoints, so the
scenarios using it are skipped too.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.core.parameters import ParameterLocation

from conformance.fuzz import serializer

UNRECOGNIZED = "Unrecognized request URL"
NOT_ROUTED = (405, 501)


def endpoint(operation: Any) -> str:
    """``POST /v1/payment_intents/{id}/capture``, the scenario engine's name for an endpoint."""
    parts = ["{id}" if part.startswith("{") else part for part in operation.path.split("/")]
    return f"{operation.method.upper()} {'/'.join(parts)}"


def is_unrecognized(case: Any, response: Any) -> bool:
    """Whether the answer to a request meant for ``case``'s operation says the target lacks it.

    A request with another method (schemathesis tries a few) or with an invalid path parameter
    may miss the operation's route whatever the target implements, so it says nothing.
    """
    if case.method.upper() != case.operation.method.upper():
        return False
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return False
    if response.status_code in NOT_ROUTED:
        return True
    if response.status_code != 404:
        return False
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and str(error.get("message", "")).startswith(UNRECOGNIZED)


def check(case: Any, base_url: str, unsupported: dict[str, str]) -> None:
    """Send ``case`` to ``base_url`` and run every check on the answer; ``unsupported`` is the session's record."""
    where = endpoint(case.operation)
    if where in unsupported:
        pytest.skip(f"{where} is not implemented by the target (reported once, by {unsupported[where]})")
    response = case.call(base_url=base_url)
    if is_unrecognized(case, response):
        unsupported.setdefault(where, f"fuzz test of {case.operation.label}")
        pytest.skip(f"UNSUPPORTED ENDPOINT: the target answers {where} with {response.status_code} "
                    f"\"{UNRECOGNIZED}\"; its fuzz test is skipped")
    validate(case, response, base_url=base_url)


def validate(case: Any, response: Any, **transport: Any) -> None:
    """Every check on ``response``: schemathesis's and the suite's."""
    try:
        case.validate_response(response, transport_kwargs=transport)
    except FailureGroup as group:
        if not all(isinstance(failure, AcceptedNegativeData) for failure in group.exceptions) \
                or not valid_as_sent(case):
            raise


def valid_as_sent(case: Any) -> bool:
    """Whether a body generated invalid reached the server as a valid one.

    Stripe's form has one empty value: a null, ``[]`` or ``{}`` generated where ``""`` is valid
    (``metadata[k]``) is sent as ``metadata[k]=``, Stripe's "unset", which the server rightly
    accepts. Only a case whose other parts are valid qualifies.
    """
    if case.meta is None or any(case.meta.is_negative_at(where) for where in ParameterLocation
                                if where is not ParameterLocation.BODY):
        return False
    body = case.operation.get_body_for_media_type(serializer.MEDIA_TYPE)
    if body is None or not isinstance(case.body, dict):
        return False
    return jsonschema.Draft202012Validator(body.optimized_schema).is_valid(serializer.as_sent(case.body))
