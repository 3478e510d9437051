"""One generated request against the target, and the verdict of a fuzz item.

The one rule for a missing endpoint (``outcomes.is_missing_endpoint``, confirmed by a bare
request as for scenarios) decides whether the target lacks an operation: its fuzz item is then
skipped with a reason naming the endpoint, and the endpoint is recorded with the session's other
unsupported endpoints, so the scenarios using it are skipped too. A failing item carries its
findings, ``fuzz:<method sent> <path template>:<check>``, the same whatever the seed.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import jsonschema
import pytest
import requests
from schemathesis.core.failures import AcceptedNegativeData, CustomFailure, Failure, FailureGroup
from schemathesis.core.parameters import ParameterLocation

from conformance import outcomes
from conformance.fuzz import document, serializer
from conformance.scenario import endpoint as endpoint_of
from conformance.target import ConnectionFailed, Exchange, HarnessError, TargetTimeout

CUSTOM_CHECK = re.compile(r"`([^`]+)`")


def endpoint(operation: Any, method: str | None = None) -> str:
    """``POST /v1/payment_intents/{id}/capture``: the scenarios' name for an operation."""
    return endpoint_of((method or operation.method).upper(), operation.path)


def check(case: Any, target: Any, item: Any) -> None:
    """Send ``case`` to the session's target and run every check on the answer."""
    where = endpoint(case.operation)
    name = f"the fuzz test of {case.operation.label}"
    try:
        target.before(name, [where])
        response = _call(case, target, where)
    except outcomes.UnsupportedEndpoint as missing:
        _unsupported(item, missing.endpoint)
    except HarnessError as error:
        outcomes.set_verdict(item, outcomes.ItemVerdict(outcomes.Verdict.HARNESS_ERROR, str(error)))
        target.harness_error(error, name)
        raise
    target.answered()
    if _missing(case, response, target):
        target.unsupported.setdefault(where, name)
        _unsupported(item, where)
    # schemathesis's auth probes leave the session out but keep these headers: they carry Stripe-Version too
    validate(case, response, sent_by=sent_by(item), base_url=target.base_url, headers=target.version_headers())


def sent_by(item: Any) -> dict:
    """Where an item notes which request each failure came from (the method actually sent may differ)."""
    if not hasattr(item, "conformance_sent"):
        item.conformance_sent = {}
    return item.conformance_sent


def validate(case: Any, response: Any, sent_by: dict | None = None, **transport: Any) -> None:
    """Every check on ``response``, schemathesis's and the suite's; ``sent_by`` learns what each failure sent."""
    try:
        case.validate_response(response, transport_kwargs=transport)
    except (AssertionError, FailureGroup) as failure:
        # Noted by check and message: schemathesis builds new failure objects when the test ends.
        if sent_by is not None:
            for single in getattr(failure, "exceptions", (failure,)):
                if isinstance(single, Failure):
                    sent_by.setdefault((check_name(single), single.message), set()).add(
                        endpoint(case.operation, case.method))
        raise


def _call(case: Any, target: Any, where: str) -> Any:
    document.with_key(case, target.keys.secret)
    try:
        # the run's transport: Stripe-Version, the rate ceiling, 429s retried, the recording
        return case.call(base_url=target.base_url, session=target.client().session, timeout=target.timeout)
    except requests.Timeout as exc:
        error: HarnessError = TargetTimeout(f"no answer from {where} within {target.timeout:g} s")
    except requests.RequestException as exc:
        error = ConnectionFailed(f"{where} could not be reached: {exc.__class__.__name__}")
    error.endpoint = where
    raise error from exc


def _unsupported(item: Any, where: str) -> None:
    item.unsupported_endpoint = where
    outcomes.set_verdict(item, outcomes.ItemVerdict(outcomes.Verdict.UNSUPPORTED, where))
    pytest.skip(f"UNSUPPORTED ENDPOINT: the target does not implement {where}; its fuzz test is skipped")


def _missing(case: Any, response: Any, target: Any) -> bool:
    """Whether the answer to a request meant for ``case``'s operation says the target lacks it.

    A request with another method (schemathesis tries a few) or with an invalid path parameter
    may miss the operation's route whatever the target implements, so it says nothing.
    """
    if case.method.upper() != case.operation.method.upper():
        return False
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return False
    try:
        body = response.json()
    except ValueError:
        body = None
    exchange = Exchange(case.method.upper(), response.request.url, "", dict(response.request.headers),
                        status=response.status_code, body=body)
    return target.client().endpoint_missing(exchange)


def record_verdict(item: Any, excinfo: Any) -> None:
    """The verdict of a fuzz item once its call ended: what the runner set, or passed, or failed."""
    if excinfo is None:
        outcomes.set_verdict(item, outcomes.ItemVerdict(outcomes.Verdict.PASSED))
        return
    if outcomes.verdict_of(item) is not None or isinstance(excinfo.value, pytest.skip.Exception):
        return
    found = sorted(set(findings(excinfo.value, getattr(item, "conformance_sent", {}))))
    item.conformance_findings = found
    outcomes.set_verdict(item, outcomes.ItemVerdict(outcomes.Verdict.FAILED, ", ".join(found) or None))


def findings(error: BaseException, sent: dict) -> Iterator[str]:
    """``fuzz:POST /v1/payment_intents:stripe_error_envelope`` for every check failure in ``error``."""
    if isinstance(error, Failure):
        check = check_name(error)
        for where in sent.get((check, error.message)) or [_label_endpoint(error.operation)]:
            yield f"fuzz:{where}:{check}"
    for inner in getattr(error, "exceptions", ()):
        yield from findings(inner, sent)


def _label_endpoint(label: str | None) -> str:
    method, _, path = (label or "? ?").partition(" ")
    return endpoint_of(method, path)


def check_name(failure: Failure) -> str:
    if isinstance(failure, CustomFailure):
        match = CUSTOM_CHECK.search(failure.title)
        return match.group(1) if match else failure.title
    return type(failure).checks[0] if type(failure).checks else type(failure).__name__


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


def keeps(failure: Failure, case: Any) -> bool:
    """Whether a check failure stands: an accepted "negative" body that was valid as sent does not."""
    return not (isinstance(failure, AcceptedNegativeData) and valid_as_sent(case))
