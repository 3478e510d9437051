"""The results file (``results.json``): one run of the suite against one target.

Every writer and every comparison works from this model, so a report, a manifest check or a
baseline comparison made later from a stored ``results.json`` says what the run itself said.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from conformance.reporting import outcomes

FORMAT = "stripe-conformance-results/1"
FUZZ = "fuzz"  # the group and tag of the schema-driven fuzz checks (tests marked ``fuzz``)


class ResultsFileError(ValueError):
    """A file that is not a results file of this suite."""


@dataclass
class ItemResult:
    """One scenario or one other suite test (e.g. a fuzzed operation)."""

    id: str
    kind: str  # "scenario" or "test"
    group: str  # the endpoint or behaviour reports group by: "payment_intents/capture", "fuzz"
    title: str
    verdict: str
    outcome: str = ""
    features: list[str] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)
    nodeid: str = ""
    duration: float = 0.0
    expected: str | None = None  # the manifest's reason, when listed
    declared: str | None = None  # the test's own expected-failure reason (pytest xfail), not a manifest's
    detail: str | None = None  # why it was skipped, or which endpoint is unsupported
    failure: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.outcome = self.outcome or outcomes.outcome(self.verdict, self.known_failure)

    def expect(self, reason: str | None) -> None:
        self.expected = reason
        self.outcome = outcomes.outcome(self.verdict, self.known_failure)

    @property
    def known_failure(self) -> str | None:
        """Why a shortfall is expected: the manifest's reason, else the test's own."""
        return self.expected or self.declared

    @property
    def doc_url(self) -> str | None:
        for source in self.sources:
            if source.get("url"):
                return source["url"]
        return None


@dataclass
class Gate:
    """Whether the run passes, and why not."""

    strict: bool = False
    unlisted: list[str] = field(default_factory=list)  # shortfalls the manifest does not list
    unexpected_passes: list[str] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)  # passed in the baseline, fall short now
    improvements: list[str] = field(default_factory=list)  # fell short in the baseline, pass now
    baseline: str | None = None  # a description of the baseline run

    @property
    def passed(self) -> bool:
        return not (self.unlisted or self.regressions or (self.strict and self.unexpected_passes))


@dataclass
class Results:
    target: str
    suite_version: str
    started_at: str
    duration: float = 0.0
    target_name: str | None = None
    manifest: str | None = None
    items: list[ItemResult] = field(default_factory=list)
    gate: Gate = field(default_factory=Gate)

    @property
    def title(self) -> str:
        return self.target_name or self.target

    def by_id(self) -> dict[str, ItemResult]:
        return {item.id: item for item in self.items}

    def to_dict(self) -> dict[str, Any]:
        totals = {name: sum(1 for item in self.items if item.outcome == name) for name in outcomes.OUTCOMES}
        return {
            "format": FORMAT, "target": {"base_url": self.target, "name": self.target_name},
            "suite_version": self.suite_version, "started_at": self.started_at, "duration": round(self.duration, 3),
            "manifest": self.manifest, "totals": totals,
            "gate": {"passed": self.gate.passed, **asdict(self.gate)},
            "results": [_item_dict(item) for item in self.items],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Results":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ResultsFileError(f"not a stripe-conformance results file (expected format {FORMAT!r})")
        gate_fields = {f.name for f in fields(Gate)}
        item_fields = {f.name for f in fields(ItemResult)}
        return cls(
            target=data["target"]["base_url"], target_name=data["target"].get("name"),
            suite_version=data["suite_version"], started_at=data["started_at"], duration=data.get("duration", 0.0),
            manifest=data.get("manifest"),
            items=[ItemResult(**{k: v for k, v in raw.items() if k in item_fields}) for raw in data["results"]],
            gate=Gate(**{k: v for k, v in data.get("gate", {}).items() if k in gate_fields}),
        )


def _item_dict(item: ItemResult) -> dict[str, Any]:
    data = asdict(item)
    data["duration"] = round(item.duration, 4)
    return data


def load(path: str | Path) -> Results:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResultsFileError(f"cannot read results file {path}: {exc}") from exc
    try:
        return Results.from_dict(data)
    except (KeyError, TypeError) as exc:
        raise ResultsFileError(f"{path}: malformed results file ({exc})") from exc
    except ResultsFileError as exc:
        raise ResultsFileError(f"{path}: {exc}") from exc
