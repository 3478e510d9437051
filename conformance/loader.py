"""Scenario format 2 files (scenarios/) expanded into plain scenarios.

A plain scenario has its setups spliced in as ordinary steps, one scenario per row of a case
table, its operation filled from the file when it names none, and its sources resolved from the
registry into full records. The engine only ever sees plain scenarios, so what a runner in
another language needs is the export (``stripe-conformance export``), not this module.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources.abc import Traversable
from typing import Any, Iterator

import yaml

from conformance import resources
from conformance.scenario import FORMAT, ScenarioFormatError
from conformance.schemacheck import SchemaCheck

REGISTRIES = {"sources.yaml": "sources_file", "setups.yaml": "setups_file", "features.yaml": "features_file",
              "ids.yaml": "ids_file"}


@lru_cache(maxsize=None)
def _file_check(definition: str) -> SchemaCheck:
    """The schema of one kind of file; format.schema.json refers to the plain scenario's steps."""
    schemas = {name: json.loads(resources.scenarios_dir().joinpath(name).read_text(encoding="utf-8"))
               for name in ("format.schema.json", "scenario.schema.json")}
    root = schemas["format.schema.json"]
    return SchemaCheck({"$ref": f"{root['$id']}#/$defs/{definition}"}, tuple(schemas.values()))


@dataclass
class Registries:
    """The files every scenario file refers to by name."""

    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    setups: dict[str, dict[str, Any]] = field(default_factory=dict)
    features: dict[str, str] = field(default_factory=dict)
    capabilities: dict[str, str] = field(default_factory=dict)
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    retired: dict[str, str] = field(default_factory=dict)


class Loader:
    """Reads a scenarios folder; every problem found is kept in ``problems`` (file: what)."""

    def __init__(self, root: Traversable):
        self.root = root
        self.problems: list[str] = []
        self.unreadable: list[str] = []
        self.registries = self._registries()

    def _registry(self, name: str) -> dict[str, Any]:
        node = self.root.joinpath(name)
        if not node.is_file():
            self.problems.append(f"{name}: missing")
            return {}
        document = self._read(name, node)
        return document if document is not _UNREADABLE and self._valid(name, document, REGISTRIES[name]) else {}

    def _read(self, file: str, node: Traversable) -> Any:
        """The file's YAML, or _UNREADABLE with one problem naming the file and line."""
        try:
            return resources.read_yaml(node)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)  # only a MarkedYAMLError knows the line
            where = f"{file}:{mark.line + 1}" if mark is not None else file
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.problems.append(f"{where}: not valid YAML: {what}")
        except UnicodeDecodeError as exc:
            self.problems.append(f"{file}: not UTF-8 text (byte {exc.start} cannot be decoded)")
        self.unreadable.append(file)
        return _UNREADABLE

    def _valid(self, file: str, document: Any, definition: str) -> bool:
        found = _file_check(definition).problems(document, limit=20)
        self.problems += [f"{file}: {problem}" for problem in found]
        return not found

    def _registries(self) -> Registries:
        sources, setups = self._registry("sources.yaml"), self._registry("setups.yaml")
        features, ids = self._registry("features.yaml"), self._registry("ids.yaml")
        operations = self._read("operations.yaml", self.root.joinpath("operations.yaml"))
        operations = operations if isinstance(operations, list) else []
        return Registries(
            sources=sources.get("sources", {}), setups=setups.get("setups", {}),
            features=features.get("features", {}), capabilities=features.get("capabilities", {}),
            operations={entry["id"]: entry for entry in operations}, ids=ids.get("ids", []),
            retired=ids.get("retired", {}),
        )

    def files(self) -> list[tuple[str, Traversable]]:
        """The scenario files: YAML below the folders of ``scenarios/`` (its top holds the registries)."""
        found = []
        for child in sorted(self.root.iterdir(), key=lambda node: node.name):
            if child.is_dir():
                found += [(f"{child.name}/{_relative(node, child)}", node)
                          for node in resources.walk(child, (".yaml", ".yml"))]
        return found

    def scenarios(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(file, plain scenario) for every scenario the files define, problems aside."""
        for name, node in self.files():
            file = f"scenarios/{name}"
            document = self._read(file, node)
            if document is _UNREADABLE or not self._valid(file, document, "scenario_file"):
                continue
            for written in document["scenarios"]:
                for plain in self._expand(file, document.get("operation"), written):
                    yield file, plain

    def _expand(self, file: str, operation: str | None, written: dict[str, Any]) -> list[dict[str, Any]]:
        rows = written.get("cases") or [{"id": written.get("id")}]
        template = {key: value for key, value in written.items() if key != "cases"}
        plain = []
        for row in rows:
            scenario = _fill(template, row.get("with", {}))
            scenario.update({key: row[key] for key in ("id", "title", "notes") if key in row})
            where = f"{file} ({scenario['id']})"
            scenario.setdefault("operation", operation)
            scenario["sources"] = [self._source(where, name) for name in scenario["sources"]]
            scenario["steps"] = [step for raw in scenario["steps"] for step in self._steps(where, raw)]
            self._check_names(where, scenario)
            plain.append({key: scenario[key] for key in PLAIN_ORDER if key in scenario})
        return plain

    def _source(self, where: str, name: str) -> dict[str, Any]:
        record = self.registries.sources.get(name)
        if record is None:
            self.problems.append(f"{where}: unknown source {name!r} (not in scenarios/sources.yaml)")
            return {"id": name, "quote": "(unknown source)"}
        return {"id": name, **record}

    def _steps(self, where: str, raw: dict[str, Any]) -> list[dict[str, Any]]:
        if "use" not in raw:
            return [raw]
        setup = self.registries.setups.get(raw["use"])
        if setup is None:
            self.problems.append(f"{where}: unknown setup {raw['use']!r} (not in scenarios/setups.yaml)")
            return []
        return _fill(setup["steps"], {**setup.get("with", {}), **raw.get("with", {})})

    def _check_names(self, where: str, scenario: dict[str, Any]) -> None:
        known = self.registries
        if scenario.get("operation") not in known.operations:
            self.problems.append(f"{where}: unknown operation {scenario.get('operation')!r} "
                                 "(not an id in scenarios/operations.yaml)")
        self.problems += [f"{where}: unknown feature {name!r} (not in scenarios/features.yaml)"
                          for name in scenario["features"] if name not in known.features]
        self.problems += [f"{where}: unknown capability {name!r} (not in scenarios/features.yaml)"
                          for name in scenario.get("requires", ()) if name not in known.capabilities]


_UNREADABLE = object()  # a file that is not YAML or not UTF-8: its problem is already recorded

PLAIN_ORDER = ("id", "title", "operation", "features", "requires", "sources", "notes", "steps")


def _fill(value: Any, values: dict[str, Any]) -> Any:
    """A deep copy with ``{name}`` replaced from a case row or a setup's ``with`` (typed when whole)."""
    from conformance.engine import substitute  # the engine's substitution, applied before the run

    return substitute(copy.deepcopy(value), values) if values else copy.deepcopy(value)


def _relative(node: Any, root: Any) -> str:
    text, base = str(node), str(root)
    return text[len(base):].lstrip("/\\") if text.startswith(base) else node.name


def plain_scenarios(root: Traversable) -> list[tuple[str, dict[str, Any]]]:
    """Every plain scenario below ``root``; the first problem stops the load."""
    loader = Loader(root)
    found = list(loader.scenarios())
    if loader.problems:
        more = f" (+{len(loader.problems) - 1} more; stripe-conformance check lists them)" if len(loader.problems) > 1 else ""
        raise ScenarioFormatError(loader.problems[0] + more)
    return found


__all__ = ["FORMAT", "Loader", "plain_scenarios"]
