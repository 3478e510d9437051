"""report.html in a real browser (headless Chromium, Debian's `chromium`): the picture comes first.

Skips with a plain reason where chromium is not installed; under CI=true (where .ci/run installs
it) a missing chromium fails instead, so this test can never pass by skipping in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from conformance.outcomes import Verdict
from conformance.reporting.results import Evidence, ItemResult, Request, Response, Results, write_all

pytestmark = pytest.mark.slow  # a real browser: the fast loop leaves it out

BROWSERS = ("chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,900")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def chromium() -> str:
    found = next((path for path in map(shutil.which, BROWSERS) if path), None)
    if found is None:
        message = "headless Chromium is not installed (Debian: apt-get install chromium)"
        if in_ci():
            pytest.fail(f"{message}; .ci/run installs it")
        pytest.skip(message)
    return found


def failing_run() -> Results:
    """A mock lacking search, breaking capture one way, with a harness error and a scenario's notes."""
    def exchange(status, body, path="/v1/payment_intents/pi_1/capture"):
        return Evidence(summary=f"capture: status: expected 200, got {status}", endpoint="POST /v1/payment_intents/{id}/capture",
                        problems=[f"status: expected 200, got {status}"],
                        request=Request("POST", f"http://mock{path}", {"Idempotency-Key": "k-1",
                                                                        "Content-Type": "application/x-www-form-urlencoded"},
                                        "amount_to_capture=1500"),
                        response=Response(status, {"Content-Type": "application/json", "Request-Id": "req_1"},
                                          "application/json", body))
    items = [ItemResult(id=f"pi-search-{n}", kind="scenario", group="payment_intents/search", title=f"search {n}",
                        verdict=Verdict.UNSUPPORTED, features=["search"], missing_endpoint="GET /v1/payment_intents/search",
                        detail="GET /v1/payment_intents/search is not implemented by the target") for n in range(17)]
    items += [ItemResult(id=f"pi-capture-{n}", kind="scenario", group="payment_intents/capture", title=f"capture {n}",
                         verdict=Verdict.FAILED, features=["capture"], notes="Stripe captures at most amount_capturable.",
                         sources=[{"url": "https://docs.stripe.com/api/payment_intents/capture", "quote": "Capture the funds"}],
                         evidence=exchange(400, {"error": {"type": "invalid_request_error", "message": "nope"}}))
              for n in range(3)]
    items += [ItemResult(id=f"pi-create-{n}", kind="scenario", group="payment_intents/create", title=f"create {n}",
                         verdict=Verdict.PASSED, features=["create"]) for n in range(20)]
    items += [ItemResult(id="iso-list", kind="scenario", group="isolation/accounts", title="isolation",
                         verdict=Verdict.NOT_APPLICABLE, features=["isolation"],
                         detail="needs --other-api-key (a second account's secret key)")]
    results = Results(target="http://mock", target_name="a broken mock", suite_version="0", seed=42,
                      started_at="2026-12-02T00:00:00+00:00", items=items)
    results.judge()
    return results


class Ids(HTMLParser):
    def __init__(self, text: str):
        super().__init__()
        self.ids: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.ids += [value for name, value in attrs if name == "id" and value]


def test_the_report_leads_with_the_matrix_then_failures_grouped_by_endpoint(chromium, tmp_path):
    write_all(failing_run(), tmp_path)
    page = (tmp_path / "report.html").as_uri()
    dom = subprocess.run([chromium, *FLAGS, "--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    ids = Ids(dom).ids
    assert "matrix" in ids and "failures" in ids, dom[:500]
    assert ids.index("headline") < ids.index("matrix") < ids.index("failures") < ids.index("behaviours")
    matrix = dom[dom.index('id="matrix"'):dom.index('id="failures"')]
    assert matrix.index("payment_intents/search") < matrix.index("payment_intents/capture") \
        < matrix.index("payment_intents/create")  # worst first
    failures = dom[dom.index('id="failures"'):dom.index('id="behaviours"')]
    assert "GET /v1/payment_intents/search is missing → 17 behaviours" in failures
    assert "POST /v1/payment_intents/{id}/capture answers 400 → 3 behaviours fall short" in failures
    assert "Idempotency-Key: k-1" in failures and "Request-Id: req_1" in failures  # both sides' headers
    assert "Stripe captures at most amount_capturable." in failures  # the scenario's notes
    assert "needs --other-api-key" in dom  # why something did not apply
    screenshot = tmp_path / "first-screen.png"
    subprocess.run([chromium, *FLAGS, f"--screenshot={screenshot}", page], capture_output=True, timeout=120)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
