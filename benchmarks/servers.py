"""The servers under benchmark, each in its own process on a loopback port, pinned to a core."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from conformance.launcher import terminate

STARTUP_TIMEOUT_S = 30.0


class ServerError(RuntimeError):
    pass


@dataclass
class Server:
    """``argv`` may contain ``{port}``; ``key`` is a secret key the server accepts.

    ``wrapper`` is a command prefix run before the core pinning (it must exec what follows).
    """

    name: str
    argv: list[str]
    key: str
    cpu: int | None = None
    wrapper: list[str] = field(default_factory=list)
    scratch: str | None = None  # a directory of the server's own, removed when it stops
    stateless: bool = False  # stores nothing (stripe-mock): not filled, no memory per object
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    process: subprocess.Popen | None = None
    base_url: str = ""
    log_path: str = ""

    def start(self) -> "Server":
        port = _free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        pin = ["taskset", "-c", str(self.cpu)] if self.cpu is not None else []
        argv = [*self.wrapper, *pin, *(part.replace("{port}", str(port)) for part in self.argv)]
        log = tempfile.NamedTemporaryFile(prefix=f"bench-{self.name}-", suffix=".log", delete=False)
        self.log_path = log.name
        with log:
            # every wrapper (taskset, unshare, sh) execs the next, so the pid is the server's own
            self.process = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                            cwd=self.cwd, env={**os.environ, **self.env})
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                requests.get(f"{self.base_url}/v1/payment_intents", auth=(self.key, ""), timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise ServerError(f"{self.name} did not answer within {STARTUP_TIMEOUT_S:g} s; see {self.log_path}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_bytes(self) -> int:
        """Resident memory of the server process now."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise ServerError(f"no VmRSS for {self.name} (pid {self.pid})")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far.

        Requests per CPU-second is what one free core would serve: unlike wall-clock
        throughput, it barely moves when other work shares the machine.
        """
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process, grace_s=10)
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def reference(cpu: int | None, source: str | None = None, python: str | None = None, db: bool = False,
              alone: bool = True) -> Server:
    """``python -m reference_impl``, from ``source`` (another checkout) and with another
    interpreter (another venv) when given; with ``db``, on the durable store (``--db``) in a
    file of its own, named ``ours-db`` unless it runs ``alone`` (as ``ours``).

    Logging at ``warning``, as the bundled server runs for the suite: per-request log lines
    are a debugging aid, not part of what a mock's throughput should include.
    """
    env = {"PYTHONPATH": source} if source else {}
    argv = [python or sys.executable, "-m", "reference_impl", "--port", "{port}", "--log-level", "warning"]
    scratch = tempfile.mkdtemp(prefix="bench-ours-db-") if db else None
    if scratch:
        argv += ["--db", str(Path(scratch) / "bench.db")]
    return Server("ours-db" if db and not alone else "ours", argv, key="sk_test_bench", cpu=cpu, env=env, cwd=source,
                  scratch=scratch)


def localstripe(cpu: int | None) -> Server:
    """localstripe, which pickles its whole store to /tmp/localstripe.pickle on every write.

    As root it gets a private /tmp (a mount namespace), so that file is its own and not
    shared with anyone else's localstripe; the file system underneath stays the same disk.
    """
    program = shutil.which("localstripe", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if program is None:
        raise ServerError("localstripe is not installed: pip install -e '.[bench]'")
    server = Server("localstripe", [program, "--port", "{port}", "--from-scratch"], key="sk_test_bench", cpu=cpu)
    if _can_unshare():
        server.scratch = tempfile.mkdtemp(prefix="bench-localstripe-tmp-")
        server.wrapper = ["unshare", "--mount", "--propagation", "private",
                          "sh", "-c", 'mount --bind "$0" /tmp && exec "$@"', server.scratch]
    return server


def stripe_mock(cpu: int | None, program: str) -> Server:
    """stripe-mock (Go), stateless: every create answers a fixture, every id is "found".

    Pinned to one core, the Go runtime sees one CPU (GOMAXPROCS follows the affinity mask), as
    the reference server has one event loop. Its HTTPS listener (it always starts one) takes any
    free port, unused. It logs every request to its standard output (no option turns that off):
    to the server's log file here, as it would to a container's log.
    """
    return Server("stripe-mock", [program, "-http-addr", "127.0.0.1:{port}", "-https-addr", "127.0.0.1:0"],
                  key="sk_test_bench", cpu=cpu, stateless=True)


def _can_unshare() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0
