"""Scenarios: documented behaviours as data (scenarios/**/*.yaml), loaded and checked.

The files are written in scenario format 2 (docs/scenario-format.md); ``conformance.loader``
expands their setups and case tables into plain scenarios, which :func:`parse` turns into
:class:`Scenario` objects. A plain scenario is what ``stripe-conformance export`` writes, and
``scenarios/scenario.schema.json`` is its published schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from conformance import resources
from conformance.schemacheck import SchemaCheck

KEY_ROLES = ("secret", "publishable", "other", "none")
FORMAT = 2
# "4xx": a client error. 404 and 405 say an object or an endpoint is missing and 429 that the
# request was not judged at all, so none of them counts as a refusal unless a step lists it.
CLIENT_ERROR = "4xx"
CLIENT_ERRORS = tuple(status for status in range(400, 500) if status not in (404, 405, 429))


class ScenarioFormatError(ValueError):
    """A scenario file that does not follow the documented format."""


def endpoint(method: str, path: str) -> str:
    """``POST /v1/payment_intents/{id}/capture``: the operation, whatever ids or variables fill the path."""
    parts = ["{id}" if "{" in part else part for part in path.split("?")[0].split("/")]
    return f"{method} {'/'.join(parts)}"


def statuses(status: Any) -> list[int]:
    """The statuses an expectation accepts: one, a list, or the class ``4xx``."""
    if status == CLIENT_ERROR:
        return list(CLIENT_ERRORS)
    return list(status) if isinstance(status, list) else [status]


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    form: dict[str, Any] | None
    query: dict[str, Any] | None
    headers: dict[str, str]
    key: str
    expect: dict[str, Any]  # the MUST expectations; ``status`` a status or a list ("4xx" spelled out)
    save: dict[str, str]
    retry: dict[str, float] | None
    should: dict[str, Any] = field(default_factory=dict)  # the SHOULD expectations: status, body, headers
    when: dict[str, Any] | None = None  # run only when the saved variables match (matchers)

    @property
    def endpoint(self) -> str:
        return endpoint(self.method, self.path)


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    features: tuple[str, ...]
    sources: tuple[dict[str, Any], ...]
    steps: tuple[Step, ...]
    file: str
    notes: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    operation: str = ""
    requires: tuple[str, ...] = ()

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step.endpoint for step in self.steps))


def stated(source: dict[str, Any]) -> str:
    """What a source says: its quote, or for a structural citation the spec pointer and the value there."""
    if "quote" in source:
        return source["quote"]
    return f"{source.get('spec')} = {json.dumps(source.get('value'), ensure_ascii=False)}"


def cite(source: dict[str, Any]) -> str:
    """One line naming a source: the quote and where it is, or the structural citation (which names its place)."""
    if "quote" not in source:
        return f"spec {stated(source)}" + (f" ({source['url']})" if source.get("url") else "")
    return f"\"{source['quote']}\" ({source.get('url') or source.get('seed') or 'spec ' + str(source.get('spec'))})"


@lru_cache(maxsize=None)
def _plain_check() -> SchemaCheck:
    return SchemaCheck(json.loads(resources.scenarios_dir().joinpath("scenario.schema.json").read_text(encoding="utf-8")))


def parse(document: dict[str, Any], file: str) -> Scenario:
    """A plain scenario (setups and cases expanded, sources resolved) as a :class:`Scenario`."""
    problems = _plain_check().problems(document)
    if problems:
        where = f"{file} ({document.get('id', 'no id')})" if isinstance(document, dict) else file
        raise ScenarioFormatError(f"{where}: {'; '.join(problems)}")
    steps = tuple(_step(index, raw) for index, raw in enumerate(document["steps"], 1))
    return Scenario(
        id=document["id"], title=document["title"], features=tuple(document["features"]),
        sources=tuple(document["sources"]), steps=steps, file=file, notes=document.get("notes", ""), raw=document,
        operation=document["operation"], requires=tuple(document.get("requires", ())),
    )


def _step(index: int, raw: dict[str, Any]) -> Step:
    request = raw["request"]
    expect = {key: value for key, value in raw["expect"].items() if key != "should"}
    if expect["status"] == CLIENT_ERROR:
        expect["status"] = statuses(CLIENT_ERROR)
    should = dict(raw["expect"].get("should", {}))
    if "status" in should:
        should["status"] = statuses(should["status"])
    return Step(
        name=raw.get("name", f"step {index}"), method=request["method"], path=request["path"],
        form=request.get("form"), query=request.get("query"), headers=request.get("headers", {}),
        key=request.get("key", "secret"), expect=expect, save=raw.get("save", {}), retry=raw.get("retry"),
        should=should, when=raw.get("when"),
    )


@lru_cache(maxsize=1)
def load_all() -> tuple[Scenario, ...]:
    """Every scenario shipped with the suite, sorted by id; ids must be unique."""
    from conformance import loader

    found: dict[str, Scenario] = {}
    for file, document in loader.plain_scenarios(resources.scenarios_dir()):
        scenario = parse(document, file)
        if scenario.id in found:
            raise ScenarioFormatError(f"duplicate scenario id {scenario.id!r} in {scenario.file} and "
                                      f"{found[scenario.id].file}")
        found[scenario.id] = scenario
    return tuple(found[key] for key in sorted(found))
