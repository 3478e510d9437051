"""The one outcome model of the project: what a run says about each scenario and fuzz check.

Every part of the project (the scenario engine, the fuzz runner, the terminal summary, the
reports, manifests, baselines and the comparison of targets) speaks in these types and
computes compliance with :func:`compliance`; none of them invents a word of its own or
recognises an outcome from the wording of a message.

A *verdict* is a fact about the target, judged from its answers; an *outcome* is the verdict
read against what the user declared (a known-failures manifest).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable


class Verdict(str, Enum):
    PASSED = "passed"  # every MUST and every SHOULD held
    WARNED = "warned"  # every MUST held, a SHOULD did not: passed with warnings
    FAILED = "failed"  # the target answered wrongly (a 5xx or a body that is not JSON included)
    UNSUPPORTED = "unsupported"  # the target lacks an endpoint the check needs (see is_missing_endpoint)
    NOT_APPLICABLE = "not-applicable"  # the run lacks a key, or the target a capability it declared lacking
    HARNESS_ERROR = "harness-error"  # no verdict could be made: no connection, timeout, TLS

    @property
    def passing(self) -> bool:
        return self in (Verdict.PASSED, Verdict.WARNED)


class Outcome(str, Enum):
    PASSED = "passed"
    WARNED = "warned"
    FAILED = "failed"
    UNSUPPORTED = "unsupported"
    NOT_APPLICABLE = "not-applicable"
    HARNESS_ERROR = "harness-error"
    EXPECTED_FAILURE = "expected-failure"  # a shortfall the manifest lists
    UNEXPECTED_PASS = "unexpected-pass"  # listed in the manifest, but the target now behaves as documented


DESCRIPTIONS = {
    Outcome.PASSED: "the target behaves as Stripe documents",
    Outcome.WARNED: "every MUST holds, but a SHOULD (an inferred expectation) does not",
    Outcome.FAILED: "the target answered wrongly",
    Outcome.UNSUPPORTED: "the target does not implement an endpoint this needs",
    Outcome.NOT_APPLICABLE: "the run lacks a key, or the target an account capability, that this needs",
    Outcome.HARNESS_ERROR: "no verdict: the exchange itself failed (no connection, timeout, TLS)",
    Outcome.EXPECTED_FAILURE: "a shortfall listed in the known-failures manifest",
    Outcome.UNEXPECTED_PASS: "listed in the manifest as failing, but the target now behaves as documented",
}

SHORTFALLS = (Verdict.FAILED, Verdict.UNSUPPORTED, Verdict.HARNESS_ERROR)


def outcome(verdict: Verdict, listed_reason: str | None) -> Outcome:
    """The verdict read against the manifest: ``listed_reason`` is the manifest's reason, if listed."""
    if listed_reason is None:
        return Outcome(verdict.value)
    if verdict.passing:
        return Outcome.UNEXPECTED_PASS
    if verdict in SHORTFALLS:
        return Outcome.EXPECTED_FAILURE
    return Outcome(verdict.value)


MISSING_ENDPOINT_STATUSES = (404, 405, 501)
UNRECOGNIZED_URL = "Unrecognized request URL"
# What mocks say instead of Stripe's words for a path they do not route (stripe-stateful-mock:
# 404 {"error": {"message": "No matching path: /v1/payment_intents"}}).
UNROUTED_WORDINGS = (UNRECOGNIZED_URL, "No matching path")


def is_missing_endpoint(status: int, body: Any) -> bool:
    """The one rule for "the target lacks this endpoint", for scenarios and fuzz checks alike.

    A 404, 405 or 501 that is not Stripe's JSON error envelope, or whose envelope says the URL
    is unrecognised (Stripe's own answer for a path it does not route, or a mock's words for the
    same, :data:`UNROUTED_WORDINGS`), is a missing endpoint.
    An envelope with ``resource_missing`` (or any other envelope) is an answer about an object,
    judged like any other answer.
    """
    if status not in MISSING_ENDPOINT_STATUSES:
        return False
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return True
    if error.get("code") == "resource_missing":
        return False
    return str(error.get("message", "")).startswith(UNROUTED_WORDINGS)


@dataclass(frozen=True)
class Compliance:
    """The compliance figures, defined once and printed everywhere.

    ``overall``: passing verdicts (with or without warnings) over every applicable check, an
    unsupported endpoint counting as not passed. ``implemented``: the same over the checks whose
    endpoints the target implements (unsupported left out). ``should``: of the passing checks,
    the share with no SHOULD missed.
    """

    applicable: int
    passed: int
    warned: int
    unsupported: int

    @property
    def overall(self) -> float | None:
        return _ratio(self.passed + self.warned, self.applicable)

    @property
    def implemented(self) -> float | None:
        return _ratio(self.passed + self.warned, self.applicable - self.unsupported)

    @property
    def should(self) -> float | None:
        return _ratio(self.passed, self.passed + self.warned)


def compliance(verdicts: Iterable[Verdict]) -> Compliance:
    counted = [verdict for verdict in verdicts if verdict is not Verdict.NOT_APPLICABLE]
    return Compliance(
        applicable=len(counted),
        passed=sum(1 for v in counted if v is Verdict.PASSED),
        warned=sum(1 for v in counted if v is Verdict.WARNED),
        unsupported=sum(1 for v in counted if v is Verdict.UNSUPPORTED),
    )


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole > 0 else None


# The protocol between the items pytest runs (scenarios, fuzz checks) and everything that reports
# on them: each item records its verdict on itself with ``set_verdict``; the reporting plugin,
# the terminal summary and the gate read it with ``verdict_of``, never from message wording.

class UnsupportedEndpoint(Exception):
    """The target lacks ``endpoint`` (``POST /v1/payment_intents/{id}/capture``), by is_missing_endpoint."""

    def __init__(self, endpoint: str, evidence: str = ""):
        self.endpoint, self.evidence = endpoint, evidence
        super().__init__(f"the target does not implement {endpoint}" + (f" ({evidence})" if evidence else ""))


class NotApplicable(Exception):
    """The run lacks what the check needs (a key, an account capability): no verdict on the target."""


@dataclass(frozen=True)
class ItemVerdict:
    verdict: Verdict
    detail: str | None = None  # the missing endpoint, why not applicable, or the harness error
    warnings: tuple[str, ...] = ()  # the SHOULD expectations the target missed

ATTRIBUTE = "conformance_verdict"


def set_verdict(item: Any, verdict: ItemVerdict) -> None:
    setattr(item, ATTRIBUTE, verdict)


def verdict_of(item: Any) -> ItemVerdict | None:
    """The verdict an item recorded, or None for a test that is not part of the suite."""
    return getattr(item, ATTRIBUTE, None)
