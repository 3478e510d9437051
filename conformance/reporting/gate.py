"""Why a run passes or fails, in lines a person reads, and its shortfalls grouped by root cause.

The judgement itself is :meth:`Results.judge`; this is how it is told, the same way in the
terminal, report.md, report.html and ``stripe-conformance gate``: each shortfall once, an
unsupported endpoint once with the checks behind it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from conformance.outcomes import Outcome, Verdict
from conformance.reporting.results import ItemResult, Results

LISTED_IDS = 6  # ids named on an unsupported endpoint's line before "and N more"


def explain(results: Results, seed: int | None = None) -> list[str]:
    """One line per reason the run fails or deserves attention (a fuzz finding adds its replay line)."""
    gate, items = results.gate, results.by_id()
    seed = results.seed if seed is None else seed
    prefix = "NOT IN MANIFEST " if results.manifest else ""
    lines = [f"REGRESSION {item_id}: passed in the baseline, now {items[item_id].verdict.value}{_why(items[item_id])}"
             for item_id in gate.regressions]
    should = "" if gate.strict_should else " (fails the gate only with --strict-should)"
    lines += [f"SHOULD REGRESSION {item_id}: passed in the baseline, now warns{should}{_why(items[item_id])}"
              for item_id in gate.should_regressions]
    unlisted = [items[item_id] for item_id in gate.unlisted]
    for endpoint, behind in _by_missing_endpoint(unlisted).items():
        named = ", ".join(item.id for item in behind[:LISTED_IDS])
        more = f" and {len(behind) - LISTED_IDS} more" if len(behind) > LISTED_IDS else ""
        lines.append(f"{prefix}UNSUPPORTED {endpoint}: {len(behind)} checks behind it ({named}{more})")
    for item in unlisted:
        if item.verdict is not Verdict.UNSUPPORTED:
            lines.append(f"{prefix}{item.verdict.value.upper()} {item.id}{_why(item)}")
            lines += _replay(item, seed)
    label = "UNEXPECTED PASS" + (" (strict)" if gate.strict else "")
    lines += [f"{label} {item_id}: listed as a known failure ({items[item_id].known_failure}) but passes"
              for item_id in gate.unexpected_passes]
    lines += [f"IMPROVEMENT {item_id}: fell short in the baseline, passes now" for item_id in gate.improvements]
    return lines


def _by_missing_endpoint(items: list[ItemResult]) -> dict[str, list[ItemResult]]:
    grouped: dict[str, list[ItemResult]] = {}
    for item in items:
        if item.verdict is Verdict.UNSUPPORTED:
            grouped.setdefault(item.missing_endpoint or "an unnamed endpoint", []).append(item)
    return dict(sorted(grouped.items()))


def _why(item: ItemResult) -> str:
    return f": {item.why}" if item.why else ""


def _replay(item: ItemResult, seed: int | None) -> list[str]:
    if item.evidence is None or not item.evidence.curl:
        return []
    again = f" (fuzz seed {seed}: --seed {seed})" if seed is not None else ""
    return [f"    replay: {item.evidence.curl}{again}"]


@dataclass
class RootCause:
    """Results that fall short for one reason: an endpoint missing, or one endpoint answering wrongly."""

    heading: str
    endpoint: str
    kind: str  # "missing" (the endpoint), "wrong" (its answers) or "warned" (a SHOULD missed)
    items: list[ItemResult] = field(default_factory=list)


def root_causes(items: list[ItemResult]) -> list[RootCause]:
    """What falls short (or warns), grouped by the endpoint at fault, the largest group first."""
    causes: dict[tuple[str, str], RootCause] = {}
    for item in items:
        if item.outcome in (Outcome.PASSED, Outcome.NOT_APPLICABLE, Outcome.UNEXPECTED_PASS):
            continue
        endpoint = item.endpoint or item.group
        kind = "missing" if item.verdict is Verdict.UNSUPPORTED else "warned" if item.verdict is Verdict.WARNED \
            else "wrong"
        causes.setdefault((kind, endpoint), RootCause("", endpoint, kind)).items.append(item)
    for (kind, endpoint), cause in causes.items():
        cause.heading = _heading(kind, endpoint, cause.items)
    return sorted(causes.values(), key=lambda cause: (-len(cause.items), cause.endpoint))


def _heading(kind: str, endpoint: str, items: list[ItemResult]) -> str:
    count = f"{len(items)} behaviour{'s' if len(items) != 1 else ''}"
    if kind == "missing":
        return f"{endpoint} is missing → {count}"
    if kind == "warned":
        return f"{endpoint}: a SHOULD missed → {count}"
    statuses = Counter(item.evidence.response.status for item in items
                       if item.evidence is not None and item.evidence.response is not None)
    answer = ""
    if len(statuses) == 1 and sum(statuses.values()) == len(items):
        answer = f" answers {next(iter(statuses))}"
    return f"{endpoint}{answer} → {count} fall short"
