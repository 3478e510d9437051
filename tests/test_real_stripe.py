"""Ready for real Stripe (issue 12), each point against a local stand-in: the pinned API version,
live keys refused, 429s survived and a rate ceiling across workers, the poll timeout, Stripe's
settings for api.stripe.com, the cleanup, and a recording judged again offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
import requests
import stripe

from conformance import options, real_stripe
from conformance.launcher import DEFAULT_OTHER_SECRET_KEY, DEFAULT_SECRET_KEY, BundledServer
from conformance.session import TargetSession
from conformance.target import Client, Keys, RateLimited
from conformance.transport import MAX_RETRIES, Pacer, Transport
from reference_impl.app import create_app
from tests.served import exchange
from tests.standins import Seen, StandIn, _json, breaking, proxy, run_suite

KEYS = ("--api-key", DEFAULT_SECRET_KEY, "--other-api-key", DEFAULT_OTHER_SECRET_KEY)
SPEC_VERSION = "2026-05-27.dahlia"


def _header(headers: dict[str, str], name: str) -> str | None:
    return {k.lower(): v for k, v in headers.items()}.get(name.lower())


def _results(directory) -> dict:
    return json.loads((directory / "results.json").read_text())


# 1. The API version


def test_the_reference_server_answers_in_its_version_and_echoes_a_given_one():
    bare, pinned, sdk = exchange(create_app(), ("GET", "/v1/payment_intents", _auth(), None),
                                 ("GET", "/v1/payment_intents", _auth("2024-06-20"), None),
                                 ("GET", "/v1/payment_intents", _auth(stripe._api_version._ApiVersion.CURRENT), None))
    assert (bare.status_code, bare.headers["stripe-version"]) == (200, SPEC_VERSION)
    assert (pinned.status_code, pinned.headers["stripe-version"]) == (200, "2024-06-20")
    # the official SDK pins a newer version than the spec: accepted, as Stripe accepts any it knows
    assert (sdk.status_code, sdk.headers["stripe-version"]) == (200, stripe._api_version._ApiVersion.CURRENT)


@pytest.mark.parametrize("version", ["2019-2-19", "2026-02-30", "dahlia", "2026-05-27.dahlia, 2026-05-27.dahlia"])
def test_a_malformed_version_is_refused_with_the_error_envelope_and_stores_nothing(version):
    app = create_app()
    refused, listed = exchange(app, ("POST", "/v1/payment_intents", _auth(version), {"amount": "100", "currency": "usd"}),
                               ("GET", "/v1/payment_intents", _auth(), None))
    assert refused.status_code == 400
    assert refused.json() == {"error": {"type": "invalid_request_error",
                                        "message": f"Invalid Stripe API version: {version}"}}
    assert listed.json()["data"] == []


def _auth(version: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {DEFAULT_SECRET_KEY}"}
    if version:
        headers["Stripe-Version"] = version
    return headers


@pytest.mark.slow
def test_every_request_of_a_run_carries_the_spec_version_and_the_report_records_it(reference_server, tmp_path):
    seen = Seen()
    with proxy(reference_server.base_url, seen) as standin:
        # the capture scenarios and the capture operation's fuzz checks: both ways requests are sent
        # (the suite's client, schemathesis's cases and its own auth probes) in a tenth of the time
        done = run_suite("--base-url", standin.base_url, *KEYS, "--features", "capture,fuzz", "-k", "capture",
                         "--fuzz-examples", "1", "--report", str(tmp_path), timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    versions = {_header(headers, "Stripe-Version") for _, _, headers, _ in seen.requests}
    assert versions == {SPEC_VERSION}, versions
    assert any(path.endswith("/capture") and method == "POST" for method, path, _, _ in seen.requests)
    assert _results(tmp_path)["stripe_version"] == SPEC_VERSION
    assert f"Stripe-Version {SPEC_VERSION}" in done.stdout


@pytest.mark.slow
def test_stripe_version_from_the_environment_is_sent_instead(reference_server, tmp_path):
    seen = Seen()
    env = {**os.environ, "STRIPE_VERSION": "2024-06-20"}
    with proxy(reference_server.base_url, seen) as standin:
        done = run_suite("--base-url", standin.base_url, *KEYS, "--features", "capture", "--report", str(tmp_path),
                         env=env)
    assert done.returncode == 0, done.stdout[-3000:]
    assert {_header(headers, "Stripe-Version") for _, _, headers, _ in seen.requests} == {"2024-06-20"}
    assert _results(tmp_path)["stripe_version"] == "2024-06-20"


# 2. Live keys


@pytest.mark.parametrize("flag,key", [("--api-key", "sk_live_abc123456789"), ("--publishable-key", "pk_live_abc123456"),
                                      ("--other-api-key", "rk_live_abc123456789")])
def test_a_live_key_is_refused_before_anything_is_sent(flag, key):
    seen = Seen()
    with proxy("http://127.0.0.1:9", seen) as standin:
        given = ("--api-key", DEFAULT_SECRET_KEY, flag, key) if flag != "--api-key" else (flag, key)
        done = run_suite("--base-url", standin.base_url, *given)
    assert done.returncode == 4
    assert done.stderr.strip().count("\n") == 0 and "live-mode key" in done.stderr and key[:8] in done.stderr
    assert key not in done.stderr  # masked
    assert seen.requests == []


@pytest.mark.slow
def test_a_live_key_in_the_environment_is_refused_by_the_pytest_plugin_too():
    seen = Seen()
    env = {**os.environ, "STRIPE_API_KEY": "sk_live_abc123456789"}
    with proxy("http://127.0.0.1:9", seen) as standin:
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--pyargs", "conformance.suite",
                               "--base-url", standin.base_url, "-q"], capture_output=True, text=True, env=env,
                              timeout=120)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "live-mode key" in done.stderr and "Traceback" not in done.stderr
    assert seen.requests == []


@pytest.mark.slow
def test_restricted_test_keys_work(reference_server):
    done = run_suite("--base-url", reference_server.base_url, "--api-key", "rk_test_conformance", "--features", "capture")
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout


# 3. Rate limits


@pytest.mark.slow
def test_a_full_run_behind_a_stand_in_answering_one_request_in_seven_with_429_passes(reference_server, tmp_path):
    seen = Seen()
    with proxy(reference_server.base_url, seen, rate_limit_every=7) as standin:
        # seed 0, as in CI: some seeds generate an id longer than the stand-in's own HTTP server reads (414)
        done = run_suite("--base-url", standin.base_url, *KEYS, "--fuzz-examples", "3", "--seed", "0", "-n", "2",
                         "--report", str(tmp_path), timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    traffic = _results(tmp_path)["traffic"]
    # every 429 was retried and counted, but those to the two probes before the run (unpaced, not retried)
    assert traffic["retries"] == traffic["rate_limited"] >= len(seen.requests) // 7 - 2
    assert traffic["requests"] >= len(seen.requests) - 2
    assert f"{traffic['rate_limited']} rate limited (429), {traffic['retries']} retries" in done.stdout


def _always_429(should_retry: str | None, count: list[int]) -> StandIn:
    def answer(method, path, body, headers):
        count.append(1)
        status, returned, payload = _json(429, {"error": {"type": "invalid_request_error", "code": "rate_limit",
                                                          "message": "Too many requests hit the API too quickly."}})
        returned["Retry-After"] = "0"
        if should_retry is not None:
            returned["Stripe-Should-Retry"] = should_retry
        return status, returned, payload

    return StandIn(answer)


@pytest.mark.parametrize("should_retry,sent", [("false", 1), ("true", 1 + MAX_RETRIES), (None, 1 + MAX_RETRIES)])
def test_retries_are_bounded_and_stripe_should_retry_false_is_obeyed(should_retry, sent):
    count: list[int] = []
    with _always_429(should_retry, count) as standin:
        client = Client(standin.base_url, Keys.derive(DEFAULT_SECRET_KEY))
        with pytest.raises(RateLimited):
            client.send("POST", "/v1/payment_intents", form={"amount": 100, "currency": "usd"})
    assert len(count) == sent
    assert client.session.counts["retries"] == sent - 1


class CountingPacer(Pacer):
    def __init__(self):
        super().__init__(None, "", None)
        self.waits = 0

    def wait(self) -> None:
        self.waits += 1


def test_search_requests_also_wait_on_the_search_limit(reference_server):
    pacer, search = CountingPacer(), CountingPacer()
    client = Client(reference_server.base_url, Keys.derive(DEFAULT_SECRET_KEY), session=Transport(None, pacer, search))
    client.send("GET", "/v1/payment_intents")
    client.send("GET", "/v1/payment_intents/search", query={"query": "currency:'usd'"})
    assert (pacer.waits, search.waits) == (2, 1)


@pytest.mark.slow
def test_the_rate_ceiling_holds_across_xdist_workers(reference_server):
    seen = Seen()
    with proxy(reference_server.base_url, seen) as standin:
        done = run_suite("--base-url", standin.base_url, *KEYS, "--features", "capture", "-n", "2", "--max-rps", "20")
    assert done.returncode == 0, done.stdout[-3000:]
    times = sorted(when for _, _, _, when in seen.requests[2:])  # after the two probes (command, plugin), unpaced
    assert len(times) > 30
    # 21 requests span at least 20 intervals of 0.05 s (less some jitter); two workers each pacing
    # itself alone would take half
    assert min(times[i + 20] - times[i] for i in range(len(times) - 20)) > 0.8


# 4. Eventual consistency: the poll timeout, and Stripe's settings


@pytest.mark.slow
def test_poll_timeout_bounds_a_search_poll(reference_server):
    seen = Seen()

    def never_found(method, path, form):
        seen.add(method, path, {})
        if path == "/v1/payment_intents/search":
            return 200, {"object": "search_result", "data": [], "has_more": False, "next_page": None,
                         "url": "/v1/payment_intents/search"}
        return None

    with breaking(reference_server.base_url, never_found) as standin:
        done = run_suite("--base-url", standin.base_url, *KEYS, "-k", "pi-search-created", "--poll-timeout", "2",
                         timeout=120)
    assert done.returncode == 1, done.stdout[-3000:]
    searches = [path for _, path, _, _ in seen.requests if path == "/v1/payment_intents/search"]
    assert 2 <= len(searches) <= 4  # polled once a second for 2 s, not for the scenario's 60 s


def _config(**given) -> SimpleNamespace:
    values = {option.pytest_dest: None for option in options.OPTIONS}
    values.update(given)
    return SimpleNamespace(option=SimpleNamespace(**values))


def test_api_stripe_com_gets_stripes_settings(monkeypatch):
    for option in options.OPTIONS:
        if option.env:
            monkeypatch.delenv(option.env, raising=False)
    target = TargetSession.from_config(_config(base_url="https://api.stripe.com", stripe_api_key="sk_test_abc"))
    assert (target.max_rps, target.poll_timeout, target.lacks) == (real_stripe.MAX_RPS, real_stripe.POLL_TIMEOUT,
                                                                   ("ic_plus_pricing",))
    assert target.keys.publishable == ""  # never derived: a real one comes with --publishable-key
    local = TargetSession.from_config(_config(base_url="http://127.0.0.1:1", stripe_api_key="sk_test_abc",
                                              poll_timeout=5.0))
    assert (local.max_rps, local.poll_timeout, local.lacks, local.keys.publishable) == (None, 5.0, (), "pk_test_abc")


@pytest.mark.slow
def test_a_run_against_api_stripe_com_reports_what_a_test_account_cannot_do(reference_server, tmp_path):
    """api.stripe.com reached through a proxy stand-in that answers as the reference server does."""
    seen = Seen()
    with proxy(reference_server.base_url, seen) as standin:
        env = {**os.environ, "HTTP_PROXY": standin.base_url, "http_proxy": standin.base_url}
        env.pop("NO_PROXY", None), env.pop("no_proxy", None)
        done = run_suite("--base-url", "http://api.stripe.com", "--api-key", DEFAULT_SECRET_KEY, "--features",
                         "increment_authorization,publishable_key,isolation", "--no-fuzz", "--report", str(tmp_path),
                         env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert seen.requests, "nothing reached the stand-in"
    reasons = {item["id"]: item["detail"] for item in _results(tmp_path)["results"]}
    assert {item["verdict"] for item in _results(tmp_path)["results"]} == {"not-applicable"}
    assert all("ic_plus_pricing" in reasons[i] for i in reasons if i.startswith("pi-increment"))
    assert any("--publishable-key" in reason for reason in reasons.values())
    assert any("--other-api-key" in reason for reason in reasons.values())


# 6. Cleanup


def _open_intents(base_url: str) -> list[str]:
    left = []
    for key in (DEFAULT_SECRET_KEY, DEFAULT_OTHER_SECRET_KEY):
        for kind in ("payment_intents", "setup_intents"):
            listed = requests.get(f"{base_url}/v1/{kind}?limit=100", headers={"Authorization": f"Bearer {key}"},
                                  timeout=10).json()["data"]
            left += [obj["id"] for obj in listed if obj["status"] not in ("succeeded", "canceled")]
    return left


@pytest.mark.slow
@pytest.mark.parametrize("keep", [False, True])
def test_what_a_run_leaves_open_on_a_given_target_is_canceled_unless_kept(keep, tmp_path):
    with BundledServer() as server:
        done = run_suite("--base-url", server.base_url, *KEYS, "--features", "manual_capture,setup_intents",
                         "--no-fuzz", "--report", str(tmp_path), *(["--no-cleanup"] if keep else []))
        assert done.returncode == 0, done.stdout[-3000:]
        left = _open_intents(server.base_url)
    traffic = _results(tmp_path)["traffic"]
    if keep:
        assert left and "cleanup_canceled" not in traffic
    else:
        assert left == [] and traffic["cleanup_canceled"] > 0 and traffic["cleanup_failed"] == 0
        assert f"cleanup: {traffic['cleanup_canceled']} left open and canceled" in done.stdout


# 7. Recording and judging


@pytest.mark.slow
def test_a_recorded_run_is_a_har_file_without_secrets_and_judges_as_it_ran(reference_server, tmp_path):
    har_path = tmp_path / "run.har"
    done = run_suite("--base-url", reference_server.base_url, *KEYS, "--features", "capture,publishable_key,search",
                     "--no-fuzz", "-n", "2", "--record", str(har_path), timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    text = har_path.read_text()
    assert DEFAULT_SECRET_KEY not in text and DEFAULT_OTHER_SECRET_KEY not in text
    assert "_secret_redacted" in text and "pk_test_REDACTED_PUBLISHABLE" in text
    log = json.loads(text)["log"]
    assert log["version"] == "1.2" and log["_stripe_version"] == SPEC_VERSION
    pages = {page["id"] for page in log["pages"]}
    assert "pi-capture-full" in pages or any(page.startswith("pi-capture") for page in pages)
    assert all(entry["pageref"] in pages and entry["request"]["method"] and entry["response"]["status"]
               for entry in log["entries"])

    judged = _judge(har_path)
    assert judged.returncode == 0, judged.stdout + judged.stderr
    assert " failed" not in judged.stdout and "stale" not in judged.stdout
    assert f"judged {len([p for p in pages if p != 'cleanup'])} recorded scenarios" in judged.stdout

    # a recorded answer that no longer satisfies the scenario fails it; a renamed step makes it stale
    broken = json.loads(text)
    first = next(e for e in broken["log"]["entries"] if e["pageref"].startswith("pi-capture")
                 and e["request"]["method"] == "POST" and e["request"]["url"].endswith("/capture"))
    first["response"]["status"] = 500
    renamed = next(e for e in broken["log"]["entries"] if e["pageref"].startswith("pk-"))
    renamed["_step"] = "a step the scenario no longer has"
    har_path.write_text(json.dumps(broken))
    judged = _judge(har_path)
    assert judged.returncode == 1, judged.stdout
    assert f"FAILED {first['pageref']}" in judged.stdout and f"STALE {renamed['pageref']}" in judged.stdout


def test_judge_refuses_a_file_that_is_not_a_recording(tmp_path):
    path = tmp_path / "results.json"
    path.write_text('{"format": "stripe-conformance-results/2"}')
    judged = _judge(path)
    assert judged.returncode == 4 and judged.stderr.count("\n") == 1 and "not a HAR file" in judged.stderr


def _judge(path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance.cli", "judge", str(path)], capture_output=True, text=True,
                          timeout=120)


def test_the_stripe_profile_holds_the_real_stripe_settings():
    """`--target stripe` and a base URL of api.stripe.com apply the same settings (read from the profile)."""
    from conformance import profiles, real_stripe

    profile = profiles.load("stripe")
    assert profile.url == real_stripe.BASE_URL and real_stripe.is_stripe(profile.url)
    assert profile.data["api_version"] == real_stripe.API_VERSION
    assert profile.limit("max_rps") == real_stripe.MAX_RPS and profile.limit("poll_timeout") == real_stripe.POLL_TIMEOUT
    assert tuple(profile.lacks) == real_stripe.LACKS
    assert profile.start is None  # reached at its URL, never started
    assert profile.data["keys"]["publishable"] == "${STRIPE_TEST_PUBLISHABLE_KEY}"  # never derived from the secret key


def test_target_stripe_without_a_key_is_refused_in_one_line(monkeypatch):
    for name in ("STRIPE_TEST_SECRET_KEY", "STRIPE_API_KEY", "STRIPE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    result = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--target", "stripe"], capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 4, result.stderr
    assert result.stderr.strip().splitlines() == [
        "stripe-conformance: Stripe (test mode) needs a secret key: --api-key, or ${STRIPE_TEST_SECRET_KEY}"]
