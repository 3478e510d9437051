"""The one rule for a missing endpoint (outcomes.is_missing_endpoint), as the engine applies it.

A 404/405/501 that is not Stripe's envelope, or whose envelope says the URL is unrecognised,
is a missing endpoint, confirmed by a bare request to the same path; a ``resource_missing``
envelope is a missing object. A 5xx or a body that is not JSON is the target failing.
"""

from __future__ import annotations

import json

import pytest

from conformance import engine, outcomes
from conformance.scenario import parse
from conformance.target import Client, Keys
from standins import StandIn

UNRECOGNIZED = {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL (GET: /v1/x)."}}
RESOURCE_MISSING = {"error": {"type": "invalid_request_error", "code": "resource_missing", "param": "intent",
                              "message": "No such setupintent: 'seti_missing'"}}
RETRIEVE_UNKNOWN = {"name": "retrieve an unknown id", "request": {"method": "GET", "path": "/v1/setup_intents/seti_missing{run}"},
                    "expect": {"status": 404, "body": {"error": {"type": "invalid_request_error"}}}}


def scenario(*steps):
    return parse({"id": "rule-scenario", "title": "a scenario built by a test", "operation": "setup_intents/retrieve",
                  "features": ["test"],
                  "sources": [{"id": "test-source", "url": "https://docs.stripe.com/api", "quote": "a sentence from the docs"}],
                  "steps": list(steps)}, "test")


def answering(routes):
    """A stand-in answering ``routes[(method, path)]`` (a list is answered in turn), else a plain 404."""
    calls: dict = {}

    def answer(method, path, body, headers):
        route = routes.get((method, path.split("?")[0]))
        if isinstance(route, list):
            route = route[min(calls.setdefault((method, path), 0), len(route) - 1)]
            calls[(method, path)] += 1
        if route is None:
            return 404, {"Content-Type": "text/plain"}, b"Not Found"
        status, body = route
        if isinstance(body, bytes):
            return status, {"Content-Type": "text/html"}, body
        return status, {"Content-Type": "application/json"}, json.dumps(body).encode()

    return StandIn(answer)


def run(server, *steps):
    client = Client(server.base_url, Keys.derive("sk_test_rule"))
    made = scenario(*steps)
    try:  # "{run}" left empty: the stand-in's routes are fixed paths
        return engine.run(made, client, engine.Run(made, variables={"run": ""}))
    finally:
        client.close()


@pytest.mark.parametrize("missing", [None, (404, UNRECOGNIZED)], ids=["plain-404", "unrecognized-url"])
def test_a_step_expecting_404_on_a_server_without_the_endpoint_is_unsupported_not_passed(missing):
    routes = {("GET", "/v1/setup_intents/seti_missing"): missing} if missing else {}
    with answering(routes) as server, pytest.raises(outcomes.UnsupportedEndpoint) as unsupported:
        run(server, RETRIEVE_UNKNOWN)
    assert unsupported.value.endpoint == "GET /v1/setup_intents/{id}"


def test_a_resource_missing_envelope_is_a_missing_object_judged_like_any_answer():
    with answering({("GET", "/v1/setup_intents/seti_missing"): (404, RESOURCE_MISSING)}) as server:
        record = run(server, RETRIEVE_UNKNOWN)
    assert record.exchanges[-1].status == 404


def test_a_plain_404_for_an_unknown_object_on_an_endpoint_that_exists_is_a_failure():
    """As localstripe answers "Not Found" for an unknown payment method: a bare request shows the endpoint."""
    path = "/v1/payment_intents/pi_1/confirm"
    routes = {("POST", path): [(404, b"Not Found"), (400, {"error": {"type": "invalid_request_error",
                                                                    "message": "Missing payment_method"}})]}
    step = {"request": {"method": "POST", "path": path, "form": {"payment_method": "pm_unknown"}},
            "expect": {"status": 400}}
    with answering(routes) as server, pytest.raises(engine.ScenarioFailure) as failure:
        run(server, step)
    assert "status: expected 400, got 404" in failure.value.report()


def test_an_endpoint_that_answered_earlier_in_the_scenario_is_not_unsupported():
    """As localstripe answers a second capture with 405: the endpoint exists, the answer is wrong."""
    path = "/v1/payment_intents/pi_1/capture"
    pi = {"id": "pi_1", "object": "payment_intent", "status": "succeeded"}
    routes = {("POST", path): [(200, pi), (405, b"Method Not Allowed")]}
    capture = {"request": {"method": "POST", "path": path}, "expect": {"status": 200}}
    again = {"name": "capture again", "request": {"method": "POST", "path": path}, "expect": {"status": 400}}
    with answering(routes) as server, pytest.raises(engine.ScenarioFailure) as failure:
        run(server, capture, again)
    assert "status: expected 400, got 405" in failure.value.report()


@pytest.mark.parametrize("answer", [(500, {"error": {"type": "api_error", "message": "boom"}}),
                                    (200, b"<html>ok</html>")], ids=["5xx", "html"])
def test_a_5xx_or_a_body_that_is_not_json_is_the_target_failing_not_a_harness_error(answer):
    step = {"request": {"method": "GET", "path": "/v1/payment_intents/pi_1"}, "expect": {"status": 200}}
    with answering({("GET", "/v1/payment_intents/pi_1"): answer}) as server, \
            pytest.raises(engine.ScenarioFailure) as failure:
        run(server, step)
    assert failure.value.problems


def test_warnings_on_the_record_make_the_verdict_warned():
    record = engine.Run(scenario(RETRIEVE_UNKNOWN))
    assert engine.verdict(record).verdict is outcomes.Verdict.PASSED
    record.warnings.append("SHOULD: a Request-Id header")
    assert engine.verdict(record) == outcomes.ItemVerdict(outcomes.Verdict.WARNED,
                                                          warnings=("SHOULD: a Request-Id header",))
