"""What a fuzz run did: requests sent (by status) and how far stateful sequences got."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase


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


STATS = Stats()


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    STATS.statuses[response.status_code] += 1
    meta = case.meta
    if meta is not None and meta.phase.name == TestPhase.FUZZING and meta.generation.mode == GenerationMode.POSITIVE:
        STATS.positive["sent"] += 1
        STATS.positive["accepted"] += 200 <= response.status_code < 300
