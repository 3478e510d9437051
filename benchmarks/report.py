"""The benchmark's tables (Markdown), the machine it ran on, and the raw figures (JSON)."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import subprocess
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

from benchmarks.runner import WORKLOADS, Memory, Outcome, Run, Settings
from benchmarks.suite import SuiteTiming

OURS = "ours"


def machine(load_before: tuple[float, ...], stripe_mock: str | None = None) -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), 0)
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": f"{os.cpu_count()} x {cpu}",
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "wrk": _first_line(["wrk", "--version"]),
        "localstripe": _version("localstripe"),
        "stripe-mock": f"{stripe_mock} ({_first_line([stripe_mock, '-version'])})" if stripe_mock else "not run",
        "load average (1, 5, 15 min) before / after": (
            f"{' '.join(f'{x:.2f}' for x in load_before)} / {' '.join(f'{x:.2f}' for x in os.getloadavg())}"),
    }


def markdown(settings: Settings, outcome: Outcome, suite: list[SuiteTiming], about: dict[str, str],
             command: str) -> str:
    parts = ["## Machine", "", *(f"- {name}: {value}" for name, value in about.items()),
             f"- command: `{command}`",
             f"- settings: wrk 1 thread, {settings.connections} connections, {settings.duration_s:g} s per run, "
             f"{settings.rounds} rounds alternating the servers; servers pinned to core {settings.server_cpu}, "
             f"wrk to core {settings.client_cpu}", "",
             "## Throughput and latency", "", throughput_table(outcome.runs), "",
             "## Requests per CPU-second of the server", "",
             "What one free core would serve: the server's own CPU time (utime + stime) during each run, "
             "which moves little when other work shares the machine, unlike the wall-clock figures above.", "",
             capacity_table(outcome.runs)]
    if outcome.notes:
        parts += ["", *(f"- {note}" for note in outcome.notes)]
    parts += ["", "## Pre-fill", "", fill_table(outcome), "", "## Memory", "", memory_table(outcome.memory)]
    if suite:
        parts += ["", "## `stripe-conformance run` (bundled server, not pinned)", "", suite_table(suite)]
    return "\n".join(parts) + "\n"


def peers_of(runs: list[Run]) -> list[str]:
    """The servers ours is compared with, in the order they first ran."""
    return [name for name in dict.fromkeys(r.server for r in runs) if name != OURS]


def throughput_table(runs: list[Run], peers: list[str] | None = None) -> str:
    peers = peers_of(runs) if peers is None else peers
    sides = [OURS, *peers]
    head = (f"| workload | level | stored at start ({' / '.join(sides)}) | ours req/s | ours p50 / p99 ms | "
            + "".join(f"{peer} req/s | {peer} p50 / p99 ms | ours / {peer} | " for peer in peers))
    rows = [head.rstrip(), "|---|---:|---|---:|---:|" + "---:|---:|---:|" * len(peers)]
    for workload, level in _rows(runs):
        found = {side: _aggregate([r for r in runs if (r.workload, r.level, r.server) == (workload, level, side)])
                 for side in sides}
        ours = found[OURS]
        stored = " / ".join(_stored(found[side]) for side in sides)
        cells = [workload, _count(level), stored, _rate(ours), _latency(ours)]
        for peer in peers:
            theirs = found[peer]
            ratio = f"{ours['rate'] / theirs['rate']:.1f}x" if ours and theirs and theirs["rate"] else "-"
            cells += [_rate(theirs), _latency(theirs), ratio]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def capacity_table(runs: list[Run], peers: list[str] | None = None) -> str:
    peers = peers_of(runs) if peers is None else peers
    rows = ["| workload | level | ours | " + "".join(f"{peer} | " for peer in peers)
            + "".join(f"ours / {peer} | " for peer in peers),
            "|---|---:|---:|" + "---:|" * (2 * len(peers))]
    rows[0] = rows[0].rstrip()
    for workload, level in _rows(runs):
        ours, *theirs = (_per_cpu_second([r for r in runs if (r.workload, r.level, r.server) == (workload, level, side)])
                         for side in (OURS, *peers))
        ratios = [f"{ours / other:.1f}x" if ours and other else "-" for other in theirs]
        rows.append("| " + " | ".join([workload, _count(level), _number(ours), *map(_number, theirs), *ratios]) + " |")
    return "\n".join(rows)


def fill_table(outcome: Outcome) -> str:
    rows = ["| server | level | reached | seconds | creates/s at the end |", "|---|---:|---:|---:|---:|"]
    rows += [f"| {f.server} | {f.level:,} | {f.reached:,} | {f.seconds:.0f} | {f.last_rate:.0f} |"
             for f in outcome.fills]
    return "\n".join(rows)


def memory_table(samples: list[Memory]) -> str:
    rows = ["| server | intents stored | RSS MB | MB per 10k intents (since start) | bytes per intent |",
            "|---|---:|---:|---:|---:|"]
    for server in dict.fromkeys(s.server for s in samples):
        mine = [s for s in samples if s.server == server]
        base = mine[0]
        for sample in mine:
            grown = sample.stored - base.stored
            per = (sample.rss_bytes - base.rss_bytes) / grown if grown > 0 else None
            rows.append(f"| {server} | {sample.stored:,} | {sample.rss_bytes / 2**20:.1f} | "
                        f"{per * 10_000 / 2**20:.1f} | {per:,.0f} |" if per is not None else
                        f"| {server} | {sample.stored:,} | {sample.rss_bytes / 2**20:.1f} | - | - |")
    return "\n".join(rows)


def suite_table(suite: list[SuiteTiming]) -> str:
    rows = ["| run | wall time s | exit code | pytest's summary |", "|---|---:|---:|---|"]
    rows += [f"| {t.label} | {t.seconds:.1f} | {t.exit_code} | {t.summary} |" if t.seconds is not None
             else f"| {t.label} | - | {t.exit_code} | {t.summary} |" for t in suite]
    return "\n".join(rows)


def as_json(settings: Settings, outcome: Outcome, suite: list[SuiteTiming], about: dict[str, str],
            command: str) -> dict:
    return {
        "machine": about, "command": command, "settings": asdict(settings),
        "runs": [{"workload": r.workload, "level": r.level, "server": r.server, "stored": r.stored,
                  "server_cpu_s": round(r.cpu_s, 3), **r.result.to_json()} for r in outcome.runs],
        "fills": [asdict(f) for f in outcome.fills], "memory": [asdict(m) for m in outcome.memory],
        "notes": outcome.notes, "suite": [asdict(t) for t in suite],
    }


def _rows(runs: list[Run]) -> list[tuple[str, int]]:
    """(workload, level) in the table's order: by workload, then level."""
    return [(workload, level) for workload in WORKLOADS
            for level in sorted({r.level for r in runs if r.workload == workload})]


def _per_cpu_second(runs: list[Run]) -> float | None:
    cpu = sum(r.cpu_s for r in runs)
    return sum(r.result.answers for r in runs) / cpu if cpu else None


def _number(value: float | None) -> str:
    return f"{value:,.0f}" if value else "-"


def _aggregate(runs: list[Run]) -> dict | None:
    """All rounds together: throughput over their summed time, median p50, worst p99."""
    if not runs:
        return None
    elapsed = sum(r.result.elapsed_s for r in runs)
    return {
        "rate": sum(r.result.answers for r in runs) / elapsed if elapsed else 0.0,
        "p50": statistics.median(r.result.latency_ms["p50"] for r in runs),
        "p99": max(r.result.latency_ms["p99"] for r in runs),
        "failed": sum(r.result.failed for r in runs),
        "stored": runs[0].stored,
    }


def _stored(side: dict | None) -> str:
    if not side:
        return "-"
    return "stateless" if side["stored"] is None else f"{side['stored']:,}"


def _rate(side: dict | None) -> str:
    if not side:
        return "-"
    return f"{side['rate']:,.0f}" + (f" ({side['failed']} non-2xx)" if side["failed"] else "")


def _latency(side: dict | None) -> str:
    return f"{side['p50']:.1f} / {side['p99']:.1f}" if side else "-"


def _count(n: int) -> str:
    """Round levels short (10k, 1M); other counts in full."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= size and n % size == 0:
            return f"{n // size}{suffix}"
    return f"{n:,}"


def _read(path: str) -> str:
    return Path(path).read_text() if Path(path).exists() else ""


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError:
        return "not installed"
    return (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"
