"""Requirement levels: a SHOULD miss is a warning, a MUST miss a failure, on made-up steps and on the suite.

The suite-wide check runs the scenarios through a stand-in that strips ``code`` and ``param`` from
every error answer of the reference server: the scenarios whose codes the docs do not name for the
case (SHOULD) must come out warned, those asserting a documented code (MUST) must fail.
"""

from __future__ import annotations

import json

import pytest

from conformance import engine
from conformance.launcher import DEFAULT_OTHER_SECRET_KEY, DEFAULT_SECRET_KEY
from conformance.scenario import load_all, parse
from conformance.target import Client, HarnessError, Keys
from standins import StandIn, forwarding

CREATE = {"name": "create", "request": {"method": "POST", "path": "/v1/payment_intents",
                                        "form": {"amount": 1000, "currency": "usd", "payment_method_types": ["card"]}},
          "expect": {"status": 200}, "save": {"pi": "id", "status": "status"}}
CAPTURE_TOO_EARLY = {"name": "capture too early", "request": {"method": "POST", "path": "/v1/payment_intents/{pi}/capture"}}


def scenario(*steps):
    return parse({"id": "levels-test", "title": "a scenario built by a test", "operation": "payment_intents/capture",
                  "features": ["capture"], "sources": [{"id": "t", "url": "https://docs.stripe.com/api", "quote": "a sentence"}],
                  "steps": list(steps)}, "test")


def test_a_should_miss_is_a_warning_and_the_run_goes_on(client):
    refused = {**CAPTURE_TOO_EARLY, "expect": {"status": "4xx", "body": {"error": {"type": "invalid_request_error"}},
                                                "should": {"status": 400, "body": {"error": {"code": "no_such_code"}}}}}
    record = engine.run(scenario(CREATE, refused), client)
    assert len(record.exchanges) == 2
    assert record.warnings == ["capture too early: error.code: expected 'no_such_code', got "
                               "'payment_intent_unexpected_state' (SHOULD)"]


def test_a_must_miss_fails_and_names_the_should_misses_before_it(client):
    warned = {**CAPTURE_TOO_EARLY, "expect": {"status": "4xx", "should": {"status": 409}}}
    failing = {"name": "retrieve", "request": {"method": "GET", "path": "/v1/payment_intents/{pi}"},
               "expect": {"status": 200, "body": {"status": "succeeded"}}}
    with pytest.raises(engine.ScenarioFailure) as failure:
        engine.run(scenario(CREATE, warned, failing), client)
    report = failure.value.report()
    assert "failed at 'retrieve'" in report and "SHOULD missed: capture too early: status: expected 409, got 400" in report


def test_4xx_does_not_take_a_missing_object_for_a_refusal(client):
    step = {"name": "retrieve nothing", "request": {"method": "GET", "path": "/v1/payment_intents/pi_missing"},
            "expect": {"status": "4xx"}}
    with pytest.raises(engine.ScenarioFailure) as failure:
        engine.run(scenario(step), client)
    assert "status: expected a 4xx other than 404, 405, 429, got 404" in failure.value.report()


def test_when_runs_the_branch_the_answer_chose_and_passes_over_the_other(client):
    taken = {"name": "taken", "when": {"status": "requires_payment_method"},
             "request": {"method": "GET", "path": "/v1/payment_intents/{pi}"}, "expect": {"status": 200}}
    other = {"name": "other", "when": {"status": {"$in": ["succeeded", "processing"]}},
             "request": {"method": "GET", "path": "/v1/payment_intents/{pi}"}, "expect": {"status": 500}}
    record = engine.run(scenario(CREATE, taken, other), client)
    assert len(record.exchanges) == 2 and not record.warnings


def test_a_branch_on_a_value_never_saved_is_a_harness_error(client):
    step = {"name": "branch", "when": {"never": "x"}, "request": {"method": "GET", "path": "/v1/payment_intents"},
            "expect": {"status": 200}}
    with pytest.raises(HarnessError, match="never"):
        engine.run(scenario(step), client)


# -- the suite through a stand-in that strips error codes and params ------------------------------

def _error_keys(expectation) -> set[str]:
    body = expectation.get("body")
    error = body.get("error") if isinstance(body, dict) else None
    return {key for key in ("code", "param") if isinstance(error, dict) and key in error}


def _strip_codes(status, headers, payload):
    if status >= 400:
        body = json.loads(payload)
        if isinstance(body.get("error"), dict):
            body["error"].pop("code", None)
            body["error"].pop("param", None)
            payload = json.dumps(body).encode()
    return status, headers, payload


@pytest.mark.slow
def test_without_codes_inferred_codes_warn_and_documented_codes_fail(reference_server):
    # branches (when) run only if the target makes that choice, so only unconditional steps decide
    must = [s for s in load_all() if any(_error_keys(step.expect) for step in s.steps if step.when is None)]
    should_only = [s for s in load_all() if not any(_error_keys(step.expect) for step in s.steps)
                   and any(_error_keys(step.should) for step in s.steps if step.when is None)]
    must_codes = {step.expect["body"]["error"]["code"] for s in must for step in s.steps
                  if "code" in _error_keys(step.expect) and isinstance(step.expect["body"]["error"]["code"], str)}
    assert {"parameter_missing", "resource_missing", "card_declined"} <= must_codes
    assert "payment_intent_unexpected_state" not in must_codes
    keys = Keys.derive(DEFAULT_SECRET_KEY, None, DEFAULT_OTHER_SECRET_KEY)
    with StandIn(forwarding(reference_server.base_url, _strip_codes)) as stand_in:
        client = Client(stand_in.base_url, keys)
        try:
            failed_must = [s.id for s in must if _fails(s, client)]
            warned = {s.id: engine.run(s, client).warnings for s in should_only}
        finally:
            client.close()
    assert failed_must == [s.id for s in must]
    assert should_only and all(warned.values()), [key for key, value in warned.items() if not value]
    assert "pi-cancel-canceled-refused" in warned


def _fails(scenario, client) -> bool:
    try:
        engine.run(scenario, client)
    except engine.ScenarioFailure:
        return True
    return False


# -- the run, as a user starts it -----------------------------------------------------------------

@pytest.mark.slow
def test_a_run_with_only_should_misses_passes(reference_server):
    from standins import run_suite

    with StandIn(forwarding(reference_server.base_url, _strip_codes)) as stand_in:
        result = run_suite("--base-url", stand_in.base_url, "--no-fuzz", "-k", "pi-cancel-canceled-refused or "
                           "pi-capture-canceled-refused", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout


@pytest.mark.slow
def test_a_run_declaring_a_capability_lacking_reports_those_scenarios_not_applicable(reference_server):
    from standins import run_suite

    result = run_suite("--base-url", reference_server.base_url, "--no-fuzz", "--features", "increment_authorization",
                       "--lacks", "ic_plus_pricing", "-rs", "-p", "no:cacheprovider")
    needing = [s for s in load_all() if "ic_plus_pricing" in s.requires]
    assert result.returncode in (0, 5) and f"{len(needing)} skipped" in result.stdout, result.stdout[-2000:]
    assert "needs the account capability ic_plus_pricing" in result.stdout
