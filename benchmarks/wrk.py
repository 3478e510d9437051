"""wrk, the load generator: installing it, running one workload, reading its result.

Every workload runs the same Lua script (``lua/bench.lua``) with arguments saying which
request to send; the script prints one ``BENCH-RESULT {json}`` line, read by
:func:`parse_output`. Throughput is measured by the script (first request to last
answer) because wrk keeps its clock running after a thread stops early.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = Path(__file__).with_name("lua") / "bench.lua"
RESULT_MARK = "BENCH-RESULT "
REQUEST_TIMEOUT = "60s"  # a slow list on a full localstripe must count as slow, not as a timeout


class WrkError(RuntimeError):
    pass


@dataclass(frozen=True)
class Request:
    """One request shape: ``{id}`` in the path stands for the next target id."""

    method: str
    path: str
    body: str | None = None


@dataclass(frozen=True)
class Result:
    answers: int
    elapsed_s: float
    statuses: dict[int, int]
    latency_ms: dict[str, float]  # mean, p50, p90, p99, max
    socket_errors: dict[str, int] = field(default_factory=dict)
    client_cpu_s: float = 0.0  # CPU time wrk used: near the elapsed time, the client was the limit

    @property
    def rate(self) -> float:
        return self.answers / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def succeeded(self) -> int:
        return sum(count for status, count in self.statuses.items() if 200 <= status < 300)

    @property
    def failed(self) -> int:
        return self.answers - self.succeeded

    def to_json(self) -> dict:
        return {"answers": self.answers, "elapsed_s": self.elapsed_s, "rate": round(self.rate, 1),
                "statuses": {str(k): v for k, v in self.statuses.items()}, "latency_ms": self.latency_ms,
                "socket_errors": self.socket_errors, "client_cpu_s": round(self.client_cpu_s, 3)}


def parse_output(text: str) -> Result:
    """The result line the Lua script printed (the last one, if wrk printed several)."""
    lines = [line for line in text.splitlines() if line.startswith(RESULT_MARK)]
    if not lines:
        raise WrkError(f"wrk printed no result line; its output was:\n{text.strip()[:2000]}")
    raw = json.loads(lines[-1][len(RESULT_MARK):])
    latency = {name: value / 1000.0 for name, value in raw["latency_us"].items()}
    return Result(
        answers=raw["answers"],
        elapsed_s=raw["elapsed_s"],
        statuses={int(code): count for code, count in raw["statuses"].items()},
        latency_ms=latency,
        socket_errors={name: count for name, count in raw["errors"].items() if name != "status" and count},
    )


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package first when it is missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise WrkError("wrk is not installed: run `apt-get install -y wrk` (as root) and try again")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
             "env": {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}}
    if subprocess.run(["apt-get", "install", "-y", "wrk"], **quiet).returncode != 0:
        subprocess.run(["apt-get", "update"], **quiet)  # an empty or stale package list
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, **quiet)
    found = shutil.which("wrk")
    if not found:
        raise WrkError("`apt-get install -y wrk` did not install wrk")
    return found


def command(base_url: str, request: Request, *, key: str, duration_s: float, connections: int = 8,
            ids_file: Path | None = None, consume: bool = False, capture_file: Path | None = None,
            limit: int | None = None, cpu: int | None = None) -> list[str]:
    args = [f"method={request.method}", f"path={request.path}", f"key={key}"]
    if request.body is not None:
        args.append(f"body={request.body}")
    if ids_file is not None:
        args += [f"ids={ids_file}", f"consume={int(consume)}"]
    if capture_file is not None:
        args.append(f"capture={capture_file}")
    if limit is not None:
        args.append(f"limit={limit}")
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    return [*pin, ensure_wrk(), "-t1", f"-c{connections}", f"-d{max(1, round(duration_s))}s",
            f"--timeout={REQUEST_TIMEOUT}", "-s", str(SCRIPT), base_url, "--", *args]


def run(base_url: str, request: Request, **options) -> Result:
    argv = command(base_url, request, **options)
    duration = options["duration_s"]
    before = _children_cpu_s()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 120)
    if done.returncode != 0:
        raise WrkError(f"wrk exited with {done.returncode}: {done.stderr.strip() or done.stdout.strip()}")
    return dataclasses.replace(parse_output(done.stdout), client_cpu_s=_children_cpu_s() - before)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
