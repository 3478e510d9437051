"""The command line as a user runs it: a real process, real exit codes, one clear line."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest

CLI = [sys.executable, "-m", "conformance.cli"]


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


def test_nothing_listening_exits_2_with_one_line_within_10_seconds():
    start = time.monotonic()
    result = run_cli("run", "--base-url", "http://127.0.0.1:1")
    assert result.returncode == 2
    assert time.monotonic() - start < 10
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert lines == ["stripe-conformance: cannot use target http://127.0.0.1:1: connection refused "
                     "(nothing is listening there)"]


@pytest.fixture
def not_http_server():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def answer():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(1024)
            conn.sendall(b"SSH-2.0-OpenSSH_9.0\r\n")
            conn.close()

    threading.Thread(target=answer, daemon=True).start()
    yield "http://127.0.0.1:%d" % listener.getsockname()[1]
    listener.close()


def test_a_server_that_does_not_speak_http_exits_2(not_http_server):
    result = run_cli("run", "--base-url", not_http_server)
    assert result.returncode == 2
    assert result.stderr.strip() == f"stripe-conformance: cannot use target {not_http_server}: the server does not speak HTTP"


@pytest.mark.slow
def test_run_against_a_separately_served_reference_server(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Its log goes to a file: a pipe nobody reads while the run goes on fills up and stalls the server.
    log = tmp_path / "server.log"
    with log.open("w") as sink:
        server = subprocess.Popen([*CLI, "serve", "--port", str(port)], stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        junit = tmp_path / "junit.xml"
        result = run_cli("run", "--base-url", f"http://127.0.0.1:{port}", "--api-key", "sk_test_cli",
                         "-k", "capture", f"--junitxml={junit}")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "passed" in result.stdout
        assert 'name="pi-capture-partial-amount"' in junit.read_text()
    finally:
        server.terminate()
        server.wait(timeout=10)
    # one log line per request, naming method, path, status and request id
    assert "POST /v1/payment_intents 200 req_" in log.read_text()


@pytest.mark.slow
def test_run_with_no_target_starts_and_stops_the_bundled_server():
    result = run_cli("run", "-k", "retrieve", "-q", "--no-fuzz")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bundled reference server on http://127.0.0.1:" in result.stderr
    url = result.stderr.split("bundled reference server on ")[1].split()[0]
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the bundled server outlived the run"


def test_list_names_every_scenario_by_id():
    result = run_cli("list")
    assert result.returncode == 0
    assert "pi-capture-partial-amount" in result.stdout
