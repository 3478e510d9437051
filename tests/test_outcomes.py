"""The outcome model: the missing-endpoint rule and the compliance figures."""

import pytest

from conformance.outcomes import Outcome, Verdict, compliance, is_missing_endpoint, outcome


@pytest.mark.parametrize("status, body, missing", [
    (404, "<html>Not Found</html>", True),  # not Stripe's envelope
    (404, None, True),
    (405, {"detail": "Method Not Allowed"}, True),
    (501, "Not Implemented", True),
    (404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL (GET: /v1/x)"}}, True),
    # stripe-stateful-mock's words for a path it does not route
    (404, {"error": {"type": "invalid_request_error", "message": "No matching path: /v1/payment_intents"}}, True),
    (404, {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such x"}}, False),
    (404, {"error": {"type": "invalid_request_error", "message": "Not Found"}}, False),  # an envelope about an object
    (400, "<html>Bad Request</html>", False),  # a refusal, not a missing endpoint
    (500, "oops", False),
])
def test_one_rule_for_a_missing_endpoint(status, body, missing):
    assert is_missing_endpoint(status, body) is missing


def test_compliance_counts_unsupported_as_not_passed_and_leaves_out_not_applicable():
    figures = compliance([Verdict.PASSED, Verdict.WARNED, Verdict.FAILED, Verdict.UNSUPPORTED,
                          Verdict.NOT_APPLICABLE, Verdict.HARNESS_ERROR])
    assert (figures.applicable, figures.passed, figures.warned, figures.unsupported) == (5, 1, 1, 1)
    assert figures.overall == pytest.approx(2 / 5)
    assert figures.implemented == pytest.approx(2 / 4)
    assert figures.should == pytest.approx(1 / 2)
    assert compliance([Verdict.NOT_APPLICABLE]).overall is None


def test_outcome_reads_the_verdict_against_the_manifest():
    assert outcome(Verdict.FAILED, None) is Outcome.FAILED
    assert outcome(Verdict.FAILED, "known") is Outcome.EXPECTED_FAILURE
    assert outcome(Verdict.UNSUPPORTED, "known") is Outcome.EXPECTED_FAILURE
    assert outcome(Verdict.WARNED, "known") is Outcome.UNEXPECTED_PASS
    assert outcome(Verdict.NOT_APPLICABLE, "known") is Outcome.NOT_APPLICABLE
