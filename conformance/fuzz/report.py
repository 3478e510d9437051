"""This process's fuzz counts (:class:`conformance.fuzz.stats.Stats`), kept by a schemathesis hook."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase

from conformance.fuzz.stats import Stats

STATS = Stats()


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    STATS.statuses[response.status_code] += 1
    meta = case.meta
    if meta is not None and meta.phase.name == TestPhase.FUZZING and meta.generation.mode == GenerationMode.POSITIVE:
        STATS.positive["sent"] += 1
        STATS.positive["accepted"] += 200 <= response.status_code < 300
