"""``stripe-conformance serve`` as a user runs it (its own process, its announced URLs, its log), and the
app in process for quick exchanges."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import threading
import time

import httpx

SERVE = [sys.executable, "-m", "conformance.cli", "serve"]
ANNOUNCED = re.compile(r"reference server on (\S+)(?: and (\S+))?")


class Served:
    """``with Served("--port", "0") as s: s.http, s.https, s.lines``; stopped with SIGINT on the way out."""

    def __init__(self, *args: str, startup_timeout: float = 30):
        self.args = args
        self.startup_timeout = startup_timeout
        self.http = self.https = ""
        self.lines: list[str] = []
        self.returncode: int | None = None

    def __enter__(self) -> "Served":
        return self.start()

    def start(self) -> "Served":
        self.process = subprocess.Popen([*SERVE, *self.args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        announced = threading.Event()
        threading.Thread(target=self._drain, args=(announced,), daemon=True).start()
        if not announced.wait(self.startup_timeout) or not self.http:
            self.stop()
            raise RuntimeError(f"serve {' '.join(self.args)} did not start: {self.lines}")
        return self

    def _drain(self, announced: threading.Event) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            found = ANNOUNCED.search(line)
            if found and not self.http:
                self.http, self.https = found.group(1), found.group(2) or ""
                announced.set()
        announced.set()

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.returncode = self.process.returncode
        time.sleep(0.1)  # the drain thread takes the last lines
        return self.returncode

    def __exit__(self, *exc_info) -> None:
        self.stop()


def run_serve(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """A serve that is expected to refuse to start."""
    return subprocess.run([*SERVE, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def exchange(app, *calls):
    """Each (method, path, headers, form) in turn on ``app``; their responses."""

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
            return [await client.request(method, path, headers=headers, data=form) for method, path, headers, form in calls]

    return asyncio.run(go())


def assert_like_an_unknown_id(answer: httpx.Response, unknown: httpx.Response, ident: str) -> None:
    """``answer`` (for ``ident``) is what an id the server never made gets."""
    assert answer.status_code == unknown.status_code == 404
    error, expected = answer.json()["error"], unknown.json()["error"]
    assert error["code"] == "resource_missing"
    assert {**error, "message": error["message"].replace(ident, "pi_never_made")} == expected
