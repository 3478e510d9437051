"""``stripe-conformance compare RESULTS.json... --out DIR``: several targets side by side.

One row per scenario (and fuzz check), grouped by endpoint (the operation) and feature, one
column per target, each cell its outcome with the reason one click away; a header of compliance
per target (MUST and SHOULD apart, :func:`conformance.outcomes.compliance`), one line per endpoint
a target lacks (not one per check behind it), and a per-endpoint summary. Written as
``comparison.md`` and ``comparison.html``. ``update_docs`` regenerates docs/targets.md and the
README's short table from the profiles' committed results.
"""

from __future__ import annotations

import argparse
import html
import sys
from dataclasses import dataclass
from pathlib import Path

from conformance import outcomes
from conformance.outcomes import Outcome
from conformance.reporting import markdown
from conformance.reporting import results as model
from conformance.reporting.html import STYLE

MARKS = {Outcome.PASSED: "✅", Outcome.WARNED: "🟡", Outcome.FAILED: "❌", Outcome.UNSUPPORTED: "⛔",
         Outcome.NOT_APPLICABLE: "➖", Outcome.HARNESS_ERROR: "💥", Outcome.EXPECTED_FAILURE: "🟧",
         Outcome.UNEXPECTED_PASS: "🔷"}
README_REGION = "targets"
DOCS_PAGE = Path("docs") / "targets.md"


@dataclass(frozen=True)
class Column:
    results: model.Results
    source: str  # the results file, as given

    @property
    def title(self) -> str:
        return self.results.title

    def compliance(self) -> outcomes.Compliance:
        return self.results.tally().compliance


@dataclass(frozen=True)
class Row:
    id: str
    group: str
    feature: str
    title: str


def add_parser(commands) -> None:
    compare = commands.add_parser("compare", help="several results.json side by side (HTML and Markdown)",
                                  description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    compare.add_argument("results", nargs="+", metavar="RESULTS.json", help="one results.json per target")
    compare.add_argument("--out", required=True, metavar="DIR", help="writes comparison.md and comparison.html there")


def main(args: argparse.Namespace) -> int:
    try:
        columns = [Column(model.load(path), path) for path in args.results]
    except model.ResultsFileError as exc:
        print(f"stripe-conformance: {exc}", file=sys.stderr)
        return 4
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "comparison.md").write_text(render_markdown(columns), encoding="utf-8")
    (out / "comparison.html").write_text(render_html(columns), encoding="utf-8")
    print(f"comparison of {len(columns)} targets: {out / 'comparison.md'}, {out / 'comparison.html'}")
    return 0


def rows(columns: list[Column]) -> list[Row]:
    """Every result of every target, once, ordered by endpoint, then feature, then id."""
    seen: dict[str, Row] = {}
    for column in columns:
        for item in column.results.items:
            seen.setdefault(item.id, Row(item.id, item.group, (item.features or ["-"])[0], item.title))
    return sorted(seen.values(), key=lambda row: (row.group == model.FUZZ, row.group, row.feature, row.id))


def cell_reason(item: model.ItemResult | None) -> str:
    if item is None:
        return "not run against this target"
    if item.outcome is Outcome.UNSUPPORTED:
        return f"no {item.missing_endpoint or 'endpoint'}"
    if item.outcome is Outcome.EXPECTED_FAILURE:
        return f"known: {item.expected or item.declared}"
    return item.why


def missing_lines(columns: list[Column]) -> list[str]:
    """One line per endpoint a target lacks, with how many checks stand behind it."""
    lines = []
    for column in columns:
        for endpoint, checks in sorted(column.results.tally().missing_endpoints.items()):
            lines.append(f"{column.title} has no {endpoint} ({checks} check{'s' if checks != 1 else ''})")
    return lines


def figures(column: Column) -> tuple[str, str, str]:
    """MUST (passing over applicable), SHOULD (no SHOULD missed, of the passing), passing/applicable."""
    c = column.compliance()
    return outcomes.percent(c.overall), outcomes.percent(c.should), f"{c.passed + c.warned}/{c.applicable}"


def by_group(columns: list[Column]) -> list[tuple[str, list[str]]]:
    groups = sorted({item.group for column in columns for item in column.results.items})
    table = []
    for group in groups:
        cells = []
        for column in columns:
            tally = model.Tally(group, [item for item in column.results.items if item.group == group])
            cells.append(tally.percent() if tally.items else "")
        table.append((group, cells))
    return table


# Markdown ---------------------------------------------------------------------------------------

def render_markdown(columns: list[Column], note: str = "", remarks: list[str] = ()) -> str:
    cell = markdown.md_cell
    lines = ["# Targets compared", ""]
    if note:
        lines += [note, ""]
    lines += [f"- {cell(remark)}" for remark in remarks] + ([""] if remarks else [])
    lines += [f"Outcomes: {', '.join(f'{MARKS[o]} {o.value}' for o in Outcome)}. MUST: the share of applicable "
              "checks passed (with or without a missed SHOULD); SHOULD: of those, the share with no SHOULD missed.", "",
              "| target | run | MUST | SHOULD | passing / applicable |", "|---|---|---:|---:|---:|"]
    for column in columns:
        must, should, count = figures(column)
        lines.append(f"| {cell(column.title)} | {column.results.started_at[:10]}, seed {column.results.seed} | "
                     f"{must} | {should} | {count} |")
    missing = missing_lines(columns)
    if missing:
        lines += ["", "## Endpoints a target lacks", ""] + [f"- {cell(line)}" for line in missing]
    lines += ["", "## By endpoint", "", "| endpoint | " + " | ".join(cell(c.title) for c in columns) + " |",
              "|---|" + "---:|" * len(columns)]
    lines += [f"| {cell(group)} | " + " | ".join(cells) + " |" for group, cells in by_group(columns)]
    lines += ["", "## Every scenario and check", "",
              "| endpoint | feature | id | " + " | ".join(cell(c.title) for c in columns) + " |",
              "|---|---|---|" + "---|" * len(columns)]
    found = [column.results.by_id() for column in columns]
    for row in rows(columns):
        cells = [_md_cell(results.get(row.id)) for results in found]
        lines.append(f"| {cell(row.group)} | {cell(row.feature)} | {cell(row.id)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _md_cell(item: model.ItemResult | None) -> str:
    if item is None:
        return ""
    mark = f"{MARKS[item.outcome]} {item.outcome.value}"
    if item.outcome is Outcome.PASSED:
        return mark
    reason = markdown.md_cell(cell_reason(item)[:300])
    return f"<details><summary>{mark}</summary>{reason}</details>"


# HTML -------------------------------------------------------------------------------------------

def render_html(columns: list[Column]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c.title)}<br><span class=\"muted\">MUST {figures(c)[0]} · SHOULD {figures(c)[1]} · "
                   f"{figures(c)[2]}</span></th>" for c in columns)
    found = [column.results.by_id() for column in columns]
    body, group = [], None
    for row in rows(columns):
        if row.group != group:
            group = row.group
            body.append(f"<tr><th colspan=\"{len(columns) + 2}\">{e(group)}</th></tr>")
        cells = "".join(_html_cell(results.get(row.id)) for results in found)
        body.append(f"<tr><td>{e(row.feature)}</td><td title=\"{e(row.title)}\">{e(row.id)}</td>{cells}</tr>")
    summary = "".join(f"<tr><td>{e(g)}</td>" + "".join(f"<td class=\"num\">{c}</td>" for c in cells) + "</tr>"
                      for g, cells in by_group(columns))
    missing = "".join(f"<li>{e(line)}</li>" for line in missing_lines(columns))
    names = "".join(f"<th>{e(c.title)}</th>" for c in columns)
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Targets compared</title>"
            f"<style>{STYLE} td details summary {{ list-style: none; }}</style></head><body><h1>Targets compared</h1>"
            f"<p class=\"meta\">MUST: applicable checks passed; SHOULD: of those, none missed a SHOULD.</p>"
            f"{'<h2>Endpoints a target lacks</h2><ul>' + missing + '</ul>' if missing else ''}"
            f"<h2>By endpoint</h2><table><tr><th>endpoint</th>{names}</tr>{summary}</table>"
            f"<h2>Every scenario and check</h2><table class=\"compare\"><tr><th>feature</th><th>id</th>{head}</tr>"
            f"{''.join(body)}</table></body></html>\n")


def _html_cell(item: model.ItemResult | None) -> str:
    if item is None:
        return "<td></td>"
    badge = f"<span class=\"badge o-{item.outcome.value}\">{item.outcome.value}</span>"
    if item.outcome is Outcome.PASSED:
        return f"<td>{badge}</td>"
    return f"<td><details><summary>{badge}</summary>{html.escape(cell_reason(item))}</details></td>"


# The committed comparison -----------------------------------------------------------------------

def remarks(checkout: Path) -> list[str]:
    """What a reader needs before the numbers: each profile's ``notes`` (a stateless mock, say)."""
    from conformance import profiles

    found = [profiles.load(name, checkout / "targets") for name in profiles.names(checkout / "targets")]
    return [f"{profile.label}: {profile.data['notes']}" for profile in found if profile.data.get("notes")]


def committed(checkout: Path) -> list[Column]:
    """The profiles' committed results, the reference server first."""
    from conformance import profiles

    names = profiles.names(checkout / "targets")
    names.sort(key=lambda name: (name != "reference", name))
    paths = [checkout / "targets" / name / profiles.RESULTS for name in names]
    return [Column(model.load(path), path.relative_to(checkout).as_posix()) for path in paths if path.is_file()]


def short_table(columns: list[Column]) -> str:
    """The README's region: target, version, compliance, link."""
    start, end = markdown.markers(README_REGION)
    lines = [start, "<!-- generated from targets/*/results.json by `stripe-conformance peers --update`; "
                    "do not edit by hand -->",
             "| target | compliance (MUST) | SHOULD | details |", "|---|---:|---:|---|"]
    for column in columns:
        must, should, _ = figures(column)
        lines.append(f"| {markdown.md_cell(column.title)} | {must} | {should} | [{DOCS_PAGE.as_posix()}]"
                     f"({DOCS_PAGE.as_posix()}), [known failures]({Path(column.source).parent.as_posix()}/"
                     f"known-failures.yaml) |")
    return "\n".join(lines + [end])


NOTE = ("Generated from the committed `targets/*/results.json` (each a full run, scenarios and fuzz checks, with "
        "the profile's seed, green against its `known-failures.yaml`) by `stripe-conformance peers --update`; "
        "do not edit by hand.")


def update_docs(checkout: Path) -> None:
    columns = committed(checkout)
    (checkout / DOCS_PAGE).write_text(render_markdown(columns, NOTE, remarks(checkout)), encoding="utf-8")
    readme = checkout / "README.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(markdown.replace_region(text, README_REGION, short_table(columns)), encoding="utf-8")
    print(f"updated {DOCS_PAGE} and the README's table from {len(columns)} targets", file=sys.stderr)
