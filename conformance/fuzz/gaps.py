"""Known deviations of the reference server (known_gaps.yaml): XFAIL with their names, not failures.

A failure made only of known gaps is recorded, not raised, so the test goes on looking for
other failures; a test that saw known gaps and nothing else is reported as XFAIL naming them
(the plugin does that, from :data:`SEEN`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


WHERE = ("failure", "request", "response")  # what an entry's patterns are searched in


@dataclass(frozen=True)
class Gap:
    id: str
    reason: str
    code: str
    patterns: dict[str, re.Pattern]  # "failure" | "request" | "response" -> what must be found there

    def explains(self, failure: Any, texts: dict[str, str]) -> bool:
        texts = {**texts, "failure": f"{failure.title}\n{failure.message}"}
        return failure.code == self.code and all(
            pattern.search(texts[where]) for where, pattern in self.patterns.items())


@lru_cache(maxsize=None)
def known() -> tuple[Gap, ...]:
    entries = yaml.safe_load(resources.files("conformance.fuzz").joinpath("known_gaps.yaml").read_text("utf-8"))
    return tuple(Gap(entry["id"], " ".join(entry["reason"].split()), entry["code"],
                     {where: re.compile(entry[where]) for where in WHERE if where in entry})
                 for entry in entries or ())


def explain(failures: Any, request_body: Any, response_text: str) -> list[Gap] | None:
    """The known gaps behind every one of ``failures``, or None when one of them is not known."""
    body = request_body.decode("utf-8", "replace") if isinstance(request_body, bytes) else str(request_body or "")
    texts = {"request": body, "response": response_text}
    found: list[Gap] = []
    for failure in failures:
        gap = next((gap for gap in known() if gap.explains(failure, texts)), None)
        if gap is None:
            return None
        if gap not in found:
            found.append(gap)
    return found


SEEN: list[Gap] = []
"""The known gaps the running test has met; the pytest plugin empties it before each test."""


def record(gaps: list[Gap]) -> None:
    SEEN.extend(gap for gap in gaps if gap not in SEEN)


def xfail_reason(gaps: list[Gap]) -> str:
    return "known reference-server gap: " + "; ".join(f"{gap.id}: {gap.reason}" for gap in gaps)
