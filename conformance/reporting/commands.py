"""Work with stored results without running the suite again: ``stripe-conformance gate|suggest|check-manifest``.

- ``gate RESULTS [--expect-failures M] [--baseline B] [--strict] [--strict-should] [--report DIR]``:
  judge a stored run again, against another manifest or baseline; exit 1 when it fails.
- ``suggest RESULTS [--expect-failures M]``: manifest lines for the shortfalls no manifest lists.
- ``check-manifest FILE...``: validate manifests (every id exists, every reason is written).
- ``readme RESULTS --name NAME [--readme README.md] [--check]`` (maintainers, ``python -m
  conformance.reporting`` only): (re)generate a target's compliance table in the README's region.

Exit codes: 0 done (the gate passed), 1 the gate failed or a table is out of date, 4 a file
that cannot be used (a manifest, a results file), one line per problem.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.reporting import gate as gates
from conformance.reporting import manifest as manifests
from conformance.reporting import markdown
from conformance.reporting import results as model

USAGE_ERROR = 4
USER_COMMANDS = ("gate", "suggest", "check-manifest")  # also subcommands of stripe-conformance


def add_parsers(commands: argparse._SubParsersAction, names: tuple[str, ...] = USER_COMMANDS) -> None:
    """Add the commands named in ``names`` to a parser's subcommands."""
    if "gate" in names:
        gate = commands.add_parser("gate", help="judge a stored results.json again (exit 1 when it fails)")
        gate.add_argument("results", help="a results.json")
        gate.add_argument("--expect-failures", metavar="FILE", help="known-failures manifest")
        gate.add_argument("--baseline", metavar="RESULTS", help="results.json of an earlier run")
        gate.add_argument("--strict", action="store_true", help="unexpected passes fail the gate")
        gate.add_argument("--strict-should", action="store_true", help="SHOULD regressions fail the gate")
        gate.add_argument("--report", metavar="DIR", help="write the reports again, judged this way")
    if "suggest" in names:
        suggest = commands.add_parser("suggest", help="manifest lines for the shortfalls no manifest lists")
        suggest.add_argument("results", help="a results.json")
        suggest.add_argument("--expect-failures", metavar="FILE", help="the manifest to extend")
    if "check-manifest" in names:
        check = commands.add_parser("check-manifest", help="validate known-failures manifests")
        check.add_argument("manifests", nargs="+", metavar="FILE")
    if "readme" in names:
        region = commands.add_parser("readme", help="write a target's compliance table into README.md")
        region.add_argument("results")
        region.add_argument("--name", required=True, help="the region's name: <!-- NAME-compliance:start -->")
        region.add_argument("--readme", default="README.md")
        region.add_argument("--check", action="store_true", help="only check that the region is current")


def run(args: argparse.Namespace) -> int:
    """Run the parsed command; a file that cannot be used is one line per problem and exit 4."""
    try:
        return COMMANDS[args.command](args)
    except (manifests.ManifestError, model.ResultsFileError, markdown.RegionError, OSError) as exc:
        for line in str(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return USAGE_ERROR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.reporting", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_parsers(parser.add_subparsers(dest="command", required=True), (*USER_COMMANDS, "readme"))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's usage errors are usage errors: exit 4, as everywhere
        return USAGE_ERROR if exc.code else 0
    return run(args)


def _judged(args: argparse.Namespace) -> model.Results:
    results = model.load(args.results)
    manifest = None
    if args.expect_failures:
        manifest = manifests.load(args.expect_failures)
        manifest.check_keys(item.id for item in results.items)
    baseline = model.load(args.baseline) if getattr(args, "baseline", None) else None
    results.judge(manifest, baseline, getattr(args, "strict", False), getattr(args, "strict_should", False))
    return results


def run_gate(args: argparse.Namespace) -> int:
    results = _judged(args)
    for line in gates.explain(results):
        print(line)
    if args.report:
        for path in model.write_all(results, args.report):
            print(f"report: {path}")
    print(f"gate {'passed' if results.gate.passed else 'FAILED'}")
    return 0 if results.gate.passed else 1


def run_suggest(args: argparse.Namespace) -> int:
    lines = manifests.suggest(_judged(args))
    print("\n".join(lines) if lines else "# nothing to add: every shortfall is listed")
    return 0


def run_check_manifest(args: argparse.Namespace) -> int:
    problems = []
    for path in args.manifests:
        try:
            manifest = manifests.load(path)
            manifest.check_keys()
        except manifests.ManifestError as exc:
            problems += str(exc).splitlines()
            continue
        print(f"{path}: {len(manifest.reasons)} entries, all valid")
    if problems:
        raise manifests.ManifestError("\n".join(problems))
    return 0


def run_readme(args: argparse.Namespace) -> int:
    path = Path(args.readme)
    text = path.read_text(encoding="utf-8")
    region = markdown.render_region(model.load(args.results), args.name, args.results)
    if markdown.extract_region(text, args.name) == region:
        print(f"{path}: the {args.name} compliance table is current")
        return 0
    if args.check:
        print(f"{path}: the {args.name} compliance table is out of date; run "
              f"python -m conformance.reporting readme {args.results} --name {args.name}", file=sys.stderr)
        return 1
    path.write_text(markdown.replace_region(text, args.name, region), encoding="utf-8")
    print(f"{path}: the {args.name} compliance table is regenerated")
    return 0


COMMANDS = {"gate": run_gate, "suggest": run_suggest, "check-manifest": run_check_manifest, "readme": run_readme}
