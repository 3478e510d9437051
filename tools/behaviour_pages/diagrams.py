"""The state diagrams as Mermaid text, as Graphviz DOT rendered to SVG, and as the data the report reads.

Every edge carries its id (``Edge.id``) into the SVG as the id of its group, and links to the row
of the transitions table that lists its scenarios (``#proof-<id>``), so the HTML report can colour
an edge by the outcome of those scenarios with CSS alone, on a machine without Graphviz.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from xml.etree import ElementTree
from typing import Any

from conformance.transitions import START, Proofs

SVG = "{http://www.w3.org/2000/svg}"
STYLE = {"ink": "#1f2328", "muted": "#59636e", "line": "#d1d9e0", "soft": "#f6f8fa"}


class GraphvizMissing(RuntimeError):
    pass


def svg_name(machine: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", machine).lower() + ".svg"


def mermaid(machine: str, proofs: Proofs) -> str:
    lines = ["stateDiagram-v2", "    direction LR"]
    lines += [f"    {edge.source} --> {edge.target} : {edge.label}" for edge in proofs.edges]
    return "\n".join(lines) + "\n"


def dot(machine: str, proofs: Proofs) -> str:
    slug = machine.lower()
    states = dict.fromkeys(state for edge in proofs.edges for state in (edge.source, edge.target))
    states.update(dict.fromkeys(refusal.source for refusal in proofs.refusals))
    lines = [f"digraph \"{machine}\" {{",
             f"  id=\"diagram-{slug}\"; rankdir=LR; bgcolor=\"transparent\"; nodesep=0.35; ranksep=0.6;",
             f"  node [shape=box, style=\"rounded,filled\", fillcolor=\"{STYLE['soft']}\", color=\"{STYLE['line']}\", "
             f"fontname=\"Helvetica\", fontsize=11, fontcolor=\"{STYLE['ink']}\"];",
             f"  edge [fontname=\"Helvetica\", fontsize=9, color=\"{STYLE['muted']}\", fontcolor=\"{STYLE['ink']}\"];"]
    for state in states:
        if state == START:
            lines.append(f"  \"{_node(state)}\" [id=\"state-{slug}-start\", shape=circle, width=0.16, label=\"\", "
                         f"style=filled, fillcolor=\"{STYLE['ink']}\", color=\"{STYLE['ink']}\"];")
        else:
            lines.append(f"  \"{state}\" [id=\"state-{slug}-{state}\"];")
    for edge, scenarios in proofs.edges.items():
        tooltip = f"{edge.label}: {len(scenarios)} scenario{'s' if len(scenarios) != 1 else ''}"
        lines.append(f"  \"{_node(edge.source)}\" -> \"{edge.target}\" [id=\"{edge.id}\", label=\"{edge.label}\", "
                     f"href=\"#proof-{edge.id}\", tooltip=\"{tooltip}\"];")
    return "\n".join(lines) + "\n}\n"


def _node(state: str) -> str:
    return "start" if state == START else state


def render_svg(dot_text: str) -> str:
    """SVG from Graphviz's ``dot`` (Debian: apt-get install graphviz)."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissing("Graphviz's dot is not installed (Debian: apt-get install graphviz); "
                              "it draws the state diagrams")
    done = subprocess.run([program, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=60, check=True)
    # Without the comments (one names Graphviz's version) a hyphen need not be escaped as &#45;,
    # so the ids read in the file as they do in CSS; SVG 2's plain href is the link HTML readers know.
    svg = re.sub(r"<!--.*?-->\n?", "", done.stdout, flags=re.S).replace("&#45;", "-")
    return svg.replace(" xlink:href=", " href=")


def description(machine: str, proofs: Proofs) -> dict[str, Any]:
    """What the report needs to colour the SVG: each edge's id and its scenarios, and the refusals."""
    return {
        "name": machine, "svg": svg_name(machine),
        "edges": [{"id": edge.id, "from": edge.source, "operation": edge.label, "to": edge.target,
                   "scenarios": scenarios} for edge, scenarios in proofs.edges.items()],
        "refused": [{"from": refusal.source, "operation": refusal.label, "scenarios": scenarios}
                    for refusal, scenarios in proofs.refusals.items()],
    }


def svg_edges(svg: str) -> dict[str, str]:
    """Edge id -> its label, as drawn in an SVG (what the up-to-date test compares, not the bytes)."""
    root = ElementTree.fromstring(svg.encode())
    return {group.get("id", ""): " ".join(text.text or "" for text in group.iter(f"{SVG}text"))
            for group in root.iter(f"{SVG}g") if group.get("class") == "edge"}


__all__ = ["GraphvizMissing", "description", "dot", "mermaid", "render_svg", "svg_edges", "svg_name"]
