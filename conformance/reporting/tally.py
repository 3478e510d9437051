"""Counts and compliance percentages, overall, per endpoint group and per feature tag.

Compliance is the share of measured behaviours the target gets right: passes (expected or not)
over every result that was not simply skipped. Unsupported endpoints and errors count against
it: a behaviour that could not be shown is not there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from conformance.reporting import outcomes
from conformance.reporting.model import FUZZ, ItemResult


@dataclass
class Tally:
    name: str
    items: list[ItemResult] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(item.outcome for item in self.items)

    @property
    def passed(self) -> int:
        return sum(1 for item in self.items if item.verdict == outcomes.PASS)

    @property
    def measured(self) -> int:
        return sum(1 for item in self.items if item.verdict != outcomes.SKIP)

    @property
    def compliance(self) -> float | None:
        return 100.0 * self.passed / self.measured if self.measured else None

    def percent(self) -> str:
        value = self.compliance
        return "n/a" if value is None else f"{value:.0f}%"


def overall(items: Iterable[ItemResult]) -> Tally:
    return Tally("all", list(items))


def by_group(items: Iterable[ItemResult]) -> list[Tally]:
    """Endpoint groups in name order, the fuzz checks last."""
    groups: dict[str, Tally] = {}
    for item in items:
        groups.setdefault(item.group, Tally(item.group)).items.append(item)
    return sorted(groups.values(), key=lambda tally: (tally.name == FUZZ, tally.name))


def by_feature(items: Iterable[ItemResult]) -> list[Tally]:
    """Feature tags in name order; a result counts under each of its tags."""
    tags: dict[str, Tally] = {}
    for item in items:
        for tag in item.features:
            tags.setdefault(tag, Tally(tag)).items.append(item)
    return sorted(tags.values(), key=lambda tally: tally.name)
