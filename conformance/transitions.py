"""The status transitions the scenarios prove, for the state diagrams of docs/behaviours/.

An edge exists only where a scenario asserts (as a MUST) an object's status before an operation
and its status after it, in the operation's own answer or in a later retrieve with no other
operation on the object between; never from what a server happens to return. A refusal (an
error answer other than a decline) from an asserted status is a refused transition. A decline
(``card_error``) is an attempt that moves the object, so it is an edge of its own.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from conformance.scenario import Scenario, Step

START = "[*]"
# The objects with a status machine: the name the diagrams use and the collection of the API.
MACHINES = {"PaymentIntent": "/v1/payment_intents", "SetupIntent": "/v1/setup_intents"}
# A refusal in a scenario tagged with one of these is caused by what the tag names (a bad
# parameter, a reused key, another account, a publishable key), not by the object's status.
OTHER_CAUSES = frozenset({"validation", "metadata", "idempotency", "isolation", "publishable_key"})


@dataclass(frozen=True)
class Edge:
    machine: str
    source: str
    label: str
    target: str

    @property
    def id(self) -> str:
        """Stable across builds and Graphviz versions: the SVG group, the CSS and the tests key on it."""
        return "-".join(["edge", _slug(self.machine), _slug(self.source), _slug(self.label), _slug(self.target)])


@dataclass(frozen=True)
class Refusal:
    machine: str
    source: str
    label: str


@dataclass
class Proofs:
    """Each edge and refusal with the ids of the scenarios that prove it, in a stable order."""

    edges: dict[Edge, list[str]] = field(default_factory=dict)
    refusals: dict[Refusal, list[str]] = field(default_factory=dict)

    def add(self, key: Edge | Refusal, scenario_id: str) -> None:
        found = self.edges if isinstance(key, Edge) else self.refusals
        ids = found.setdefault(key, [])
        if scenario_id not in ids:
            ids.append(scenario_id)

    def of(self, machine: str) -> "Proofs":
        return Proofs({e: sorted(ids) for e, ids in sorted(self.edges.items(), key=_order) if e.machine == machine},
                      {r: sorted(ids) for r, ids in sorted(self.refusals.items(), key=_order) if r.machine == machine})


def _order(item: tuple[Edge | Refusal, list[str]]) -> tuple[str, ...]:
    key = item[0]
    return (key.source != START, key.source, key.label, getattr(key, "target", ""))


def _slug(text: str) -> str:
    return "start" if text == START else re.sub(r"[^a-z0-9_]+", "-", text.lower()).strip("-")


@dataclass
class _Track:
    """What the scenario has asserted so far about one object."""

    machine: str
    known: str | None = None
    pending: tuple[str, str] | None = None  # (status before, label) of an operation whose result is not yet asserted


def derive(scenarios: Iterable[Scenario], operations: dict[str, str]) -> Proofs:
    """``operations``: endpoint (``POST /v1/payment_intents/{id}/capture``) -> operation (``payment_intents/capture``).

    An edge is labelled with the operation's name (``capture``), ``+ confirm`` for a create that
    confirms, `` (declined)`` for an attempt the card declined."""
    proofs = Proofs()
    for scenario in scenarios:
        _walk(scenario, operations, proofs)
    return proofs


def _walk(scenario: Scenario, operations: dict[str, str], proofs: Proofs) -> None:
    tracks: dict[str, _Track] = {}
    branches: list[dict[str, _Track]] = []  # the end states of the `when` branches run so far
    before: dict[str, _Track] = {}
    branch: Any = None
    for step in scenario.steps:
        if step.when is not None:
            if branch is None:
                before = copy.deepcopy(tracks)
            if step.when != branch:
                if branch is not None:
                    branches.append(tracks)
                tracks, branch = copy.deepcopy(before), step.when
        elif branch is not None:
            tracks, branch = _merge([*branches, tracks]), None
            branches = []
        _step(scenario, step, tracks, operations, proofs)


def _merge(ends: Sequence[dict[str, _Track]]) -> dict[str, _Track]:
    """After the branches: what every branch agrees on (Stripe chose one of them, we do not know which)."""
    merged = {}
    for name, track in ends[0].items():
        same = all(name in end and end[name].known == track.known for end in ends)
        merged[name] = _Track(track.machine, track.known if same else None)
    return merged


def _step(scenario: Scenario, step: Step, tracks: dict[str, _Track], operations: dict[str, str], proofs: Proofs) -> None:
    target = _object(step)
    if target is None:
        return
    machine, variable = target
    label = _label(step, operations)
    if variable is None:  # a create: the object is what the step saves
        variable = next((name for name, path in step.save.items() if path.endswith("id")), None)
        if variable is None or not _attempted(step):
            return
        tracks[variable] = _Track(machine, pending=(START, label))
    else:
        track = tracks.setdefault(variable, _Track(machine))
        if step.method == "POST" and _attempted(step):
            track.pending, track.known = ((track.known, label) if track.known else None), None
        elif step.method == "POST":
            if track.known and track.pending is None and _refused_for_status(scenario, step):
                proofs.add(Refusal(machine, track.known, label), scenario.id)
            return
    _settle(scenario, step, machine, tracks[variable], proofs)


def _settle(scenario: Scenario, step: Step, machine: str, track: _Track, proofs: Proofs) -> None:
    """A status the step asserts closes the operation waiting for its result: that is an edge."""
    asserted = _asserted_status(step)
    if asserted is None:
        return
    if track.pending is not None:
        proofs.add(Edge(machine, track.pending[0], track.pending[1], asserted), scenario.id)
    track.known, track.pending = asserted, None


def _attempted(step: Step) -> bool:
    """The operation went ahead: it succeeded, or the card declined (an attempt Stripe records)."""
    return _succeeds(_statuses(step)) or _declined(step)


def _statuses(step: Step) -> list[Any]:
    return step.expect["status"] if isinstance(step.expect["status"], list) else [step.expect["status"]]


def _object(step: Step) -> tuple[str, str | None] | None:
    """(machine, the variable naming the object), (machine, None) for a create, or None."""
    path = step.path.split("?")[0]
    for machine, collection in MACHINES.items():
        if path == collection and step.method == "POST":
            return machine, None
        found = re.fullmatch(re.escape(collection) + r"/\{([A-Za-z_][A-Za-z0-9_]*)\}(?:/[a-z_]+)?", path)
        if found:
            return machine, found.group(1)
    return None


def _label(step: Step, operations: dict[str, str]) -> str:
    name = operations.get(step.endpoint, step.path).rstrip("/").rsplit("/", 1)[-1]
    confirms = str((step.form or {}).get("confirm", "")).lower() == "true"
    label = f"{name} + confirm" if confirms and name == "create" else name
    return f"{label} (declined)" if _declined(step) else label


def _succeeds(statuses: list[Any]) -> bool:
    return all(isinstance(status, int) and status < 400 for status in statuses)


def _declined(step: Step) -> bool:
    """A decline is an attempt Stripe made and recorded, not a refusal of the request."""
    error = (step.expect.get("body") or {}).get("error")
    return isinstance(error, dict) and error.get("type") == "card_error"


def _refused_for_status(scenario: Scenario, step: Step) -> bool:
    """A refusal by the object's own account and key that names no parameter at fault."""
    if 404 in _statuses(step) or step.key != "secret" or OTHER_CAUSES & set(scenario.features):
        return False
    errors = [(level.get("body") or {}).get("error") for level in (step.expect, step.should)]
    return not any(isinstance(error, dict) and ("param" in error or str(error.get("code", "")).startswith("parameter_"))
                   for error in errors)


def _asserted_status(step: Step) -> str | None:
    """The status the step requires (MUST) as a literal; an operator or a variable says nothing definite."""
    if not _succeeds(_statuses(step)):
        return None
    status = (step.expect.get("body") or {}).get("status")
    return status if isinstance(status, str) and "{" not in status else None
