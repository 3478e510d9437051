"""Other mocks as targets: one that implements nothing, target profiles, run --target, peers, the tables."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from standins import StandIn, not_found, run_suite
from test_report import Page, valid_results

from conformance import profiles
from conformance.launcher import BundledServer
from conformance.outcomes import Verdict
from conformance.peers import binaries, runner
from conformance.reporting import compare, markdown
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


def _profile(tmp_path, command, name="standin", **extra) -> Path:
    directory = tmp_path / name
    directory.mkdir()
    data = {"name": name, "title": name, "start": {"command": list(command)},
            "keys": {"secret": "sk_test_conformance", "other": "sk_test_conformance_other"}, **extra}
    (directory / "profile.yaml").write_text(yaml.safe_dump(data))
    (directory / "known-failures.yaml").write_text("# no known failures\n")
    return directory / "profile.yaml"


SERVE = (sys.executable, "-m", "conformance.cli", "serve", "--port", "{port}", "--log-level", "warning")


@pytest.mark.slow
def test_run_target_starts_the_profiles_program_runs_with_its_settings_and_stops_it(tmp_path):
    """A profile that starts the bundled server stands in for a peer program."""
    profile = _profile(tmp_path, SERVE, version="9.9")
    result = run_suite("--target", str(profile), "--features", "retrieve", "--no-fuzz", "--report", str(tmp_path / "out"),
                       timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    results = model.load(tmp_path / "out" / "results.json")
    assert results.title == "standin 9.9" and results.items
    assert results.manifest.endswith("standin/known-failures.yaml")
    port = int(results.target.rsplit(":", 1)[1])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the target outlived the run"


def test_a_profile_program_that_exits_at_once_is_reported_with_its_log(tmp_path):
    profile = _profile(tmp_path, (sys.executable, "-c", "import sys; print('no such option'); sys.exit(3)"))
    result = run_suite("--target", str(profile), "--no-fuzz", timeout=120)
    assert result.returncode == 2
    assert "exited with code 3" in result.stderr and "no such option" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("change, problem", [
    ({"keys": None}, "keys"),
    ({"start": None}, "needs either start (a command) or url"),
    ({"colour": "blue"}, "'colour' was unexpected"),
    ({"limits": {"poll_timeout": "soon"}}, "limits/poll_timeout"),
])
def test_a_bad_profile_is_one_line_and_exit_4(tmp_path, change, problem):
    path = _profile(tmp_path, SERVE)
    data = yaml.safe_load(path.read_text())
    for key, value in change.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data))
    result = run_suite("--target", str(path), timeout=60)
    assert result.returncode == 4, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and problem in result.stderr


def test_an_unknown_profile_name_lists_the_known_ones():
    result = run_suite("--target", "no-such-mock", timeout=60)
    assert result.returncode == 4
    assert "no target profile 'no-such-mock' (known: " in result.stderr and "localstripe" in result.stderr


def test_every_committed_profile_is_valid_with_its_manifest_and_a_fixed_seed():
    names = profiles.names()
    assert {"reference", "localstripe", "stripe-mock", "stripe-stateful-mock"} <= set(names)
    for name in names:
        profile = profiles.load(name)
        assert profile.manifest.is_file(), name
        assert profile.seed is not None, f"{name}: a manifest of fuzz findings needs the seed it was recorded with"


def test_peers_skips_a_target_that_is_not_at_hand_with_one_line_saying_how_to_get_it(tmp_path):
    result = subprocess.run([sys.executable, "-m", "conformance.cli", "peers", "stripe-mock", "--report",
                             str(tmp_path), "--stripe-mock-bin", str(tmp_path / "missing")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip().splitlines() == [f"stripe-mock: skipped: {binaries.STRIPE_MOCK_HINT}"]
    assert "stripe/stripe-mock" in result.stdout and "go install" in result.stdout


def test_the_state_probe_tells_a_stateless_target_from_one_that_keeps_state():
    canned = {"id": "cus_canned", "object": "customer", "description": "a fixture"}
    with StandIn(lambda method, path, body, headers: (200, {"Content-Type": "application/json"},
                                                      json.dumps(canned).encode())) as stateless:
        assert runner.state_kept(stateless.base_url, "sk_test_x") is False
    with BundledServer() as server:
        assert runner.state_kept(server.base_url, "sk_test_conformance") is True
    with not_found(True) as nothing:
        assert runner.state_kept(nothing.base_url, "sk_test_x") is None  # nothing to judge


SHARED = Path(os.environ.get("STRIPE_CONFORMANCE_SHARED") or CHECKOUT.parent / "shared")  # as tests/test_sources.py
STRIPE_MOCK = SHARED / "peers" / "stripe-mock" / "stripe-mock"


@pytest.mark.slow
def test_against_stripe_mock_the_run_says_once_that_state_is_not_kept_and_does_not_wait(tmp_path):
    found = binaries.find_stripe_mock(str(STRIPE_MOCK)) or binaries.find_stripe_mock()
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs stripe-mock: {binaries.STRIPE_MOCK_HINT}")
        pytest.skip(binaries.STRIPE_MOCK_HINT)
    result = run_suite("--target", "stripe-mock", "--stripe-mock-bin", found, "--features", "search", "--no-fuzz",
                       "--report", str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr  # every search shortfall is in its manifest
    assert result.stderr.count(runner.STATE_NOT_KEPT) == 1
    results = model.load(tmp_path / "results.json")
    searches = [item for item in results.items if "search" in item.features]
    # its profile's poll_timeout (1 s) bounds each scenario's wait (60 s in the scenario files)
    assert searches and max(item.duration for item in searches) < 15


def test_the_readme_table_and_docs_targets_are_generated_from_the_committed_results():
    """Regenerate with: stripe-conformance peers --update"""
    columns = compare.committed(CHECKOUT)
    assert len(columns) >= 3
    readme = (CHECKOUT / "README.md").read_text()
    assert markdown.extract_region(readme, compare.README_REGION) == compare.short_table(columns)
    expected = compare.render_markdown(columns, compare.NOTE, compare.remarks(CHECKOUT))
    assert (CHECKOUT / compare.DOCS_PAGE).read_text() == expected
    assert runner.STATE_NOT_KEPT in expected  # stripe-mock's, once
    assert "stripe-stateful-mock 0.0.16 has no POST /v1/payment_intents (" in expected
    for column in columns:
        assert column.results.gate.passed, column.title
        assert column.results.manifest and column.results.manifest.endswith("known-failures.yaml")


def test_the_committed_runs_include_the_fuzz_checks():
    for column in compare.committed(CHECKOUT):
        assert any(item.features == ["fuzz"] or "fuzz" in item.features for item in column.results.items), column.title
