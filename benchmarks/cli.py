"""``python -m benchmarks {setup,run,profile}``."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from benchmarks import memory, profile, report, servers, suite, wrk
from conformance.peers import binaries
from benchmarks.runner import Benchmark, Settings, Target
from benchmarks.units import count

USAGE_ERROR = 4
QUICK = {"levels": "0,10k", "duration": 3.0, "rounds": 2, "fill_budget": 60.0, "suite": False}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="install wrk (Debian's package) if it is missing")

    run = commands.add_parser("run", help="the reference server against stripe-mock and localstripe, side by side")
    run.add_argument("--quick", action="store_true",
                     help=f"a short check: levels {QUICK['levels']}, {QUICK['duration']:g} s runs, "
                     f"{QUICK['fill_budget']:g} s fill budget, no suite timing")
    run.add_argument("--levels", default="0,10k,100k,1M", help="intents stored before each step (default %(default)s)")
    run.add_argument("--localstripe-max-level", type=count, default=count("100k"),
                     help="levels above this are for the reference server alone (default 100k)")
    run.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default %(default)s)")
    run.add_argument("--rounds", type=int, default=2, help="runs per server and workload, alternating (default 2)")
    run.add_argument("--connections", type=int, default=8, help="wrk connections (default %(default)s)")
    run.add_argument("--fill-budget", type=float, default=600.0,
                     help="seconds each server may spend reaching each level (default %(default)s)")
    run.add_argument("--servers", default="ours,stripe-mock,localstripe",
                     help="which servers (default %(default)s; stripe-mock is skipped with a note when not found; "
                     "ours-db: the reference server on its durable store, beside ours in memory)")
    run.add_argument("--stripe-mock-bin", help=f"the stripe-mock executable (default: ${binaries.STRIPE_MOCK_ENV}, "
                     "then the PATH)")
    run.add_argument("--reference-source", help="run the reference server from this checkout instead")
    run.add_argument("--reference-python", help="run the reference server with this interpreter (another venv)")
    run.add_argument("--reference-db", action="store_true",
                     help="run the reference server on its durable store (serve --db)")
    run.add_argument("--no-suite", action="store_true", help="do not time `stripe-conformance run`")
    run.add_argument("--markdown", type=Path, help="also write the tables to this file")
    run.add_argument("--json", type=Path, help="also write every run's figures to this file")

    prof = commands.add_parser("profile", help="sample the reference server with py-spy under one workload")
    profile.add_arguments(prof)

    mem = commands.add_parser("memory", help="bytes per stored intent (RSS and tracemalloc), in-process")
    memory.add_arguments(mem)

    args = parser.parse_args(argv)
    if args.command == "setup":
        print(wrk.ensure_wrk())
        return 0
    if args.command == "profile":
        return profile.main(args)
    if args.command == "memory":
        return memory.main(args)
    if args.quick:
        args.levels, args.duration, args.rounds, args.fill_budget = (
            QUICK["levels"], QUICK["duration"], QUICK["rounds"], QUICK["fill_budget"])
        args.no_suite = True
    return benchmark(args, argv if argv is not None else sys.argv[1:])


def benchmark(args: argparse.Namespace, argv: list[str]) -> int:
    wanted = args.servers.split(",")
    unknown = set(wanted) - {"ours", "ours-db", "stripe-mock", "localstripe"}
    if unknown:
        print(f"--servers: unknown {', '.join(sorted(unknown))} (known: ours, ours-db, stripe-mock, localstripe)",
              file=sys.stderr)
        return USAGE_ERROR
    stripe_mock = binaries.find_stripe_mock(args.stripe_mock_bin)
    if "stripe-mock" in wanted and stripe_mock is None:
        if args.stripe_mock_bin:
            print(f"--stripe-mock-bin {args.stripe_mock_bin}: not an executable file", file=sys.stderr)
            return USAGE_ERROR
        print(f"skipping stripe-mock: {binaries.STRIPE_MOCK_HINT}", flush=True)
        wanted.remove("stripe-mock")
    if not wanted:
        print("--servers: nothing left to run", file=sys.stderr)
        return USAGE_ERROR
    wrk.ensure_wrk()
    # Stopped with SIGTERM (kill, a CI timeout), still stop the servers and remove the files:
    # SystemExit unwinds the ExitStack below, where the default action would leave them running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    load_before = os.getloadavg()
    settings = Settings(levels=[count(x) for x in args.levels.split(",")], localstripe_max_level=args.localstripe_max_level,
                        duration_s=args.duration, rounds=args.rounds, connections=args.connections,
                        fill_budget_s=args.fill_budget)
    factories = {"ours": lambda: servers.reference(settings.server_cpu, args.reference_source,
                                                      args.reference_python, db=args.reference_db),
                 "ours-db": lambda: servers.reference(settings.server_cpu, args.reference_source,
                                                      args.reference_python, db=True, alone=False),
                 "stripe-mock": lambda: servers.stripe_mock(settings.server_cpu, stripe_mock),
                 "localstripe": lambda: servers.localstripe(settings.server_cpu)}
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir, ExitStack() as running:
        targets = [Target(running.enter_context(factories[name]()), Path(workdir)) for name in wanted]
        outcome = Benchmark(settings, targets, log=lambda line: print(line, flush=True)).run()
    timings = [] if args.no_suite else suite.time_runs()
    about = report.machine(load_before, stripe_mock if "stripe-mock" in wanted else None)
    command = "python -m benchmarks " + shlex.join(argv)
    text = report.markdown(settings, outcome, timings, about, command)
    print("\n" + text)
    if args.markdown:
        args.markdown.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(report.as_json(settings, outcome, timings, about, command), indent=1))
    return 0
