"""``report.md``: the run for a pull request comment, a CI summary or a README."""

from __future__ import annotations

from pathlib import Path

from conformance.reporting import gate as gates
from conformance.reporting import outcomes, tally
from conformance.reporting.model import ItemResult, Results
from conformance.reporting.text import md_cell, md_fence, note, request_text, response_text, source_label

FILENAME = "report.md"


def render(results: Results) -> str:
    everything = tally.overall(results.items)
    lines = [f"# Stripe conformance: {md_cell(results.title)}", "", header_line(results), "",
             f"**Compliance: {everything.percent()}** ({everything.passed} of {everything.measured} measured "
             f"behaviours pass)", ""]
    lines += _gate(results)
    lines += ["## By endpoint", ""] + tally_table(tally.by_group(results.items), "Endpoint / behaviour") + [""]
    lines += ["## By feature", ""] + tally_table(tally.by_feature(results.items), "Feature") + [""]
    lines += ["## Results", ""] + result_table(results.items) + [""]
    shortfalls = [item for item in results.items if item.verdict in outcomes.SHORTFALLS]
    if shortfalls:
        lines += ["## Failures", ""]
        for item in shortfalls:
            lines += _failure(item)
    return "\n".join(lines).rstrip() + "\n"


def header_line(results: Results) -> str:
    parts = [f"target `{md_cell(results.target)}`", f"suite {results.suite_version}", results.started_at,
             f"{len(results.items)} results in {results.duration:.1f} s"]
    if results.manifest:
        parts.append(f"known failures: `{md_cell(results.manifest)}`")
    return " · ".join(parts)


def _gate(results: Results) -> list[str]:
    verdict = "passed" if results.gate.passed else "FAILED"
    lines = [f"## Gate: {verdict}", ""]
    if results.gate.baseline:
        lines += [f"Compared with the baseline {md_cell(results.gate.baseline)}.", ""]
    explained = gates.explain(results)
    lines += [f"- {md_cell(line)}" for line in explained] or ["Nothing to report: no unlisted failure, "
                                                             "no unexpected pass, no regression."]
    return lines + [""]


def tally_table(tallies: list[tally.Tally], heading: str) -> list[str]:
    columns = [name for name in outcomes.OUTCOMES if any(t.counts[name] for t in tallies)]
    lines = [f"| {heading} | Compliance | " + " | ".join(columns) + " |",
             "|---|---:|" + "---:|" * len(columns)]
    for row in tallies:
        counts = " | ".join(str(row.counts[name] or "") for name in columns)
        lines.append(f"| {md_cell(row.name)} | {row.percent()} | {counts} |")
    return lines


def result_table(items: list[ItemResult]) -> list[str]:
    lines = ["| Endpoint / behaviour | Scenario | Outcome | Note |", "|---|---|---|---|"]
    for item in sorted(items, key=lambda i: (i.group, i.id)):
        lines.append(f"| {md_cell(item.group)} | {md_cell(item.id)} | {item.outcome} | {md_cell(note(item))} |")
    return lines


def _failure(item: ItemResult) -> list[str]:
    lines = [f"### {md_cell(item.id)}: {item.outcome}", "", md_cell(item.title), ""]
    for source in item.sources:
        lines += [f"> {md_cell(source.get('quote', ''))} ({md_cell(source_label(source))})", ""]
    if item.known_failure:
        lines += [f"Known failure: {md_cell(item.known_failure)}", ""]
    failure = item.failure or {}
    if failure.get("summary"):
        lines += [f"**{md_cell(failure['summary'])}**", ""]
    lines += [f"- {md_cell(problem)}" for problem in failure.get("problems", [])]
    if failure.get("request"):
        lines += ["", "Request:", "", md_fence(request_text(failure)), "", "Response:", "",
                  md_fence(response_text(failure))]
    elif failure.get("text"):
        lines += ["", md_fence(failure["text"])]
    elif item.detail:
        lines += ["", md_cell(item.detail)]
    return lines + [""]


def write(results: Results, directory: Path) -> Path:
    path = directory / FILENAME
    path.write_text(render(results), encoding="utf-8")
    return path
