"""What a fuzz run did: requests sent (by status) and how far stateful sequences got.

Each process of a run (pytest-xdist's workers, or the only one) counts its own and leaves them
in the run's shared directory when its session ends; the closing lines add them up.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    statuses: Counter = field(default_factory=Counter)
    sequences: int = 0
    reached: Counter = field(default_factory=Counter)
    """PaymentIntent status -> number of stateful sequences in which some answer showed it."""
    positive: Counter = field(default_factory=Counter)
    """Requests generated valid in the fuzzing phase: ``sent`` and ``accepted`` (answered 2xx)."""

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def part(self) -> dict[str, Any]:
        """As JSON-able data, for the run's shared directory (statuses by their text: JSON keys)."""
        return {"statuses": {str(status): count for status, count in self.statuses.items()},
                "sequences": self.sequences, "reached": dict(self.reached), "positive": dict(self.positive)}

    @classmethod
    def merged(cls, parts: list[dict[str, Any]]) -> "Stats":
        total = cls()
        for part in parts:
            total.statuses.update({int(status): count for status, count in part["statuses"].items()})
            total.sequences += part["sequences"]
            total.reached.update(part["reached"])
            total.positive.update(part["positive"])
        return total

    def lines(self, seed: int) -> list[str]:
        by_status = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        lines = [f"fuzz: {self.requests} requests sent ({by_status or 'none'}); "
                 f"seed {seed} (replay with --seed {seed})"]
        if self.positive["sent"]:
            share = 100 * self.positive["accepted"] // self.positive["sent"]
            lines.append(f"fuzz: {self.positive['accepted']} of {self.positive['sent']} valid generated requests "
                         f"accepted ({share}%)")
        if self.sequences:
            reached = ", ".join(f"{status}: {count}" for status, count in sorted(self.reached.items()))
            lines.append(f"fuzz: {self.sequences} stateful sequences; "
                         f"PaymentIntent statuses reached: {reached or 'none'}")
        return lines
