"""Writing a run's three report files into one directory."""

from __future__ import annotations

from pathlib import Path

from conformance.reporting import html, json_report, markdown
from conformance.reporting.model import Results

WRITERS = (json_report, markdown, html)


def write_all(results: Results, directory: str | Path) -> list[Path]:
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    return [writer.write(results, target) for writer in WRITERS]
