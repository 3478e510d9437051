"""The engine against the reference server: substitution, saving, and readable failures."""

from __future__ import annotations

import pytest

from conformance import engine
from conformance.scenario import parse
from conformance.target import HarnessError


def scenario(steps, **extra):
    return parse({"id": "test-scenario", "title": "a scenario built by a test", "operation": "payment_intents/create",
                  "features": ["test"],
                  "sources": [{"id": "test", "url": "https://docs.stripe.com/api", "quote": "a sentence from the docs"}],
                  "steps": steps, **extra}, "test")


CREATE = {"name": "create", "request": {"method": "POST", "path": "/v1/payment_intents",
                                        "form": {"amount": 777, "currency": "usd", "metadata": {"run": "{run}"}}},
          "expect": {"status": 200, "schema": "payment_intent", "body": {"metadata": {"run": "{run}"}}},
          "save": {"pi": "id", "amount": "amount"}}


def test_saved_values_fill_later_paths_and_expectations(client):
    record = engine.run(scenario([CREATE, {
        "request": {"method": "GET", "path": "/v1/payment_intents/{pi}"},
        "expect": {"status": 200, "body": {"id": "{pi}", "amount": "{amount}"}}}]), client)
    assert record.variables["amount"] == 777
    assert record.exchanges[1].url.endswith(record.variables["pi"])


def test_a_wrong_answer_fails_with_the_request_the_response_and_the_expectation(client):
    wrong = {"name": "capture too early", "request": {"method": "POST", "path": "/v1/payment_intents/{pi}/capture"},
             "expect": {"status": 200, "body": {"status": "succeeded"}}}
    with pytest.raises(engine.ScenarioFailure) as failure:
        engine.run(scenario([CREATE, wrong]), client)
    report = failure.value.report()
    assert "failed at 'capture too early'" in report
    assert "status: expected 200, got 400" in report
    assert "status: expected 'succeeded', but the key is absent" in report
    assert "> POST " in report and "/capture" in report and "< 400" in report
    assert "a sentence from the docs" in report


def test_error_answers_are_checked_against_the_error_envelope_schema(client):
    step = {"request": {"method": "GET", "path": "/v1/payment_intents/pi_missing"}, "expect": {"status": 404}}
    engine.run(scenario([step]), client)  # the reference server's envelope is valid
    exchange = client.send("GET", "/v1/payment_intents/pi_missing")
    exchange.body = {"error": {"message": "no type"}}
    assert any("schema error" in p for p in engine.judge(scenario([step]).steps[0], exchange, {}))


def test_missing_endpoint_is_reported_as_unsupported_not_as_a_failure(client):
    step = {"request": {"method": "POST", "path": "/v1/payment_intents/{pi}/no_such_action"},
            "expect": {"status": 200}}
    with pytest.raises(engine.Unsupported) as unsupported:
        engine.run(scenario([CREATE, step]), client)
    assert unsupported.value.endpoint == "POST /v1/payment_intents/{id}/no_such_action"


def test_unknown_id_404_is_a_failure_not_unsupported(client):
    step = {"request": {"method": "GET", "path": "/v1/payment_intents/pi_missing"}, "expect": {"status": 200}}
    with pytest.raises(engine.ScenarioFailure):
        engine.run(scenario([step]), client)


def test_retry_repeats_until_the_expectation_holds_or_time_runs_out(client):
    step = {"request": {"method": "GET", "path": "/v1/payment_intents/{pi}"},
            "expect": {"status": 200, "body": {"status": "succeeded"}}, "retry": {"timeout": 0.3, "interval": 0.1}}
    record = engine.Run(scenario([CREATE, step]))
    with pytest.raises(engine.ScenarioFailure):
        engine.run(record.scenario, client, record)
    assert 1 + 3 <= len(record.exchanges) <= 1 + 5


def test_retry_stops_at_an_error_status_the_step_does_not_expect(client):
    """Retrying waits for data to appear (search); a refusal will not turn into it."""
    step = {"request": {"method": "GET", "path": "/v1/payment_intents/pi_never"},
            "expect": {"status": 200}, "retry": {"timeout": 30, "interval": 0.1}}
    record = engine.Run(scenario([step]))
    with pytest.raises(engine.ScenarioFailure):
        engine.run(record.scenario, client, record)
    assert len(record.exchanges) == 1


def test_the_runs_polling_limit_bounds_a_steps_wait(client):
    """A stateless target never shows what is polled for: --poll-timeout replaces the scenario's own wait."""
    step = {"request": {"method": "GET", "path": "/v1/payment_intents/{pi}"},
            "expect": {"status": 200, "body": {"status": "succeeded"}}, "retry": {"timeout": 60, "interval": 0.1}}
    record = engine.Run(scenario([CREATE, step]))
    client.poll_timeout = 0.3
    try:
        with pytest.raises(engine.ScenarioFailure):
            engine.run(record.scenario, client, record)
    finally:
        client.poll_timeout = None
    assert 1 + 3 <= len(record.exchanges) <= 1 + 5


def test_a_dead_target_is_a_harness_error(client):
    from conformance.target import Client
    dead = Client("http://127.0.0.1:1", client.keys, timeout=2)
    with pytest.raises(HarnessError, match="connection refused"):
        engine.run(scenario([CREATE]), dead)


def test_substitute_keeps_types_for_whole_values_and_formats_inside_strings():
    values = {"n": 5, "pi": "pi_1"}
    assert engine.substitute({"a": "{n}", "b": "/x/{pi}/{n}", "c": ["{pi}"], "d": "{unknown}"}, values) == {
        "a": 5, "b": "/x/pi_1/5", "c": ["pi_1"], "d": "{unknown}"}
