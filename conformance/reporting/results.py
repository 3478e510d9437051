"""The results of one run (``results.json``), typed, and everything computed from them.

Every writer, the terminal summary, the gate and ``stripe-conformance gate``/``suggest`` work
from this model, so what a stored ``results.json`` says later is what the run itself said.
Verdicts and outcomes are the project's one outcome model (:mod:`conformance.outcomes`); the
file's shape is published as ``schemas/results.schema.json`` (format ``FORMAT``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from conformance import outcomes
from conformance.outcomes import Outcome, Verdict

FORMAT = "stripe-conformance-results/2"
READABLE_FORMATS = (FORMAT, "stripe-conformance-results/1")
SCHEMA_FILE = "results.schema.json"
FUZZ = "fuzz"  # the tag (and, for a check with no endpoint, the group) of the schema-driven fuzz checks

# In the order reports show them: what needs a look first.
OUTCOME_ORDER = (Outcome.FAILED, Outcome.HARNESS_ERROR, Outcome.UNSUPPORTED, Outcome.UNEXPECTED_PASS,
                 Outcome.WARNED, Outcome.EXPECTED_FAILURE, Outcome.NOT_APPLICABLE, Outcome.PASSED)


class ResultsFileError(ValueError):
    """A file that is not a results file this version can read."""


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)  # never the API key
    body: str = ""


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    body: Any = None  # the JSON answer, or its text when it is not JSON


@dataclass
class Evidence:
    """Why a result is not a plain pass: what was sent, what came back, what was expected."""

    summary: str = ""
    step: str | None = None
    endpoint: str | None = None  # where it went wrong: ``POST /v1/payment_intents/{id}/capture``
    problems: list[str] = field(default_factory=list)
    request: Request | None = None
    response: Response | None = None
    trail: list[str] = field(default_factory=list)  # the steps that led there: ``POST /v1/... -> 200``
    text: str | None = None  # an error's own text, when no exchange shows it
    curl: str | None = None  # a command that replays the request (fuzz findings)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Evidence | None":
        if not data:
            return None
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if isinstance(values.get("request"), dict):
            values["request"] = Request(**values["request"])
        if isinstance(values.get("response"), dict):
            values["response"] = Response(**values["response"])
        return cls(**values)


@dataclass
class ItemResult:
    """One scenario, one fuzz finding, or one other test of the suite."""

    id: str
    kind: str  # "scenario", "finding" (a fuzz check that failed) or "test"
    group: str  # the row reports show it in: "payment_intents/capture", or "fuzz" for a check with no endpoint
    title: str
    verdict: Verdict
    outcome: Outcome | None = None
    features: list[str] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)
    nodeid: str = ""
    duration: float = 0.0
    expected: str | None = None  # the manifest's reason, when listed
    declared: str | None = None  # the test's own expected-failure reason (pytest xfail), not a manifest's
    detail: str | None = None  # why not applicable, which endpoint is missing, the harness error
    missing_endpoint: str | None = None  # for an unsupported verdict: the endpoint the target lacks
    warnings: list[str] = field(default_factory=list)  # the SHOULD expectations missed
    notes: str = ""  # the scenario's notes for a reader
    evidence: Evidence | None = None

    def __post_init__(self) -> None:
        self.verdict = Verdict(self.verdict)
        self.outcome = outcomes.outcome(self.verdict, self.known_failure)

    def expect(self, reason: str | None) -> None:
        self.expected = reason
        self.outcome = outcomes.outcome(self.verdict, self.known_failure)

    @property
    def known_failure(self) -> str | None:
        """Why a shortfall is expected: the manifest's reason, else the test's own."""
        return self.expected or self.declared

    @property
    def endpoint(self) -> str | None:
        """The endpoint the result is about, when one is: the missing one, else where it went wrong."""
        return self.missing_endpoint or (self.evidence.endpoint if self.evidence else None)

    @property
    def why(self) -> str:
        """The one line that says why a result is not a plain pass."""
        if self.evidence and self.evidence.summary:
            return self.evidence.summary
        if self.warnings:
            return "SHOULD missed: " + "; ".join(self.warnings)
        return self.detail or ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(verdict=self.verdict.value, outcome=self.outcome.value, duration=round(self.duration, 4))
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ItemResult":
        known = {f.name for f in fields(cls)} - {"outcome", "evidence"}
        item = cls(**{k: v for k, v in data.items() if k in known})
        item.evidence = Evidence.from_dict(data.get("evidence"))
        return item


@dataclass
class Tally:
    """Results counted together: a whole run, an endpoint group or a feature tag."""

    name: str
    items: list[ItemResult] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(item.outcome for item in self.items)

    @property
    def compliance(self) -> outcomes.Compliance:
        return outcomes.compliance(item.verdict for item in self.items)

    def percent(self) -> str:
        return outcomes.percent(self.compliance.overall)

    @property
    def missing_endpoints(self) -> Counter:
        """Each endpoint the target lacks, once, with how many checks stand behind it."""
        return Counter(item.missing_endpoint or "an unnamed endpoint" for item in self.items
                       if item.verdict is Verdict.UNSUPPORTED)

    @property
    def shortfalls(self) -> int:
        return sum(1 for item in self.items if not item.verdict.passing and item.verdict is not Verdict.NOT_APPLICABLE)


@dataclass
class Gate:
    """Whether the run passes, and why not."""

    strict: bool = False  # unexpected passes fail the run
    strict_should: bool = False  # SHOULD regressions fail the run
    unlisted: list[str] = field(default_factory=list)  # shortfalls the manifest does not list
    unexpected_passes: list[str] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)  # passed in the baseline, fall short now
    should_regressions: list[str] = field(default_factory=list)  # passed in the baseline, warn now
    improvements: list[str] = field(default_factory=list)  # fell short in the baseline, pass now
    baseline: str | None = None  # a description of the baseline run

    @property
    def passed(self) -> bool:
        return not (self.unlisted or self.regressions or (self.strict and self.unexpected_passes)
                    or (self.strict_should and self.should_regressions))

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, **asdict(self)}


@dataclass
class Results:
    target: str
    suite_version: str
    started_at: str
    duration: float = 0.0
    target_name: str | None = None
    seed: int | None = None  # the fuzz checks' seed: ``--seed N`` replays them
    manifest: str | None = None
    items: list[ItemResult] = field(default_factory=list)
    gate: Gate = field(default_factory=Gate)
    stripe_version: str | None = None  # the Stripe-Version every request carried
    traffic: dict[str, int] = field(default_factory=dict)  # requests, 429s, retries, cleanup (conformance.transport)

    @property
    def title(self) -> str:
        return self.target_name or self.target

    def by_id(self) -> dict[str, ItemResult]:
        return {item.id: item for item in self.items}

    def tally(self) -> Tally:
        return Tally("all", list(self.items))

    def by_group(self) -> list[Tally]:
        """Endpoint groups, worst first (lowest compliance, then most shortfalls), then by name."""
        return _worst_first(_grouped(self.items, lambda item: [item.group]))

    def by_feature(self) -> list[Tally]:
        """Feature tags, worst first; a result counts under each of its tags."""
        return _worst_first(_grouped(self.items, lambda item: item.features))

    def compare(self, baseline: "Results") -> "Gate":
        """What changed since ``baseline``: verdicts are compared, not outcomes (a manifest changes
        what is expected, not what the target does); results in only one of the runs are neither."""
        before = {item.id: item.verdict for item in baseline.items}
        gate = Gate(baseline=f"{baseline.title} at {baseline.started_at} (suite {baseline.suite_version})")
        for item in self.items:
            earlier = before.get(item.id)
            if earlier is None:
                continue
            if earlier.passing and item.verdict in outcomes.SHORTFALLS:
                gate.regressions.append(item.id)
            elif earlier is Verdict.PASSED and item.verdict is Verdict.WARNED:
                gate.should_regressions.append(item.id)
            elif earlier in outcomes.SHORTFALLS and item.verdict.passing:
                gate.improvements.append(item.id)
        return gate

    def judge(self, manifest: Any = None, baseline: "Results | None" = None, strict: bool = False,
              strict_should: bool = False) -> Gate:
        """Apply ``manifest`` (outcomes change), compare with ``baseline``, record and return the gate."""
        if manifest is not None:
            manifest.apply(self)
            self.manifest = manifest.path
        gate = self.compare(baseline) if baseline is not None else Gate()
        gate.strict, gate.strict_should = strict, strict_should
        gate.unlisted = [item.id for item in self.items if item.outcome.value in _SHORTFALL_OUTCOMES]
        gate.unexpected_passes = [item.id for item in self.items if item.outcome is Outcome.UNEXPECTED_PASS]
        self.gate = gate
        return gate

    def totals(self) -> dict[str, Any]:
        everything = self.tally()
        figures = everything.compliance
        return {
            "outcomes": {outcome.value: everything.counts[outcome] for outcome in Outcome},
            "compliance": {"applicable": figures.applicable, "passed": figures.passed, "warned": figures.warned,
                           "unsupported": figures.unsupported, "overall": _rounded(figures.overall),
                           "implemented": _rounded(figures.implemented), "should": _rounded(figures.should)},
            "unsupported_endpoints": [{"endpoint": endpoint, "checks": checks}
                                      for endpoint, checks in sorted(everything.missing_endpoints.items())],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "target": {"base_url": self.target, "name": self.target_name},
            "suite_version": self.suite_version, "started_at": self.started_at, "duration": round(self.duration, 3),
            "seed": self.seed, "manifest": self.manifest, "totals": self.totals(), "gate": self.gate.to_dict(),
            "stripe_version": self.stripe_version, "traffic": self.traffic,
            "results": [item.to_dict() for item in self.items],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Results":
        if data.get("format") != FORMAT:
            data = upgrade(data)
        gate_fields = {f.name for f in fields(Gate)}
        return cls(
            target=data["target"]["base_url"], target_name=data["target"].get("name"),
            suite_version=data["suite_version"], started_at=data["started_at"], duration=data.get("duration", 0.0),
            seed=data.get("seed"), manifest=data.get("manifest"), stripe_version=data.get("stripe_version"),
            traffic=data.get("traffic") or {},
            items=[ItemResult.from_dict(raw) for raw in data["results"]],
            gate=Gate(**{k: v for k, v in data.get("gate", {}).items() if k in gate_fields}),
        )

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / "results.json"
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


_SHORTFALL_OUTCOMES = {verdict.value for verdict in outcomes.SHORTFALLS}


def _grouped(items: Iterable[ItemResult], keys) -> list[Tally]:
    tallies: dict[str, Tally] = {}
    for item in items:
        for key in keys(item):
            tallies.setdefault(key, Tally(key)).items.append(item)
    return list(tallies.values())


def _worst_first(tallies: list[Tally]) -> list[Tally]:
    def badness(tally: Tally):
        overall = tally.compliance.overall
        return (2.0 if overall is None else overall, -tally.shortfalls, tally.name)
    return sorted(tallies, key=badness)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# Format 1 (suite 0.1.0) named verdicts and outcomes in its own words, and kept evidence as a dict.
_V1_VERDICTS = {"pass": "passed", "fail": "failed", "error": "harness-error", "unsupported": "unsupported",
                "skip": "not-applicable"}


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """A format-1 results file as format 2: the same run, in the outcome model's words."""
    items = []
    for raw in data["results"]:
        item = {k: v for k, v in raw.items() if k not in ("failure", "outcome")}
        item["verdict"] = _V1_VERDICTS[raw["verdict"]]
        failure = raw.get("failure") or None
        if failure:
            failure = dict(failure)
            if isinstance(failure.get("request"), dict):
                failure["request"] = {k: failure["request"].get(k) or "" for k in ("method", "url", "body")}
        item["evidence"] = failure
        if item["verdict"] == "unsupported":
            item["missing_endpoint"] = (failure or {}).get("endpoint")
        items.append(item)
    return {**data, "format": FORMAT, "results": items}


@lru_cache(maxsize=None)
def schema() -> dict[str, Any]:
    from conformance.resources import schemas_dir

    return json.loads(schemas_dir().joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


def schema_errors(data: Any) -> list[str]:
    """Where ``data`` departs from the published shape of a format-2 results file."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    return [f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))]


REGENERATE = "run the suite again with --report DIR to write one"


def load(path: str | Path) -> Results:
    """A stored run, of this format or the one before; anything else is refused in one line."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise ResultsFileError(f"cannot read results file {path}: {reason}") from exc
    kind = data.get("format") if isinstance(data, dict) else None
    if kind not in READABLE_FORMATS:
        seen = f"format {kind!r}" if kind else "no format"
        raise ResultsFileError(f"{path}: not a results file this version reads ({seen}; it reads "
                               f"{' and '.join(READABLE_FORMATS)}): {REGENERATE}")
    problems = schema_errors(data) if kind == FORMAT else []
    try:
        if problems:
            raise ValueError(problems[0])
        return Results.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultsFileError(f"{path}: malformed results file ({exc}): {REGENERATE}") from exc


def write_all(results: Results, directory: str | Path) -> list[Path]:
    """results.json, report.md and report.html in ``directory`` (made if missing)."""
    from conformance.reporting import html, markdown  # they render this model: imported here, not at the top

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    return [results.save(target), markdown.write(results, target), html.write(results, target)]


def unwritable(directory: str | Path) -> str | None:
    """Why reports cannot be written to ``directory``: checked before a run, so no run is wasted on it.

    The directory is made (the reports need it anyway) and a file is written in it and removed.
    """
    import tempfile

    path = Path(directory)
    if path.exists() and not path.is_dir():
        return f"{path} is not a directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        return f"cannot write there: {exc.strerror or exc}"
    return None
