"""Start the bundled reference server as the default target.

The only module of the suite that knows the reference implementation exists, and it
knows it only as a program to run: the server runs in its own process on a loopback
socket bound here (so the port is free and known before the server starts) and is
reached over HTTP like any other target.

The server never outlives its launcher: it is stopped on the way out (normal exit,
Ctrl-C, SIGTERM), and should the launcher die without cleaning up (SIGKILL), the pipe
it holds as the server's standard input closes and the server stops itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests

DEFAULT_SECRET_KEY = "sk_test_conformance"
DEFAULT_OTHER_SECRET_KEY = "sk_test_conformance_other"


class LaunchError(RuntimeError):
    pass


class BundledServer:
    """``with BundledServer() as server: server.base_url``"""

    def __init__(self, startup_timeout: float = 15.0, extra_args: tuple[str, ...] = ()):
        self.startup_timeout = startup_timeout
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None
        self.base_url = ""
        self.log_path = ""

    def start(self) -> "BundledServer":
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1024)
        host, port = listener.getsockname()[:2]
        self.base_url = f"http://{host}:{port}"
        log = tempfile.NamedTemporaryFile(prefix="stripe-conformance-server-", suffix=".log", delete=False)
        self.log_path = log.name
        command = [sys.executable, "-m", "reference_impl", "--fd", str(listener.fileno()), "--log-level", "warning",
                   "--stop-on-stdin-eof", *self.extra_args]
        try:
            self.process = subprocess.Popen(command, pass_fds=(listener.fileno(),), stdout=log, stderr=log,
                                            stdin=subprocess.PIPE, env=_child_env())
        finally:
            listener.close()
            log.close()
        try:
            self._wait_until_ready()
        except BaseException:  # Ctrl-C while starting must not leave the server behind either
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self._startup_error(f"exited with code {self.process.returncode}")
            try:
                requests.get(self.base_url + "/v1/payment_intents", timeout=1)  # any HTTP answer will do
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise self._startup_error(f"did not answer within {self.startup_timeout:g} s")

    def _startup_error(self, what: str) -> Exception:
        return LaunchError(f"the reference server {what}; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None:
            return
        terminate(self.process, grace_s=5)
        self.process.stdin.close()

    def __enter__(self) -> "BundledServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def terminate(process: subprocess.Popen, grace_s: float) -> None:
    """Stop a server process: SIGTERM (a graceful shutdown), then SIGKILL after ``grace_s`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
