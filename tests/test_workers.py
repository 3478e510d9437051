"""``run --workers``: the default run against the bundled server is spread over two processes,
each with its own accounts there; a target the user gave keeps one unless asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from conformance import cli, launcher, options
from conformance.fuzz import existing
from conformance.session import TargetSession
from conformance.target import Keys

BUNDLED = SimpleNamespace(base_url="http://127.0.0.1:1")  # a BundledServer: no profile
PROFILE = SimpleNamespace(base_url="http://127.0.0.1:1", profile=object())  # a target profile's process


@pytest.fixture
def two_cpus(monkeypatch):
    monkeypatch.setattr(cli, "_cpus", lambda: 2)


def test_auto_is_two_workers_on_the_bundled_server(two_cpus):
    assert cli.spread(options.AUTO, BUNDLED, []) == ["-n", "2"]


def test_auto_is_one_process_unless_the_run_has_both_scenarios_and_fuzz_tests(two_cpus):
    # the scenarios alone take about two seconds: a second process would cost more to start; the
    # fuzz tests alone would leave a worker's account empty for its first tests
    assert cli.spread(options.AUTO, BUNDLED, [], both=False) == []
    assert cli.spread(2, BUNDLED, [], both=False) == ["-n", "2"]


def test_auto_is_one_process_on_one_cpu(monkeypatch):
    monkeypatch.setattr(cli, "_cpus", lambda: 1)
    assert cli.spread(options.AUTO, BUNDLED, []) == []


@pytest.mark.parametrize("server", [None, PROFILE], ids=["base-url", "profile"])
def test_auto_is_one_process_on_a_target_the_user_gave(two_cpus, server):
    assert cli.spread(options.AUTO, server, []) == []
    assert cli.spread(3, server, []) == ["-n", "3"]  # unless asked


@pytest.mark.parametrize("extra", [["-n", "0"], ["-n4"], ["--numprocesses=3"], ["-p", "no:xdist"], ["--pdb"],
                                   ["--dist", "loadfile"], ["-pno:xdist"]])
def test_the_user_s_own_pytest_arguments_decide(two_cpus, extra):
    assert cli.spread(options.AUTO, BUNDLED, extra) == []
    assert cli.spread(2, BUNDLED, extra) == []


def test_no_fuzz_and_names_starting_with_n_are_not_taken_for_dash_n(two_cpus):
    assert cli.spread(options.AUTO, BUNDLED, ["--no-fuzz", "-k", "n"]) == ["-n", "2"]


@pytest.mark.parametrize("text", ["0", "-1", "many"])
def test_workers_takes_a_positive_number_or_auto(text):
    with pytest.raises(ValueError, match="--workers"):
        options.workers(text)
    assert options.workers("AUTO") == options.AUTO and options.workers("3") == 3


def _session(keys: Keys | None) -> TargetSession:
    return TargetSession("http://127.0.0.1:1", keys, 10.0)


def test_each_worker_gets_its_own_accounts_on_the_default_keys():
    session = _session(Keys.derive(launcher.DEFAULT_SECRET_KEY, None, launcher.DEFAULT_OTHER_SECRET_KEY))
    session.own_accounts("gw1")
    assert session.keys == Keys("sk_test_conformance_gw1", "pk_test_conformance_gw1", "sk_test_conformance_other_gw1")


@pytest.mark.parametrize("keys", [Keys.derive("sk_test_mine", None, "sk_test_theirs"), None,
                                  Keys.derive(launcher.DEFAULT_SECRET_KEY, "pk_test_given",
                                              launcher.DEFAULT_OTHER_SECRET_KEY)])
def test_keys_the_run_was_given_are_kept(keys):
    session = _session(keys)
    session.own_accounts("gw1")
    assert session.keys == keys


def _exchange(key: str, status: int, body: dict):
    request = SimpleNamespace(headers={"Authorization": f"Bearer {key}"})
    return request, SimpleNamespace(status_code=status, json=lambda: body)


def test_fuzz_tests_learn_the_ids_of_every_answer_to_the_run_s_key(monkeypatch):
    monkeypatch.setattr(existing, "SEEN", existing.Seen())
    listener = existing.RunAnswers(SimpleNamespace(keys=Keys.derive("sk_test_run")))
    listener(*_exchange("sk_test_run", 200, {"id": "pi_fromascenario", "object": "payment_intent"}), False)
    listener(*_exchange("sk_test_other", 200, {"id": "pi_otheraccount", "object": "payment_intent"}), False)
    listener(*_exchange("sk_test_run", 400, {"id": "pi_refused", "object": "payment_intent"}), False)
    assert list(existing.SEEN.ids["pi_"]) == ["pi_fromascenario"]


@pytest.mark.slow
def test_the_default_run_spreads_over_two_workers_and_reports_once():
    if cli._cpus() < 2:
        pytest.skip("auto is one process on a machine with one CPU")
    result = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--seed", "3", "--fuzz-examples",
                             "2", "-k", "pi-capture or test_stateful_sequences or GET and payment_intents"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "2 workers [" in result.stdout
    assert sum(line.startswith("fuzz: ") and "requests sent" in line for line in result.stdout.splitlines()) == 1
    assert "fuzz: 2 stateful sequences" in result.stdout


@pytest.mark.slow
def test_the_scenarios_alone_run_in_one_process():
    result = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--no-fuzz", "-k", "retrieve"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "workers" not in result.stdout


@pytest.mark.slow
def test_the_fuzz_tests_alone_run_in_one_process():
    result = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--features", "fuzz", "--fuzz-examples",
                             "1", "-k", "GET and customers"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "workers" not in result.stdout


@pytest.mark.slow
def test_a_seed_drawn_at_random_is_the_same_in_every_worker(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "STRIPE_CONFORMANCE_SEED")}
    result = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--workers", "2", "--fuzz-examples", "1",
                             "--report", str(tmp_path), "-k", "pi-capture or GET and customers"],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "different seeds" not in result.stdout
    seed = json.loads((tmp_path / "results.json").read_text())["seed"]
    assert f"seed {seed} (replay with --seed {seed})" in result.stdout  # the fuzz: line names the workers' seed
