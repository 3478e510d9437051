"""The status diagrams in report.html: each transition coloured by how the target did on the scenarios behind it.

The diagrams are drawn once, when docs/behaviours/ is built (``python -m tools.behaviour_pages``),
and ship with the package as SVG beside ``transitions.json``, which names every edge's id and the
scenarios that prove it. Colouring is then a few CSS rules on those ids: no layout tool and no
script on the user's machine. An edge takes the worst outcome of its scenarios in this run; an
edge none of whose scenarios ran stays grey and dashed.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable
from typing import Any

from conformance import resources
from conformance.outcomes import Outcome
from conformance.reporting.results import OUTCOME_ORDER, ItemResult, Results

TRANSITIONS = "transitions.json"


@dataclass(frozen=True)
class Machine:
    name: str
    svg: str  # the <svg> element, ready to inline
    edges: tuple[dict[str, Any], ...]  # {"id", "from", "operation", "to", "scenarios"}


def diagrams_dir() -> Traversable | None:
    """Where the drawn diagrams are: inside an installed package, or docs/behaviours/ of a checkout."""
    root = resources.data_root()
    for folder in (root.joinpath("diagrams"), root.joinpath("docs").joinpath("behaviours").joinpath("diagrams")):
        if folder.joinpath(TRANSITIONS).is_file():
            return folder
    return None


@lru_cache(maxsize=1)
def machines() -> tuple[Machine, ...]:
    folder = diagrams_dir()
    if folder is None:
        return ()
    described = json.loads(folder.joinpath(TRANSITIONS).read_text(encoding="utf-8"))
    return tuple(Machine(entry["name"], _inline(folder.joinpath(entry["svg"]).read_text(encoding="utf-8")),
                         tuple(entry["edges"])) for entry in described["machines"])


def _inline(svg: str) -> str:
    return re.sub(r"^.*?(?=<svg)", "", svg, flags=re.S).strip()


def edge_outcome(edge: dict[str, Any], by_id: dict[str, ItemResult]) -> Outcome | None:
    """The worst outcome among the edge's scenarios in this run; None when none of them ran."""
    ran = [by_id[scenario].outcome for scenario in edge["scenarios"] if scenario in by_id]
    ran = [outcome for outcome in ran if outcome is not None]
    return min(ran, key=OUTCOME_ORDER.index) if ran else None


def css(results: Results) -> str:
    """One rule per outcome naming the edges that take it."""
    by_id = results.by_id()
    chosen: dict[Outcome, list[str]] = {}
    for machine in machines():
        for edge in machine.edges:
            outcome = edge_outcome(edge, by_id)
            if outcome is not None:
                chosen.setdefault(outcome, []).append(edge["id"])
    rules = [".diagram g.edge path, .diagram g.edge polygon { stroke: var(--edge, #c4cbd3); "
             "stroke-dasharray: var(--dash, 4 3); }",
             ".diagram g.edge polygon { fill: var(--edge, #c4cbd3); stroke-dasharray: none; }",
             ".diagram g.edge text { fill: var(--edge, #8c959f); }",
             ".diagram g.edge path { stroke-width: var(--width, 1); }",
             ".diagram svg { max-width: 100%; height: auto; } .diagram { overflow-x: auto; margin: 8px 0; }"]
    for outcome in OUTCOME_ORDER:
        if chosen.get(outcome):
            selectors = ", ".join(f"#{edge_id}" for edge_id in chosen[outcome])
            rules.append(f"{selectors} {{ --edge: var(--{outcome.value}); --dash: none; --width: 2; }}")
    return "\n".join(rules)


def section(results: Results) -> str:
    """The diagrams with a table of their transitions, or nothing when no scenario behind them ran."""
    by_id = results.by_id()
    shown = [machine for machine in machines()
             if any(scenario in by_id for edge in machine.edges for scenario in edge["scenarios"])]
    if not shown:
        return ""
    parts = ["<section id=\"transitions\"><h2>Status transitions <span class=\"muted\">(each arrow coloured by the "
             "worst outcome of the scenarios that prove it; grey and dashed: none of them ran)</span></h2>"]
    for machine in shown:
        parts.append(f"<h3>{html.escape(machine.name)}</h3><div class=\"diagram\">{machine.svg}</div>"
                     f"<details><summary>{html.escape(machine.name)} transitions and their scenarios</summary>"
                     f"{_table(machine, by_id)}</details>")
    return "".join(parts) + "</section>"


def _table(machine: Machine, by_id: dict[str, ItemResult]) -> str:
    rows = []
    for edge in machine.edges:
        outcome = edge_outcome(edge, by_id)
        badge = (f"<span class=\"badge o-{outcome.value}\">{outcome.value}</span>" if outcome
                 else "<span class=\"muted\">not run</span>")
        scenarios = ", ".join(
            f"<code>{html.escape(scenario)}</code>" + (f" ({by_id[scenario].outcome.value})"
                                                       if scenario in by_id and by_id[scenario].outcome else "")
            for scenario in edge["scenarios"])
        source = "(created)" if edge["from"] == "[*]" else edge["from"]
        rows.append(f"<tr id=\"proof-{html.escape(edge['id'])}\"><td>{badge}</td><td><code>{html.escape(source)}</code>"
                    f" → <code>{html.escape(edge['to'])}</code></td><td>{html.escape(edge['operation'])}</td>"
                    f"<td>{scenarios}</td></tr>")
    return ("<table><thead><tr><th>Outcome</th><th>Transition</th><th>Operation</th>"
            f"<th>Scenarios</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
