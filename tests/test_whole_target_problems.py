"""Whole-target problems stop the run with one line and exit code 2; an endpoint that timed out is
not waited on again. Each target is a stand-in (tests/standins.py) in front of the reference server.
"""

from __future__ import annotations

import threading

import pytest

from standins import StandIn, breaking, run_suite

SECRET = "sk_test_the_right_key"


def key_checking(upstream: str) -> StandIn:
    """The reference server behind a gate that refuses every key but SECRET with Stripe's 401."""
    forward = breaking(upstream, lambda method, path, form: None)

    def answer(method, path, body, headers):
        if headers.get("Authorization") != f"Bearer {SECRET}":
            return 401, {"Content-Type": "application/json"}, (
                b'{"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}')
        return forward.answer(method, path, body, headers)

    return StandIn(answer)


def one_line(result) -> str:
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout + result.stderr
    return lines[0]


def test_a_refused_key_stops_the_run_at_the_probe(reference_server):
    with key_checking(reference_server.base_url) as target:
        result = run_suite("--base-url", target.base_url, "--api-key", "sk_test_wrong", timeout=60)
    assert result.returncode == 2
    assert "refuses the API key sk_test_" in one_line(result) and "--api-key" in one_line(result)


@pytest.mark.slow
def test_the_fuzz_requests_carry_the_runs_key(reference_server):
    """Every generated request goes out with --api-key: a target that checks keys refuses none."""
    with key_checking(reference_server.base_url) as target:
        refused = []
        checked = target.answer
        target.answer = lambda method, path, body, headers: (
            refused.append(headers.get("Authorization")) if headers.get("Authorization") != f"Bearer {SECRET}"
            and "Authorization" in headers else None) or checked(method, path, body, headers)
        result = run_suite("--base-url", target.base_url, "--api-key", SECRET, "--other-api-key", "sk_test_b",
                           "--features", "fuzz", "-k", "capture or stateful", "--fuzz-examples", "3", "--seed", "1",
                           "-q", "-p", "no:randomly")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 passed" in result.stdout and "fuzz:" in result.stdout  # the capture operation's, and the sequences
    # the only refused keys are the ones a check sends on purpose (schemathesis's ignored_auth)
    assert not [key for key in refused if key and "placeholder" in key], refused[:3]


@pytest.mark.parametrize("url_of, hint", [
    (lambda base: base + "/v1", "must not end in /v1 (the suite adds it): drop it"),
    (lambda base: base.removeprefix("http://"), "needs a scheme: add http://"),
    (lambda base: base.replace("http://", "https://"), "plain HTTP, use http:// instead of https://"),
], ids=["v1-suffix", "no-scheme", "https-to-http"])
def test_a_base_url_mistake_gets_one_line_saying_what_to_change(reference_server, url_of, hint):
    result = run_suite("--base-url", url_of(reference_server.base_url), timeout=60)
    assert result.returncode == 2
    assert hint in one_line(result)


@pytest.mark.slow
def test_a_target_that_dies_mid_run_stops_it_naming_the_scenario(reference_server):
    """After a few requests every connection is dropped unanswered, as when the target is killed."""
    served = []
    forward = breaking(reference_server.base_url, lambda method, path, form: None)

    def answer(method, path, body, headers):
        served.append(path)
        if len(served) > 12:
            raise ConnectionAbortedError  # the handler drops the connection without an answer
        return forward.answer(method, path, body, headers)

    with StandIn(answer) as target:
        result = run_suite("--base-url", target.base_url, "--no-fuzz", "-p", "no:randomly", timeout=120)
    assert result.returncode == 2, result.stdout[-3000:]
    assert "stopped answering while scenario " in result.stdout
    assert "passed" in result.stdout.splitlines()[-1] or "failed" in result.stdout.splitlines()[-1]
    assert result.stdout.count("HARNESS ERROR") <= 3  # stopped early: not one error per scenario


@pytest.mark.slow
def test_an_endpoint_that_timed_out_is_not_waited_on_again(reference_server):
    release = threading.Event()
    searches = []
    forward = breaking(reference_server.base_url, lambda method, path, form: None)

    def answer(method, path, body, headers):
        if path.startswith("/v1/payment_intents/search"):
            searches.append(path)
            release.wait(30)
        return forward.answer(method, path, body, headers)

    with StandIn(answer) as target:
        try:
            result = run_suite("--base-url", target.base_url, "--timeout", "1", "--features", "search",
                               "--skip-features", "customers,setup_intents", "--no-fuzz", timeout=120)
        finally:
            release.set()
    assert result.returncode == 1, result.stdout[-3000:]
    assert len(searches) == 1, searches
    assert "it is not waited on again in this run" in result.stdout
