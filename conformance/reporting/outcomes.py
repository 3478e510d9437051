"""A result's verdict (what the target did) and its outcome (the verdict read against a manifest).

The verdict is a fact about the target and is what baselines compare; the outcome adds what the
user declared: a listed failure is expected, a listed scenario that passes is an unexpected pass.
"""

from __future__ import annotations

PASS = "pass"
FAIL = "fail"
ERROR = "error"
UNSUPPORTED = "unsupported"
SKIP = "skip"
EXPECTED_FAIL = "expected-fail"
UNEXPECTED_PASS = "unexpected-pass"

VERDICTS = (PASS, FAIL, UNSUPPORTED, ERROR, SKIP)
# In the order reports show them.
OUTCOMES = (PASS, FAIL, EXPECTED_FAIL, UNEXPECTED_PASS, UNSUPPORTED, ERROR, SKIP)
# Verdicts that say the documented behaviour is not there (an error is counted too: the target's
# answer could not even be read).
SHORTFALLS = (FAIL, UNSUPPORTED, ERROR)

DESCRIPTIONS = {
    PASS: "the target behaves as Stripe documents",
    FAIL: "the target answered wrongly, and the manifest does not list it",
    EXPECTED_FAIL: "the target lacks this behaviour, as the known-failures manifest says",
    UNEXPECTED_PASS: "listed in the manifest as failing, but the target now behaves as documented",
    UNSUPPORTED: "the target does not implement an endpoint the scenario needs (404/405/501)",
    ERROR: "no verdict: the exchange failed (no connection, timeout, a body that is not JSON)",
    SKIP: "not run",
}


def outcome(verdict: str, expected_reason: str | None) -> str:
    if expected_reason is None:
        return verdict
    if verdict == PASS:
        return UNEXPECTED_PASS
    if verdict in SHORTFALLS:
        return EXPECTED_FAIL
    return verdict
