"""The benchmark's own reading of wrk's and py-spy's output (no timing is asserted anywhere)."""

from __future__ import annotations

import pytest

from benchmarks import profile, report, wrk
from benchmarks.runner import Run
from benchmarks.units import count

WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:8421
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.34ms    1.31ms  13.44ms   68.50%
  4483 requests in 3.00s, 9.92MB read
Requests/sec:   1494.33
BENCH-RESULT {"answers":4490,"elapsed_s":2.5,"statuses":{"200":4480,"400":10},"requests":4483,\
"duration_us":3003816,"errors":{"connect":0,"read":2,"write":0,"status":10,"timeout":0},\
"latency_us":{"mean":5338.8,"p50":5394,"p90":7204,"p99":8488,"max":13444}}
"""


def test_result_line_is_read_from_wrk_output():
    result = wrk.parse_output(WRK_OUTPUT)
    assert result.answers == 4490
    assert result.rate == pytest.approx(4490 / 2.5)  # the script's own clock, not wrk's 3 s
    assert result.statuses == {200: 4480, 400: 10}
    assert (result.succeeded, result.failed) == (4480, 10)
    assert result.latency_ms["p50"] == pytest.approx(5.394)
    assert result.latency_ms["p99"] == pytest.approx(8.488)
    assert result.socket_errors == {"read": 2}  # non-2xx answers are counted in statuses, not here


def test_output_without_a_result_line_is_an_error_quoting_it():
    with pytest.raises(wrk.WrkError, match="unable to connect"):
        wrk.parse_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_a_run_that_got_no_answer_has_no_rate():
    text = WRK_OUTPUT.replace('"answers":4490,"elapsed_s":2.5', '"answers":0,"elapsed_s":0')
    assert wrk.parse_output(text).rate == 0.0


def test_command_pins_wrk_and_passes_the_request_to_the_script(monkeypatch):
    monkeypatch.setattr(wrk, "ensure_wrk", lambda: "/usr/bin/wrk")
    argv = wrk.command("http://127.0.0.1:1", wrk.Request("POST", "/v1/x/{id}/confirm", ""), key="sk_test_k",
                       duration_s=2.6, ids_file="ids.txt", consume=True, cpu=1)
    assert argv[:4] == ["taskset", "-c", "1", "/usr/bin/wrk"]
    assert "-d3s" in argv
    script_args = argv[argv.index("--") + 1:]
    assert script_args == ["method=POST", "path=/v1/x/{id}/confirm", "key=sk_test_k", "body=", "ids=ids.txt",
                           "consume=1"]


@pytest.mark.parametrize("text, expected", [("0", 0), ("2500", 2500), ("10k", 10_000), ("1M", 1_000_000),
                                            ("1.5k", 1500)])
def test_counts_on_the_command_line(text, expected):
    assert count(text) == expected


COLLAPSED = """\
run (uvicorn/server.py:86);Handle._run (asyncio/events.py:80);run (reference_impl/app.py:50);new_id (reference_impl/ids.py:17);choice (random.py:378) 30
run (uvicorn/server.py:86);Handle._run (asyncio/events.py:80);run (reference_impl/app.py:50);parse (reference_impl/params.py:200);fullmatch (re/__init__.py:168) 20
run (uvicorn/server.py:86);Handle._run (asyncio/events.py:80);handle_events (uvicorn/protocols/http/h11_impl.py:200) 40
run (uvicorn/server.py:86);Handle._run (asyncio/events.py:80) 10
"""


def test_samples_are_charged_to_the_innermost_known_layer():
    stacks = profile.parse_collapsed(COLLAPSED.splitlines())
    assert [count for _, count in stacks] == [30, 20, 40, 10]
    layers = [profile.layer_of(frames) for frames, _ in stacks]
    assert layers[0].startswith("id generation")
    assert layers[1].startswith("parameter parsing")  # re, a stdlib module, counts for its caller
    assert layers[2].startswith("HTTP protocol")
    assert layers[3].startswith("event loop")


def test_profile_summary_gives_each_layer_its_share():
    summary = profile.summarise(profile.parse_collapsed(COLLAPSED.splitlines()))
    assert "100 samples" in summary
    assert "| HTTP protocol (uvicorn, h11, httptools) | 40.0% |" in summary
    assert "| choice (random.py) | 30.0% |" in summary


def _run(server: str, rate: float, p99: float, failed: int = 0, cpu_s: float = 0.0) -> Run:
    statuses = {200: int(rate)} | ({400: failed} if failed else {})
    result = wrk.Result(answers=int(rate) + failed, elapsed_s=1.0, statuses=statuses,
                        latency_ms={"mean": 1.0, "p50": 1.0, "p90": 1.0, "p99": p99, "max": p99})
    return Run("create", 10_000, server, 10_000, result, cpu_s)


def test_table_aggregates_rounds_and_gives_the_ratio():
    table = report.throughput_table([_run("ours", 1000, 5.0), _run("localstripe", 50, 80.0),
                                     _run("ours", 3000, 9.0), _run("localstripe", 150, 60.0, failed=2)])
    row = next(line for line in table.splitlines() if line.startswith("| create"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:3] == ["create", "10k", "10,000 / 10,000"]
    assert cells[3] == "2,000"  # 4000 answers over 2 s
    assert cells[4] == "1.0 / 9.0"  # median p50, worst p99
    assert cells[5] == "101 (2 non-2xx)"
    assert cells[7] == "19.8x"


def test_capacity_is_answers_per_second_of_server_cpu():
    table = report.capacity_table([_run("ours", 1000, 5.0, cpu_s=0.25), _run("localstripe", 100, 80.0, cpu_s=0.5),
                                   _run("ours", 1000, 5.0, cpu_s=0.25), _run("localstripe", 100, 80.0, cpu_s=0.5)])
    row = next(line for line in table.splitlines() if line.startswith("| create"))
    assert [cell.strip() for cell in row.strip("|").split("|")] == ["create", "10k", "4,000", "200", "20.0x"]


def test_capacity_without_cpu_figures_shows_none():
    table = report.capacity_table([_run("ours", 1000, 5.0)], peers=["localstripe"])
    assert "| create | 10k | - | - | - |" in table


def test_tables_give_a_column_and_a_ratio_per_peer():
    runs = [_run("ours", 1000, 5.0, cpu_s=0.25), _run("localstripe", 100, 80.0, cpu_s=0.5),
            _run("stripe-mock", 500, 2.0, cpu_s=0.1)]
    capacity = next(line for line in report.capacity_table(runs).splitlines() if line.startswith("| create"))
    assert [cell.strip() for cell in capacity.strip("|").split("|")] == [
        "create", "10k", "4,000", "200", "5,000", "20.0x", "0.8x"]
    throughput = next(line for line in report.throughput_table(runs).splitlines() if line.startswith("| create"))
    assert [cell.strip() for cell in throughput.strip("|").split("|")][-3:] == ["500", "1.0 / 2.0", "2.0x"]


def test_stripe_mock_is_found_by_option_then_environment_then_path(tmp_path, monkeypatch):
    from conformance.peers import binaries

    def executable(name: str) -> str:
        path = tmp_path / name / "stripe-mock"
        path.parent.mkdir()
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
        return str(path)

    on_path, in_env, given = executable("path"), executable("env"), executable("option")
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    monkeypatch.delenv(binaries.STRIPE_MOCK_ENV, raising=False)
    assert binaries.find_stripe_mock(None) == on_path
    monkeypatch.setenv(binaries.STRIPE_MOCK_ENV, in_env)
    assert binaries.find_stripe_mock(None) == in_env
    assert binaries.find_stripe_mock(given) == given
    assert binaries.find_stripe_mock(str(tmp_path / "missing")) is None  # a named file that is not there: none


def test_without_stripe_mock_the_benchmark_says_how_to_get_one(tmp_path, monkeypatch, capsys):
    from benchmarks import cli
    from conformance.peers import binaries

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(binaries.STRIPE_MOCK_ENV, raising=False)
    monkeypatch.setattr(cli.wrk, "ensure_wrk", lambda: "wrk")
    assert cli.main(["run", "--servers", "stripe-mock", "--levels", "0", "--no-suite"]) == cli.USAGE_ERROR
    out, err = capsys.readouterr()
    assert out.strip() == f"skipping stripe-mock: {binaries.STRIPE_MOCK_HINT}"
    assert "stripe/stripe-mock" in out and err.strip() == "--servers: nothing left to run"
    assert cli.main(["run", "--stripe-mock-bin", str(tmp_path / "nope"), "--levels", "0"]) == cli.USAGE_ERROR
    assert "not an executable file" in capsys.readouterr().err
