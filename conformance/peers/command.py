"""``stripe-conformance peers [NAME...]``: run several target profiles, each gated by its manifest.

Each profile runs as ``stripe-conformance run --target NAME --report DIR/NAME`` (the whole suite:
scenarios and fuzz checks, with the profile's fixed seed); its output goes to ``DIR/NAME/run.log``
and one line per target says how it went. A target that cannot be run here (no stripe-mock, no
npm) is skipped with one line saying how to get it. ``--update`` stores each passing run as the
profile's ``results.json`` and regenerates the comparison (docs/targets.md, the README's table).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from conformance import options, profiles
from conformance.peers import runner
from conformance.reporting import results as model

CHECKOUT = Path(__file__).resolve().parents[2]


def add_parser(commands) -> None:
    peers = commands.add_parser(
        "peers", help="run target profiles (default: every one available), each gated by its manifest",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    peers.add_argument("names", nargs="*", metavar="NAME", help="profiles under targets/ (default: all)")
    peers.add_argument("--report", default="reports", metavar="DIR", help="reports go to DIR/NAME (default: reports)")
    peers.add_argument("--stripe-mock-bin", metavar="PATH", help=options.BY_FLAG["--stripe-mock-bin"].help)
    peers.add_argument("--update", action="store_true",
                       help="store each passing run in targets/NAME/results.json and regenerate docs/targets.md "
                            "and the README's compliance table")


def main(args: argparse.Namespace, extra: list[str]) -> int:
    try:
        chosen = [profiles.load(name) for name in (args.names or profiles.names())]
    except profiles.ProfileError as exc:
        print(f"stripe-conformance: {exc}", file=sys.stderr)
        return 4
    stripe_mock = args.stripe_mock_bin or options.from_env(options.BY_FLAG["--stripe-mock-bin"])
    worst, root = 0, Path(args.report).resolve()
    for profile in chosen:
        status, line = run_one(profile, root / profile.name, stripe_mock, extra)
        print(f"{profile.name}: {line}", flush=True)
        worst = max(worst, status)
        if status == 0 and args.update and (root / profile.name / "results.json").is_file():
            shutil.copyfile(root / profile.name / "results.json", profile.results)
    if args.update:
        from conformance.reporting import compare

        compare.update_docs(CHECKOUT)
    return worst


def run_one(profile: profiles.Profile, report: Path, stripe_mock: str | None, extra: list[str]) -> tuple[int, str]:
    reason = runner.unavailable(profile, stripe_mock)
    if reason:
        return 0, f"skipped: {reason}"
    report.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "conformance.cli", "run", "--target", profile.name, "--report", str(report),
               *(["--stripe-mock-bin", stripe_mock] if stripe_mock else []), "-p", "no:cacheprovider", *extra]
    with open(report / "run.log", "w", encoding="utf-8") as log:
        status = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT, cwd=CHECKOUT)
    results_file = report / "results.json"
    if status not in (0, 1) or not results_file.is_file():
        tail = (report / "run.log").read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return max(status, 2), f"could not be run (exit {status}): {tail[0]} (log: {report / 'run.log'})"
    return status, summary(model.load(results_file), report)


def summary(results: model.Results, report: Path) -> str:
    figures = results.tally().compliance
    verdict = "green against its manifest" if results.gate.passed else \
        f"{len(results.gate.unlisted)} unlisted shortfalls, {len(results.gate.unexpected_passes)} unexpected passes"
    return (f"{results.title}: {verdict}; compliance {model.outcomes.percent(figures.overall)} "
            f"({figures.passed + figures.warned} of {figures.applicable}), {results.duration:.0f} s; {report}/report.md")
