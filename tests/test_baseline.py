"""Baselines: a later run fails on exactly what got worse, and lists what got better."""

from __future__ import annotations

from pathlib import Path

import pytest

from standins import breaking, run_suite
from test_report import valid_results

from conformance.launcher import BundledServer
from conformance.outcomes import Verdict
from conformance.reporting.results import ItemResult, Results
from conformance.scenario import load_all

BROKEN_REASON = "abandoned"
FEATURE = "cancel"


def results(**verdicts: Verdict) -> Results:
    items = [ItemResult(id=name, kind="scenario", group="g", title=name, verdict=verdict)
             for name, verdict in verdicts.items()]
    return Results(target="t", suite_version="0", started_at="2026-01-01T00:00:00+00:00", items=items)


def test_regressions_are_passes_that_fall_short_and_improvements_the_reverse():
    before = results(a=Verdict.PASSED, b=Verdict.PASSED, c=Verdict.FAILED, d=Verdict.UNSUPPORTED, e=Verdict.PASSED,
                     f=Verdict.PASSED, g=Verdict.NOT_APPLICABLE, h=Verdict.WARNED, i=Verdict.PASSED)
    after = results(a=Verdict.FAILED, b=Verdict.UNSUPPORTED, c=Verdict.PASSED, d=Verdict.WARNED, e=Verdict.PASSED,
                    g=Verdict.PASSED, h=Verdict.FAILED, i=Verdict.WARNED, new=Verdict.FAILED)
    comparison = after.compare(before)
    assert comparison.regressions == ["a", "b", "h"]
    assert comparison.improvements == ["c", "d"]
    assert comparison.should_regressions == ["i"]


def test_a_should_regression_fails_the_gate_only_with_strict_should():
    before = results(a=Verdict.PASSED, b=Verdict.PASSED)
    after = results(a=Verdict.WARNED, b=Verdict.PASSED)
    assert after.judge(baseline=before).passed
    assert after.gate.should_regressions == ["a"]
    assert not after.judge(baseline=before, strict_should=True).passed


def refuses_abandoned(method: str, path: str, form: dict[str, str]):
    """One behaviour broken: a cancel with cancellation_reason=abandoned (and nothing else) is refused."""
    if method == "POST" and path.endswith("/cancel") and form == {"cancellation_reason": BROKEN_REASON}:
        return 400, {"error": {"type": "invalid_request_error", "message": "broken on purpose"}}
    return None


def scenarios_needing_abandoned() -> set[str]:
    return {scenario.id for scenario in load_all() if FEATURE in scenario.features and any(
        step.endpoint.endswith("/cancel") and step.form == {"cancellation_reason": BROKEN_REASON}
        and step.expect["status"] == 200 for step in scenario.steps)}


@pytest.mark.slow
def test_a_run_against_a_server_with_one_behaviour_broken_fails_naming_exactly_that_regression(tmp_path):
    expected = scenarios_needing_abandoned()
    assert expected, "no scenario cancels with cancellation_reason=abandoned"
    with BundledServer() as server, breaking(server.base_url, refuses_abandoned) as broken:
        before = run_suite("--base-url", server.base_url, "--features", FEATURE, "--no-fuzz", "--report", str(tmp_path / "before"))
        assert before.returncode == 0, before.stdout + before.stderr
        baseline = str(tmp_path / "before" / "results.json")
        after = run_suite("--base-url", broken.base_url, "--features", FEATURE, "--no-fuzz", "--baseline", baseline,
                          "--report", str(tmp_path / "after"))
    assert after.returncode == 1
    named = {line.split()[1].rstrip(":") for line in after.stdout.splitlines() if line.startswith("REGRESSION ")}
    assert named == expected
    gate = valid_results(tmp_path / "after" / "results.json")["gate"]
    assert set(gate["regressions"]) == expected and gate["passed"] is False
    assert gate["baseline"].startswith(f"{valid_results(Path(baseline))['target']['base_url']} at ")
