"""Wall time of ``stripe-conformance run`` against the bundled reference server."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

USAGE_ERROR = 4  # pytest's exit code for options it does not know
RUNS = {
    "scenarios alone (--no-fuzz)": ["--no-fuzz"],
    "default run (scenarios and fuzzing)": [],
}


@dataclass
class SuiteTiming:
    label: str
    seconds: float | None
    exit_code: int
    summary: str  # pytest's closing line, or why there is no time


def program() -> str:
    beside = Path(sys.executable).with_name("stripe-conformance")
    return str(beside) if beside.exists() else (shutil.which("stripe-conformance") or "stripe-conformance")


def time_runs(timeout_s: float = 900) -> list[SuiteTiming]:
    return [time_run(label, extra, timeout_s) for label, extra in RUNS.items()]


def time_run(label: str, extra: list[str], timeout_s: float) -> SuiteTiming:
    argv = [program(), "run", "-q", "-p", "no:cacheprovider", *extra]
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode == USAGE_ERROR and extra:
        return SuiteTiming(label, None, done.returncode, f"`{' '.join(extra)}` is not an option of this version")
    return SuiteTiming(label, seconds, done.returncode, lines[-1].strip("= ") if lines else done.stderr.strip()[-200:])
