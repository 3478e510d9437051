"""Other mocks as targets: one that implements nothing, the peer runner, localstripe's README table."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from standins import not_found, run_suite
from test_report import Page, valid_results

from conformance import __version__
from conformance.peers import runner
from conformance.peers.localstripe import LOCALSTRIPE
from conformance.outcomes import Verdict
from conformance.reporting import markdown
from conformance.reporting import results as model
from conformance.scenario import load_all

CHECKOUT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("as_json", [True, False], ids=["json-404", "text-404"])
@pytest.mark.slow
def test_a_target_with_nothing_implemented_gives_a_clean_report_of_unsupported_endpoints_in_seconds(tmp_path, as_json):
    # By the one rule (outcomes.is_missing_endpoint): Stripe's "Unrecognized request URL", or no envelope
    with not_found(as_json, wording="Unrecognized request URL") as target:
        # The scenarios only: what the fuzz tests meet on a target without any operation depends on the seed.
        result = run_suite("--base-url", target.base_url, "--no-fuzz", "--api-key", "sk_test_a",
                           "--other-api-key", "sk_test_b",
                           "--report", str(tmp_path), timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "INTERNALERROR" not in result.stdout + result.stderr and "Traceback" not in result.stdout
    results = valid_results(tmp_path / "results.json")
    assert results["duration"] < 10
    items = {item["id"]: item for item in results["results"]}
    assert set(items) == {scenario.id for scenario in load_all()}
    for scenario in load_all():
        # a scenario whose first request wants something else than a 404 gets no further
        if 404 not in _statuses(scenario.steps[0]):
            assert items[scenario.id]["verdict"] == Verdict.UNSUPPORTED.value, items[scenario.id]
    unsupported = [item for item in items.values() if item["verdict"] == Verdict.UNSUPPORTED.value]
    reporters = [item for item in unsupported if item["evidence"] and item["evidence"]["response"]]
    # every result names the endpoint it lacks; an exchange that shows it is shown once per endpoint
    assert unsupported and all(item["missing_endpoint"] for item in unsupported)
    assert len({item["missing_endpoint"] for item in reporters}) == len(reporters)
    for item in reporters:
        assert item["evidence"]["response"]["status"] == 404
        assert item["evidence"]["request"]["method"] in ("GET", "POST", "DELETE")
    # the totals count each missing endpoint once, with the checks behind it
    missing = {entry["endpoint"]: entry["checks"] for entry in results["totals"]["unsupported_endpoints"]}
    assert set(missing) == {item["missing_endpoint"] for item in unsupported}
    assert sum(missing.values()) == len(unsupported)
    assert f"{len(missing)} endpoints unsupported ({len(unsupported)} checks behind them)" in result.stdout
    page = Page((tmp_path / "report.html").read_text())
    assert len(page.all("span", **{"class": "o-unsupported"})) > len(unsupported)  # badges in rows and header


def _statuses(step) -> list[int]:
    status = step.expect["status"]
    return status if isinstance(status, list) else [status]


@pytest.mark.slow
def test_the_peer_runner_starts_runs_and_stops_the_peer(tmp_path):
    """The runner with the bundled server standing in for a peer program."""
    peer = runner.Peer(name="reference", distribution="stripe-conformance",
                       command=(sys.executable, "-m", "conformance.cli", "serve", "--port", "{port}",
                                "--log-level", "warning"))
    manifest = tmp_path / "none.yaml"
    manifest.write_text("# no known failures\n")
    status = runner.main(peer, ["--report", str(tmp_path / "out"), "--manifest", str(manifest),
                                "--", "-q", "--features", "retrieve"])
    assert status == 0
    results = model.load(tmp_path / "out" / "results.json")
    assert results.title == f"reference {__version__}"
    assert results.manifest == str(manifest) and results.items
    port = int(results.target.rsplit(":", 1)[1])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the peer outlived the run"


def test_a_peer_that_exits_at_once_is_reported_with_its_log(tmp_path, capsys):
    peer = runner.Peer(name="broken", distribution="stripe-conformance",
                       command=(sys.executable, "-c", "import sys; print('no such option'); sys.exit(3)"))
    manifest = tmp_path / "none.yaml"
    manifest.write_text("{}\n")
    assert runner.main(peer, ["--manifest", str(manifest), "--report", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "exited with code 3" in error and "no such option" in error


def test_localstripe_runs_with_an_empty_store_on_the_port_it_is_given():
    assert LOCALSTRIPE.command[-3:] == ("--port", "{port}", "--from-scratch")
    assert (CHECKOUT / LOCALSTRIPE.manifest).is_file()


def test_the_readme_table_is_generated_from_the_committed_localstripe_results():
    """Regenerate with: python -m conformance.peers.localstripe --update"""
    results = model.load(CHECKOUT / LOCALSTRIPE.results)
    expected = markdown.render_region(results, LOCALSTRIPE.name, LOCALSTRIPE.results.as_posix())
    assert markdown.extract_region((CHECKOUT / "README.md").read_text(), LOCALSTRIPE.name) == expected
    assert results.gate.passed and results.manifest == LOCALSTRIPE.manifest.as_posix()
