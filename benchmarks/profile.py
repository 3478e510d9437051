"""Where the reference server spends its time under one workload, sampled with py-spy.

py-spy samples the server from outside (no change to the server), writing collapsed
stacks (``frame;frame;... count``, loadable in speedscope or flamegraph.pl); each sample
is then charged to the innermost frame that belongs to a known layer, so standard-library
work counts for whoever called it (``re`` under params.py counts as parameter parsing).
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Iterable

from benchmarks import servers
from benchmarks.runner import Benchmark, Settings, Target
from benchmarks.units import count

# (layer, pattern on a frame's file): the first layer whose pattern matches, innermost frame first
LAYERS: list[tuple[str, str]] = [
    ("id generation (ids.py, secrets, random)", r"^(reference_impl/ids\.py|secrets\.py|random\.py)$"),
    ("json.dumps", r"^json/"),
    ("logging", r"^logging/"),
    ("form decoding (conformance/wire.py)", r"^conformance/wire\.py$"),
    ("parameter parsing (params.py, listing.py)", r"^reference_impl/(params|listing)\.py$"),
    ("auth (auth.py)", r"^reference_impl/auth\.py$"),
    ("handlers, object build, store (resources/, context, store)", r"^reference_impl/(resources/|context\.py|store\.py|payment_methods\.py|errors\.py)"),
    ("endpoint wrapper, routing (app.py, routing.py)", r"^reference_impl/(app|routing)\.py$"),
    ("Starlette (older checkouts, via --reference-source)", r"^(starlette|anyio)/"),
    ("HTTP protocol (uvicorn, h11, httptools)", r"^(uvicorn|h11|httptools)/"),
    ("event loop, sockets (asyncio, uvloop)", r"^(asyncio|uvloop|selectors\.py|socket\.py)"),
]
OTHER = "other"
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]+):(?P<line>\d+)\)$")


def parse_collapsed(lines: Iterable[str]) -> list[tuple[list[tuple[str, str]], int]]:
    """Collapsed stacks as ``([(function, file), ...] root first, count)``."""
    stacks = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        stack, _, count = line.rpartition(" ")
        frames = []
        for frame in stack.split(";"):
            match = FRAME.match(frame)
            frames.append((match["function"], match["file"]) if match else (frame, ""))
        stacks.append((frames, int(count)))
    return stacks


def layer_of(frames: list[tuple[str, str]]) -> str:
    for _, file in reversed(frames):
        for layer, pattern in LAYERS:
            if re.search(pattern, file):
                return layer
    return OTHER


def summarise(stacks: list[tuple[list[tuple[str, str]], int]], top: int = 20) -> str:
    total = sum(count for _, count in stacks) or 1
    layers: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for frames, count in stacks:
        layers[layer_of(frames)] += count
        if frames:
            function, file = frames[-1]
            leaves[f"{function} ({file})"] += count
    lines = [f"{total} samples", "", "| layer | share |", "|---|---:|"]
    lines += [f"| {layer} | {100 * count / total:.1f}% |" for layer, count in layers.most_common()]
    lines += ["", "| innermost function (self time) | share |", "|---|---:|"]
    lines += [f"| {name} | {100 * count / total:.1f}% |" for name, count in leaves.most_common(top)]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workload", choices=["create", "retrieve", "list_10", "list_100", "search", "search_rare"], default="create")
    parser.add_argument("--stored", type=count, default=0, help="intents to store first, e.g. 10k (default 0)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load while sampling")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--output", type=Path, default=Path("profile-raw.txt"), help="collapsed stacks file")
    parser.add_argument("--reference-source", help="profile the reference server from this checkout instead")
    parser.add_argument("--reference-python", help="run the reference server with this interpreter (another venv)")


def main(args: argparse.Namespace) -> int:
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if py_spy is None:
        print("py-spy is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    settings = Settings(levels=[], localstripe_max_level=0, duration_s=args.duration, rounds=1, connections=8,
                        fill_budget_s=1800)
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as workdir, \
            servers.reference(settings.server_cpu, args.reference_source, args.reference_python) as server:
        target = Target(server, Path(workdir))
        bench = Benchmark(settings, [target])
        bench.fill(target, args.stored)
        if args.workload == "retrieve" and not target.stored:
            bench.fill(target, 1000)
        sampler = subprocess.Popen(["taskset", "-c", str(settings.client_cpu), py_spy, "record", "--pid",
                                    str(server.pid), "--rate", str(args.rate), "--nonblocking", "--format", "raw", "--output",
                                    str(args.output)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(1)  # py-spy attaches
        result = getattr(bench, args.workload)(target)
        sampler.send_signal(signal.SIGINT)
        _, errors = sampler.communicate(timeout=60)
    if not args.output.exists():
        print(f"py-spy wrote nothing: {errors.strip()}", file=sys.stderr)
        return 1
    print(f"{args.workload} with {target.stored:,} stored, under py-spy: {result.rate:.0f} req/s, "
          f"p50 {result.latency_ms['p50']:.2f} ms, p99 {result.latency_ms['p99']:.2f} ms\n")
    print(summarise(parse_collapsed(args.output.read_text().splitlines())))
    print(f"\ncollapsed stacks: {args.output}")
    return 0
