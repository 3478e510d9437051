"""``results.json``: the run as data, for baselines, later gating and other tools."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.reporting.model import Results

FILENAME = "results.json"


def render(results: Results) -> str:
    return json.dumps(results.to_dict(), indent=2, ensure_ascii=False) + "\n"


def write(results: Results, directory: Path) -> Path:
    path = directory / FILENAME
    path.write_text(render(results), encoding="utf-8")
    return path
