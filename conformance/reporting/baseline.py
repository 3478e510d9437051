"""Comparing a run with an earlier one: what got worse (regressions) and what got better.

Verdicts are compared, not outcomes: a manifest changes what is expected, not what the target
does. Results present in only one of the two runs are neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.reporting import outcomes
from conformance.reporting.model import Results


@dataclass(frozen=True)
class Comparison:
    regressions: list[str]
    improvements: list[str]


def compare(baseline: Results, current: Results) -> Comparison:
    before = {item.id: item.verdict for item in baseline.items}
    regressions, improvements = [], []
    for item in current.items:
        earlier = before.get(item.id)
        if earlier == outcomes.PASS and item.verdict in outcomes.SHORTFALLS:
            regressions.append(item.id)
        elif earlier in outcomes.SHORTFALLS and item.verdict == outcomes.PASS:
            improvements.append(item.id)
    return Comparison(regressions, improvements)


def describe(baseline: Results) -> str:
    return f"{baseline.title} at {baseline.started_at} (suite {baseline.suite_version})"
