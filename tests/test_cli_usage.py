"""Usage of ``stripe-conformance``: the documented exit codes on every path, one option table
behind ``run --help`` and the pytest plugin, and ``list`` by feature.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

from conformance import options, selection
from conformance.scenario import load_all

CLI = [sys.executable, "-m", "conformance.cli"]


def run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args", [("run", "--timeout", "abc"), ("no-such-command",), ("list", "--nope"), ()],
                         ids=["bad-value", "unknown-command", "unknown-list-option", "no-command"])
def test_argparse_usage_errors_exit_4(args):
    result = run_cli(*args)
    assert result.returncode == 4, result.stderr
    assert "error:" in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_feature_is_refused_with_the_known_ones_before_anything_starts():
    result = run_cli("run", "--features", "captur")
    assert result.returncode == 4
    assert result.stderr.splitlines() == [
        f"stripe-conformance: unknown feature captur; known features: {', '.join(selection.known_features())}"]


def test_an_invalid_environment_value_is_a_usage_error():
    result = run_cli("run", env={"STRIPE_CONFORMANCE_TIMEOUT": "soon"})
    assert result.returncode == 4
    assert len(result.stderr.splitlines()) == 1 and "soon" in result.stderr


@pytest.mark.slow
def test_a_selection_that_matches_nothing_is_a_usage_error():
    result = run_cli("run", "--no-fuzz", "-k", "no-scenario-is-called-this")
    assert result.returncode == 4
    assert "no scenario or check matches the selection" in result.stderr


@pytest.mark.slow
def test_the_fuzz_feature_selects_the_fuzz_checks_and_only_them():
    result = run_cli("run", "--features", "fuzz", "--collect-only", "-q")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    assert ids and all(line.startswith("test_fuzz.py::") for line in ids)


def test_ctrl_c_while_starting_exits_2():
    with socket.socket() as silent:  # accepts connections (the backlog) but never answers: the probe waits
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        runner = subprocess.Popen([*CLI, "run", "--base-url", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        silent.settimeout(60)
        connection, _ = silent.accept()  # the probe has connected: the run is starting
        runner.send_signal(signal.SIGINT)
        out, err = runner.communicate(timeout=30)
        connection.close()
    assert runner.returncode == 2, err
    assert err.strip() == "stripe-conformance: interrupted"


def test_run_help_shows_every_option_of_the_table_grouped_with_its_default():
    text = run_cli("run", "--help").stdout
    for option in options.OPTIONS:
        assert option.flag in text
        if option.env:
            assert option.env in text.replace("\n", "").replace(" ", ""), option.env
    for title in options.GROUPS.values():
        assert f"\n{title}:\n" in text
    assert "(default: 10)" in text  # --fuzz-examples and --timeout


@pytest.mark.slow
def test_the_pytest_plugin_registers_the_same_rows(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    for option in options.OPTIONS:  # ours, pytest-base-url's --base-url and pytest's own --strict
        if option.owner == options.RUN_ONLY:  # --target starts the target before pytest: `run` reads it
            assert f"{option.flag} " not in result.stdout, option.flag
        else:
            assert f"{option.flag}" in result.stdout, option.flag


def test_list_filters_by_feature_with_a_header_and_a_count():
    result = run_cli("list", "--features", "capture", "--skip-features", "errors")
    lines = result.stdout.splitlines()
    expected = [s.id for s in load_all() if "capture" in s.features and "errors" not in s.features]
    assert lines[0].split() == ["id", "features", "title"]
    assert [line.split()[0] for line in lines[1:-1]] == expected
    assert lines[-1] == f"{len(expected)} scenarios"
    title_column = {line.index(line.split(maxsplit=2)[2]) for line in lines[1:-1]}
    assert len(title_column) == 1  # aligned


def test_list_features_list_counts_scenarios_per_feature():
    lines = run_cli("list", "--features-list").stdout.splitlines()
    counts = selection.feature_counts()
    rows = {line.split()[0]: line.split(maxsplit=1)[1] for line in lines[1:-1]}
    assert {name: int(count) for name, count in rows.items() if name != "fuzz"} == dict(counts)
    assert rows["fuzz"] == "the fuzz checks" and lines[-1] == f"{len(counts) + 1} features"


def test_list_into_a_closed_pipe_is_quiet():
    """`stripe-conformance list | head -1`: the reader closes early; no traceback follows."""
    listing = subprocess.Popen([*CLI, "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    listing.stdout.readline()
    listing.stdout.close()
    err = listing.stderr.read().decode()
    assert listing.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_feature_tags_are_checked_without_reading_a_scenario(monkeypatch):
    # The controller of a two-worker run collects nothing: reading every scenario there only delayed
    # the workers. Tags are checked against the closed list, scenarios/features.yaml.
    import conformance.scenario

    def unread():
        raise AssertionError("the scenarios were read")

    monkeypatch.setattr(conformance.scenario, "load_all", unread)
    selection.check(None, "", " , ")
    selection.check("capture", "fuzz")
    with pytest.raises(selection.UnknownFeature, match="unknown feature captur;"):
        selection.check("captur")
