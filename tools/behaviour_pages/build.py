"""docs/behaviours/ as a mapping of file name to content, from the scenarios and the reference server."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

from conformance import loader, resources
from conformance.coverage import load_operations
from conformance.reporting.html import STYLE
from conformance.scenario import Scenario, parse
from conformance.transitions import MACHINES, derive
from tools.behaviour_pages import diagrams, document, pages, record

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "behaviours"
DIAGRAMS = "diagrams"
TRANSITIONS = f"{DIAGRAMS}/transitions.json"  # what the HTML report reads beside the SVGs

SvgSource = Callable[[str, str], str]  # (machine, DOT text) -> SVG text


def scenarios_in_file_order() -> list[Scenario]:
    return [parse(document, file) for file, document in loader.plain_scenarios(resources.scenarios_dir())]


def committed_svg(machine: str, _dot: str) -> str:
    """The SVG as committed: for checking the pages where re-drawing would differ by Graphviz's version."""
    path = OUTPUT / DIAGRAMS / diagrams.svg_name(machine)
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def drawn_svg(_machine: str, dot: str) -> str:
    return diagrams.render_svg(dot)


def generate(svg_source: SvgSource = drawn_svg) -> dict[str, str]:
    operations = load_operations()
    scenarios = scenarios_in_file_order()
    proofs = derive(scenarios, {operation.endpoint: operation.id for operation in operations})
    files: dict[str, str] = {}
    drawn: dict[str, tuple[str, str]] = {}
    machines = []
    for machine in MACHINES:
        mine = proofs.of(machine)
        if not mine.edges:
            continue
        mermaid, svg = diagrams.mermaid(machine, mine), svg_source(machine, diagrams.dot(machine, mine))
        stem = diagrams.svg_name(machine).removesuffix(".svg")
        files[f"{DIAGRAMS}/{stem}.mmd"] = mermaid
        files[f"{DIAGRAMS}/{stem}.svg"] = svg
        drawn[machine] = (mermaid, _inline(svg))
        machines.append(diagrams.description(machine, mine))
    files[TRANSITIONS] = json.dumps({"format": 1, "machines": machines}, indent=2) + "\n"
    examples = record.record_all(scenarios, {operation.id: operation.endpoint for operation in operations})
    for page in pages.all_pages(pages.Sources(operations, scenarios, examples, proofs, drawn)):
        files[f"{page.path}.md"] = document.markdown(page)
        html_name = "index" if page.path == pages.INDEX else page.path
        files[f"html/{html_name}.html"] = document.to_html(page, STYLE)
    return files


def _inline(svg: str) -> str:
    """An SVG file's text as an element inside HTML: without the XML declaration and doctype."""
    return re.sub(r"^.*?(?=<svg)", "", svg, flags=re.S).strip()


def write(files: dict[str, str], output: Path = OUTPUT) -> list[str]:
    """Write the pages; remove the generated files no longer produced. The names written."""
    for path in output.rglob("*"):
        if path.is_file() and path.relative_to(output).as_posix() not in files:
            path.unlink()
    for name, text in files.items():
        target = output / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return sorted(files)


def expected_edges(files: dict[str, str]) -> dict[str, dict[str, str]]:
    """SVG file name -> {edge id: label} as the scenarios prove them (from the generated transitions.json)."""
    described = json.loads(files[TRANSITIONS])
    return {f"{DIAGRAMS}/{machine['svg']}": {edge["id"]: edge["operation"] for edge in machine["edges"]}
            for machine in described["machines"]}


def differences(files: dict[str, str], output: Path = OUTPUT) -> list[str]:
    """The files that differ from the committed ones; an SVG by its edges, their ids and labels, not its bytes
    (which differ between Graphviz versions)."""
    found = []
    edges = expected_edges(files)
    committed = {path.relative_to(output).as_posix() for path in output.rglob("*") if path.is_file()}
    for name in sorted(set(files) | committed):
        path = output / name
        if name not in files:
            found.append(f"{name}: no longer generated")
        elif not path.is_file():
            found.append(f"{name}: missing")
        elif name.endswith(".svg"):
            if diagrams.svg_edges(path.read_text(encoding="utf-8")) != edges.get(name):
                found.append(f"{name}: its edges differ from the transitions the scenarios prove")
        elif path.read_text(encoding="utf-8") != files[name]:
            found.append(f"{name}: differs")
    return found
