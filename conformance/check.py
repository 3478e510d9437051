"""``stripe-conformance check`` and ``export``: scenario files judged as data, and written as plain JSON.

check: the format's schemas, known features, capabilities, operations, setups and sources, unique
ids, ids against the committed list (scenarios/ids.yaml: none removed or renamed unless retired
with a reason, none new unlisted), and ``when`` branches on variables an earlier step saved.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from conformance import resources
from conformance.loader import Loader
from conformance.scenario import FORMAT, ScenarioFormatError, parse


def scenarios_root(path: str | None) -> Traversable:
    """The scenarios folder named by ``path`` (or holding that file); the suite's own by default."""
    if path is None:
        return resources.scenarios_dir()
    candidate = Path(path).resolve()
    for folder in [candidate, *candidate.parents]:
        if (folder / "sources.yaml").is_file() and (folder / "ids.yaml").is_file():
            return folder
    raise FileNotFoundError(f"{path}: not in a scenarios folder (none of its folders holds sources.yaml and ids.yaml)")


def problems(root: Traversable) -> list[str]:
    loader = Loader(root)
    plain = list(loader.scenarios())
    found = list(loader.problems)
    for file, document in plain:
        try:
            parse(document, file)
        except ScenarioFormatError as exc:
            found.append(str(exc))
        found += _branch_problems(file, document)
    if loader.unreadable:  # its scenarios are unknown, so which ids and sources go unused is too
        return found
    found += _id_problems(loader, [document["id"] for _, document in plain])
    cited = {source["id"] for _, document in plain for source in document["sources"]}
    found += [f"sources.yaml: {name} is cited by no scenario" for name in loader.registries.sources
              if name not in cited]
    return found


def _id_problems(loader: Loader, ids: list[str]) -> list[str]:
    counts = Counter(ids)
    listed, retired = set(loader.registries.ids), loader.registries.retired
    found = [f"duplicate scenario id {name} ({count} scenarios)" for name, count in counts.items() if count > 1]
    found += [f"ids.yaml: {name} is listed but no scenario has it: an id is never removed or renamed "
              f"(restore it, or move it to retired: with the reason)" for name in sorted(listed - set(counts))
              if name not in retired]
    found += [f"{name}: retired ({retired[name]}), so the id cannot be used again" for name in sorted(counts)
              if name in retired]
    found += [f"{name}: a new id, not in ids.yaml (add it there)" for name in sorted(set(counts) - listed - set(retired))]
    found += [f"ids.yaml: {name} is both listed and retired" for name in sorted(listed & set(retired))]
    return found


def _branch_problems(file: str, document: dict[str, Any]) -> list[str]:
    saved: set[str] = {"run", "now"}
    found = []
    for index, step in enumerate(document["steps"], 1):
        for name in step.get("when", {}):
            if name not in saved:
                found.append(f"{file} ({document['id']}): step {index} branches on {{{name}}}, "
                             "which no earlier step saves")
        saved |= set(step.get("save", {}))
    return found


def export(root: Traversable) -> dict[str, Any]:
    """Every scenario, setups and cases expanded and sources resolved: scenarios/export.schema.json."""
    loader = Loader(root)
    plain = [document for _, document in loader.scenarios()]
    if loader.problems:
        raise ScenarioFormatError(f"{loader.problems[0]} (stripe-conformance check lists every problem)")
    return {"format": FORMAT, "scenarios": sorted(plain, key=lambda document: document["id"])}


class UsageParser(argparse.ArgumentParser):
    """A usage mistake is one line and exit code 4, the project's code for usage errors."""

    def error(self, message: str):
        self.exit(4, f"{self.prog}: {message}\n")


def main(command: str, argv: list[str]) -> int:
    """``stripe-conformance check [PATH]`` or ``export [PATH] [--output FILE]``."""
    parser = UsageParser(prog=f"stripe-conformance {command}", description=__doc__)
    parser.add_argument("path", nargs="?", help="a scenarios folder or a file in one (default: the suite's)")
    if command == "export":
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    return run_check(args.path) if command == "check" else run_export(args.path, args.output)


def run_check(path: str | None) -> int:
    try:
        root = scenarios_root(path)
    except FileNotFoundError as exc:
        print(f"stripe-conformance check: {exc}", file=sys.stderr)
        return 4
    found = problems(root)
    for problem in found:
        print(problem)
    if not found:
        print(f"stripe-conformance check: {root}: no problems")
    return 1 if found else 0


def run_export(path: str | None, output: str | None) -> int:
    try:
        document = export(scenarios_root(path))
    except FileNotFoundError as exc:
        print(f"stripe-conformance export: {exc}", file=sys.stderr)
        return 4
    except ScenarioFormatError as exc:
        print(f"stripe-conformance export: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    if not output:
        print(text, end="")
        return 0
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"stripe-conformance export: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 4
    return 0
