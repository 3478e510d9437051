"""``python -m conformance.reporting``: work with stored results without running the suite again.

- ``gate RESULTS [--expect-failures M] [--baseline B] [--strict] [--report DIR]``: judge a stored
  run again, against another manifest or baseline; exit 1 when it fails.
- ``suggest RESULTS [--expect-failures M]``: manifest lines for the failures no manifest lists.
- ``check-manifest FILE...``: validate manifests (keys exist, reasons written).
- ``readme RESULTS --name NAME [--readme README.md] [--check]``: (re)generate a target's
  compliance table in the README's marked region, or check that it is current.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.reporting import gate as gates
from conformance.reporting import manifest as manifests
from conformance.reporting import model, readme, writers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.reporting", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    gate = commands.add_parser("gate", help="judge a stored results.json again")
    gate.add_argument("results")
    gate.add_argument("--expect-failures", metavar="FILE")
    gate.add_argument("--baseline", metavar="RESULTS")
    gate.add_argument("--strict", action="store_true", help="unexpected passes fail the run")
    gate.add_argument("--report", metavar="DIR", help="write the reports again, judged this way")
    suggest = commands.add_parser("suggest", help="manifest lines for unlisted failures")
    suggest.add_argument("results")
    suggest.add_argument("--expect-failures", metavar="FILE")
    check = commands.add_parser("check-manifest", help="validate known-failures manifests")
    check.add_argument("manifests", nargs="+")
    region = commands.add_parser("readme", help="write a target's compliance table into README.md")
    region.add_argument("results")
    region.add_argument("--name", required=True, help="the region's name: <!-- NAME-compliance:start -->")
    region.add_argument("--readme", default="README.md")
    region.add_argument("--check", action="store_true", help="only check that the region is current")
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (manifests.ManifestError, model.ResultsFileError, readme.RegionError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _judged(args: argparse.Namespace) -> model.Results:
    results = model.load(args.results)
    manifest = None
    if args.expect_failures:
        manifest = manifests.load(args.expect_failures)
        manifest.check_keys(manifests.known_keys(results))
    baseline = model.load(args.baseline) if getattr(args, "baseline", None) else None
    gates.evaluate(results, manifest, baseline, getattr(args, "strict", False))
    return results


def run_gate(args: argparse.Namespace) -> int:
    results = _judged(args)
    for line in gates.explain(results):
        print(line)
    if args.report:
        for path in writers.write_all(results, args.report):
            print(f"report: {path}")
    print(f"gate {'passed' if results.gate.passed else 'FAILED'}")
    return 0 if results.gate.passed else 1


def run_suggest(args: argparse.Namespace) -> int:
    lines = manifests.suggest(_judged(args))
    print("\n".join(lines) if lines else "# nothing to add: every shortfall is listed")
    return 0


def run_check_manifest(args: argparse.Namespace) -> int:
    for path in args.manifests:
        manifest = manifests.load(path)
        manifest.check_keys(manifests.known_keys())
        print(f"{path}: {len(manifest.reasons)} entries, all valid")
    return 0


def run_readme(args: argparse.Namespace) -> int:
    path = Path(args.readme)
    text = path.read_text(encoding="utf-8")
    region = readme.render(model.load(args.results), args.name, args.results)
    if readme.extract(text, args.name) == region:
        print(f"{path}: the {args.name} compliance table is current")
        return 0
    if args.check:
        print(f"{path}: the {args.name} compliance table is out of date; run "
              f"python -m conformance.reporting readme {args.results} --name {args.name}", file=sys.stderr)
        return 1
    path.write_text(readme.replace(text, args.name, region), encoding="utf-8")
    print(f"{path}: the {args.name} compliance table is regenerated")
    return 0


COMMANDS = {"gate": run_gate, "suggest": run_suggest, "check-manifest": run_check_manifest, "readme": run_readme}
