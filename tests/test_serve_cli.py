"""``serve`` on everyday mistakes and stops: one line and exit 4, or a quiet stop; never a traceback."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from served import Served, run_serve

pytestmark = pytest.mark.slow  # each test starts `serve` as its own process

USAGE = 4


def one_line_refusal(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == USAGE, result.stdout + result.stderr
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0] and "reference server on" not in lines[0]
    return lines[0]


@pytest.fixture
def busy_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_busy_port_is_one_line_and_exit_4_with_no_success_line_before_it(busy_port):
    line = one_line_refusal(run_serve("--port", str(busy_port)))
    assert f"port {busy_port} on 127.0.0.1 is already in use" in line


def test_a_busy_https_port_is_refused_before_anything_is_announced(busy_port):
    line = one_line_refusal(run_serve("--port", "0", "--https-port", str(busy_port)))
    assert f"port {busy_port}" in line and "--https-port" in line


@pytest.mark.parametrize("flag, value, says", [
    ("--port", "99999", "99999 is not a TCP port"),
    ("--port", "-1", "-1 is not a TCP port"),
    ("--port", "http", "not a port number"),
    ("--https-port", "70000", "70000 is not a TCP port"),
    ("--max-objects", "0", "at least 1"),
    ("--log-format", "xml", "invalid choice"),
    ("--fd", "99", "not a listening socket"),
])
def test_bad_option_values_are_refused_with_one_line(flag, value, says):
    line = one_line_refusal(run_serve(flag, value))
    assert flag in line and says in line


def test_the_port_actually_bound_is_announced_for_port_0():
    with Served("--port", "0") as served:
        port = int(served.http.rsplit(":", 1)[1])
        assert port != 0
        assert requests.get(f"{served.http}/_conformance/health", timeout=5).status_code == 200


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_sigterm_stop_it_quietly_with_exit_0(sig):
    served = Served("--port", "0")
    with served:
        requests.get(f"{served.http}/v1/payment_intents", auth=("sk_test_quiet", ""), timeout=5)
        assert served.stop(sig) == 0
    assert not [line for line in served.lines if "Traceback" in line or "Error" in line], served.lines


def test_ctrl_c_with_https_stops_both_listeners_quietly_even_with_idle_clients(tmp_path):
    served = Served("--port", "0", "--https-port", "0", "--ca-out", str(tmp_path / "ca.pem"))
    with served, requests.Session() as pooled, requests.Session() as plain:
        # each session keeps its connection open, idle, as SDK clients do between calls
        assert pooled.get(f"{served.https}/_conformance/health", verify=str(tmp_path / "ca.pem"), timeout=5).ok
        assert plain.get(f"{served.http}/_conformance/health", timeout=5).ok
        assert served.stop() == 0  # not killed after Served's 15 s wait: the idle TLS client held nothing up
    assert not [line for line in served.lines if "Traceback" in line], served.lines


def test_db_in_a_missing_directory(tmp_path):
    line = one_line_refusal(run_serve("--port", "0", "--db", str(tmp_path / "nowhere" / "stripe.db")))
    assert "does not exist" in line


def test_db_that_is_a_directory(tmp_path):
    assert "is a directory" in one_line_refusal(run_serve("--port", "0", "--db", str(tmp_path)))


def test_db_that_is_not_a_database(tmp_path):
    corrupt = tmp_path / "stripe.db"
    corrupt.write_bytes(b"this is not SQLite" * 400)
    assert "not a database of this server" in one_line_refusal(run_serve("--port", "0", "--db", str(corrupt)))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes read-only files anyway: the read-only --db case needs a normal user")
def test_db_that_is_read_only(tmp_path):
    db = tmp_path / "stripe.db"
    sqlite3.connect(db).close()
    db.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        assert "cannot write" in one_line_refusal(run_serve("--port", "0", "--db", str(db)))
    finally:
        tmp_path.chmod(0o755)


def test_db_on_a_read_only_mount_as_root(tmp_path):
    """Root ignores file modes; a read-only bind mount (where unshare works) is the real case."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("needs root on Linux to make a read-only mount (the normal-user case is the test above)")
    db = tmp_path / "stripe.db"
    sqlite3.connect(db).close()
    script = (f"mount --bind {tmp_path} {tmp_path} && mount -o remount,ro,bind {tmp_path} && "
              f"exec {sys.executable} -m conformance.cli serve --port 0 --db {db}")
    result = subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True, timeout=30,
                            stdin=subprocess.DEVNULL)
    if "unshare" in result.stderr and result.returncode != USAGE:
        pytest.skip(f"cannot make a read-only mount here: {result.stderr.strip()}")
    assert "cannot write" in one_line_refusal(result)


@pytest.mark.parametrize("args, says", [
    (("--cert", "{tmp}/missing.pem", "--key", "{tmp}/missing.key"), "cannot read it"),
    (("--cert", "{tmp}/garbage.pem", "--key", "{tmp}/garbage.pem"), "not a PEM certificate"),
    (("--cert", "{tmp}/garbage.pem"), "--cert and --key go together"),
    (("--port", "0", "--ca-out", "{tmp}/nowhere/ca.pem"), "--ca-out"),
])
def test_an_unusable_certificate_is_one_line_and_exit_4(tmp_path, args, says):
    (tmp_path / "garbage.pem").write_text("not a certificate\n")
    line = one_line_refusal(run_serve(*(arg.replace("{tmp}", str(tmp_path)) for arg in args)))
    assert says in line


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "conformance.cli", "serve", "--help"],
    [sys.executable, "-m", "reference_impl", "--help"],
])
def test_help_shows_every_option_with_its_default(command):
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for shown in ("--host", "(default: 127.0.0.1)", "--port", "(default: 12111)", "--https-port",
                  "(default: 12112 when HTTPS is asked for)", "--cert", "--key", "--ca-out", "--db",
                  "--max-objects", "(default: no bound)", "--no-reset", "--log-format", "(default: text)",
                  "--log-level", "(default: info)"):
        assert shown in text, shown


def test_the_serving_docs_option_table_matches_serve_help():
    """Every option docs/serving.md's "Using it as your mock" table documents is one serve takes, and back."""
    serving = (Path(__file__).parent.parent / "docs" / "serving.md").read_text()
    section = serving[serving.index("## Using it as your mock"):]
    documented = set(re.findall(r"^\| `(--[a-z-]+)[ `]", section, re.M))
    documented |= set(re.findall(r"^\| `--cert`, `(--key)`", section, re.M))
    result = subprocess.run([sys.executable, "-m", "conformance.cli", "serve", "--help"], capture_output=True,
                            text=True, timeout=30)
    offered = set(re.findall(r"^\s+(--[a-z-]+)", result.stdout, re.M)) - {"--help", "--fd", "--stop-on-stdin-eof"}
    assert documented == offered


def test_python_m_reference_impl_refuses_alike():
    result = subprocess.run([sys.executable, "-m", "reference_impl", "--port", "99999"], capture_output=True,
                            text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert one_line_refusal(result).startswith("python -m reference_impl: argument --port: 99999 is not a TCP port")
