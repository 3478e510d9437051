"""Scenarios: documented behaviours as data (fixtures/scenarios/**/*.yaml), loaded and checked."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jsonschema

from conformance import resources

KEY_ROLES = ("secret", "publishable", "other", "none")


class ScenarioFormatError(ValueError):
    """A scenario file that does not follow the documented format."""


def endpoint(method: str, path: str) -> str:
    """``POST /v1/payment_intents/{id}/capture``: the operation, whatever ids or variables fill the path."""
    parts = ["{id}" if "{" in part else part for part in path.split("?")[0].split("/")]
    return f"{method} {'/'.join(parts)}"


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    form: dict[str, Any] | None
    query: dict[str, Any] | None
    headers: dict[str, str]
    key: str
    expect: dict[str, Any]
    save: dict[str, str]
    retry: dict[str, float] | None

    @property
    def endpoint(self) -> str:
        return endpoint(self.method, self.path)


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    features: tuple[str, ...]
    sources: tuple[dict[str, str], ...]
    steps: tuple[Step, ...]
    file: str
    notes: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step.endpoint for step in self.steps))


@lru_cache(maxsize=None)
def _format_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(resources.fixtures_dir().joinpath("scenario.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def parse(document: dict[str, Any], file: str) -> Scenario:
    problems = sorted(_format_validator().iter_errors(document), key=lambda e: list(e.path))
    if problems:
        where = f"{file} ({document.get('id', 'no id')})" if isinstance(document, dict) else file
        detail = "; ".join(f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in problems[:5])
        raise ScenarioFormatError(f"{where}: {detail}")
    steps = tuple(_step(index, raw) for index, raw in enumerate(document["steps"], 1))
    return Scenario(
        id=document["id"], title=document["title"], features=tuple(document["features"]),
        sources=tuple(document["sources"]), steps=steps, file=file, notes=document.get("notes", ""), raw=document,
    )


def _step(index: int, raw: dict[str, Any]) -> Step:
    request = raw["request"]
    return Step(
        name=raw.get("name", f"step {index}"), method=request["method"], path=request["path"],
        form=request.get("form"), query=request.get("query"), headers=request.get("headers", {}),
        key=request.get("key", "secret"), expect=raw["expect"], save=raw.get("save", {}), retry=raw.get("retry"),
    )


@lru_cache(maxsize=1)
def load_all() -> tuple[Scenario, ...]:
    """Every scenario shipped with the suite, by id; ids must be unique."""
    root = resources.fixtures_dir().joinpath("scenarios")
    found: dict[str, Scenario] = {}
    for node in resources.walk(root, (".yaml", ".yml")):
        for document in resources.read_yaml_documents(node):
            if document is None:
                continue
            scenario = parse(document, f"scenarios/{_relative(node, root)}")
            if scenario.id in found:
                raise ScenarioFormatError(f"duplicate scenario id {scenario.id!r} in {scenario.file} and "
                                          f"{found[scenario.id].file}")
            found[scenario.id] = scenario
    return tuple(found[key] for key in sorted(found))


def _relative(node: Any, root: Any) -> str:
    text, base = str(node), str(root)
    return text[len(base):].lstrip("/\\") if text.startswith(base) else node.name
