"""Every scenario and fuzz item records its verdict (conformance/outcomes.py), and a failing fuzz
item its findings, ``fuzz:<method sent> <path template>:<check>``, the same whatever the seed.

The run is ``stripe-conformance run`` against a stand-in in front of the reference server that
lacks search (a plain-text 404) and answers every capture with a 400 that has no error envelope.
A probe plugin (``-p``) writes what each item recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.launcher import DEFAULT_OTHER_SECRET_KEY, DEFAULT_SECRET_KEY
from standins import StandIn, breaking

# Whole runs of the tool, twice, in subprocesses.
pytestmark = pytest.mark.slow

PROBE = '''
import json, os
from conformance import outcomes

SEEN = {}

def pytest_runtest_teardown(item):
    verdict = outcomes.verdict_of(item)
    SEEN[item.nodeid.rpartition("::")[2]] = {
        "verdict": verdict and verdict.verdict.value, "detail": verdict and verdict.detail,
        "findings": getattr(item, "conformance_findings", None)}

def pytest_sessionfinish(session):
    if not hasattr(session.config, "workerinput"):
        with open(os.environ["VERDICTS_FILE"], "w") as out:
            json.dump(SEEN, out)
'''


def broken(upstream: str) -> StandIn:
    forward = breaking(upstream, lambda method, path, form: None)

    def answer(method, path, body, headers):
        if path.startswith("/v1/payment_intents/search"):
            return 404, {"Content-Type": "text/plain"}, b"404 page not found"
        if method == "POST" and path.endswith("/capture"):
            return 400, {"Content-Type": "application/json"}, b'{"message": "no"}'
        return forward.answer(method, path, body, headers)

    return StandIn(answer)


def verdicts(tmp_path: Path, url: str, seed: int) -> dict:
    (tmp_path / "verdict_probe.py").write_text(PROBE)
    out = tmp_path / f"verdicts-{seed}.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
           "VERDICTS_FILE": str(out)}
    result = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--base-url", url, "--api-key",
                             DEFAULT_SECRET_KEY, "--other-api-key", DEFAULT_OTHER_SECRET_KEY, "-p", "verdict_probe",
                             "--features", "capture,search,fuzz", "-k", "capture or search", "--fuzz-examples", "5",
                             "--seed", str(seed), "-q"], capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def two_runs(reference_server, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("verdicts")
    with broken(reference_server.base_url) as target:
        return verdicts(tmp_path, target.base_url, 1), verdicts(tmp_path, target.base_url, 2)


def test_scenarios_record_failed_and_unsupported(two_runs):
    seen, _ = two_runs
    assert seen["pi-capture-defaults-to-full-amount"]["verdict"] == "failed"
    search = {name: item for name, item in seen.items() if name.startswith("pi-search")}
    assert search and {item["verdict"] for item in search.values()} == {"unsupported"}
    assert {item["detail"] for item in search.values()} == {"GET /v1/payment_intents/search"}


def test_fuzz_items_record_their_verdicts_and_findings_stable_across_seeds(two_runs):
    first, second = two_runs
    capture = first["test_operation[POST /v1/payment_intents/{intent}/capture]"]
    assert capture["verdict"] == "failed"
    assert "fuzz:POST /v1/payment_intents/{id}/capture:stripe_error_envelope" in capture["findings"]
    assert second["test_operation[POST /v1/payment_intents/{intent}/capture]"]["findings"] == capture["findings"]
    search = first["test_operation[GET /v1/payment_intents/search]"]
    assert (search["verdict"], search["detail"]) == ("unsupported", "GET /v1/payment_intents/search")
    assert all(item["verdict"] for item in first.values())  # every item recorded one
