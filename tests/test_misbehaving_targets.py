"""The suite against targets that misbehave, and runs that are cut short: a verdict or a clear
error every time, never a hang, never an orphaned server. Each target is a stand-in server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # whole runs against stand-ins that misbehave, timeouts and signals

CLI = [sys.executable, "-m", "conformance.cli"]
TWO_SCENARIOS = "pi-retrieve-by-id or pi-retrieve-unknown-id"  # ids never change
EMPTY_LIST = b'{"object": "list", "data": [], "has_more": false, "url": "/v1/payment_intents"}'


def run_cli(*args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    result = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)
    return result, time.monotonic() - start


def harness_errors(output: str) -> int:
    """How many failures were reported as harness errors: counted on the report's own lines, as
    the ``-ra`` summary repeats them only when the terminal is wide enough."""
    return sum(line.startswith("HARNESS ERROR (no verdict on the target)") for line in output.splitlines())


class StandIn:
    """An HTTP server answering every request with ``answer(handler)``; stopped with the fixture."""

    def __init__(self, answer):
        self.released = threading.Event()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                answer(self, stand_in)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer(self, stand_in)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()  # shutdown() waits one poll

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def reply(handler: BaseHTTPRequestHandler, body: bytes, content_type: str = "application/json") -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def stand_in():
    servers = []

    def start(answer):
        servers.append(StandIn(answer))
        return servers[-1].url

    yield start
    for server in servers:
        server.close()


def test_a_target_that_answers_the_probe_then_hangs_times_out_request_by_request(stand_in):
    def probe_only(handler, server):
        if handler.path.endswith("?limit=1"):
            reply(handler, EMPTY_LIST)
        else:
            server.released.wait(60)  # accept the request, never answer it

    url = stand_in(probe_only)
    result, elapsed = run_cli("run", "--base-url", url, "--timeout", "1", "-k", TWO_SCENARIOS, "--no-fuzz")
    assert result.returncode == 1, result.stdout + result.stderr
    assert elapsed < 60
    assert "2 errors" in result.stdout  # harness errors: pytest counts them as errors, not failures
    assert harness_errors(result.stdout) == 2
    assert f"no answer from {url}/v1/payment_intents within 1 s" in result.stdout


def test_a_target_that_never_answers_at_all_stops_the_run_at_the_probe():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    url = "http://127.0.0.1:%d" % listener.getsockname()[1]
    try:
        result, elapsed = run_cli("run", "--base-url", url, "--timeout", "1")
    finally:
        listener.close()
    assert result.returncode == 2
    assert elapsed < 30
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert lines == [f"stripe-conformance: cannot use target {url}: no answer within 1 s"]


@pytest.mark.parametrize("content_type, body", [
    ("text/html", b"<html><head><title>Welcome to nginx!</title></head><body>It works</body></html>"),
    ("application/json", b'{"id": "pi_123", "object": "payment_in'),
])
def test_a_target_answering_something_else_than_json_fails_quoting_the_body(stand_in, content_type, body):
    """Stripe always answers JSON: anything else is the target failing, not an error of the harness."""
    url = stand_in(lambda handler, server: reply(handler, body, content_type))
    result, _ = run_cli("run", "--base-url", url, "-k", TWO_SCENARIOS, "--no-fuzz")
    assert result.returncode == 1, result.stdout + result.stderr
    assert harness_errors(result.stdout) == 0 and "2 failed" in result.stdout
    assert f"body: not JSON ({content_type})" in result.stdout
    assert repr(body.decode()[:40])[:-1] in result.stdout  # the start of the body, quoted


def test_a_run_without_a_second_accounts_key_skips_the_isolation_scenarios(reference_server):
    result, _ = run_cli("run", "--base-url", reference_server.base_url, "--api-key", "sk_test_alone",
                        "-k", "iso-", "-rs", "--no-fuzz")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 skipped" in result.stdout
    assert "not applicable (4): needs --other-api-key (a second account's secret key): iso-" in result.stdout


# ---------------------------------------------------------------- interrupted runs


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited; only its parent's bookkeeping is left


def start_bundled_run() -> tuple[subprocess.Popen, int, int]:
    """``stripe-conformance run`` with the bundled server, once the server is up: (runner, server pid, port)."""
    runner = subprocess.Popen([*CLI, "run", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    for line in runner.stderr:
        if "bundled reference server on" in line:
            port = int(line.rsplit(":", 1)[1])
            break
        assert time.monotonic() < deadline, "the bundled server did not start"
    else:
        pytest.fail(f"the run ended before starting its server (exit {runner.wait()})")
    servers = [pid for pid in children(runner.pid) if "reference_impl" in Path(f"/proc/{pid}/cmdline").read_text()]
    assert len(servers) == 1
    return runner, servers[0], port


def wait_until_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not running(pid)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finding the server's process needs /proc (Linux)")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_stops_its_bundled_server(sig):
    runner, server, port = start_bundled_run()
    try:
        os.kill(runner.pid, sig)
        runner.wait(timeout=30)
        assert runner.returncode != 0
        assert wait_until_gone(server, 5), "the bundled server outlived the interrupted run"
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
    finally:
        runner.kill()
        runner.wait()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finding the server's process needs /proc (Linux)")
def test_a_killed_run_leaves_no_server_behind():
    runner, server, _ = start_bundled_run()
    try:
        runner.kill()  # SIGKILL: the runner cleans nothing up; the server notices its stdin close
        runner.wait()
        assert wait_until_gone(server, 10), "the bundled server outlived its killed runner"
    finally:
        if running(server):
            os.kill(server, signal.SIGKILL)
