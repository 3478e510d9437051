"""``report.md`` (for a pull request comment, a CI summary), a target's README region, and the text
both share: compliance figures, request and response as a person reads them, safe Markdown cells.

A README region lies between ``<!-- NAME-compliance:start -->`` and ``<!-- NAME-compliance:end -->``;
everything outside it is left as it is.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from conformance import outcomes
from conformance.outcomes import Outcome
from conformance.reporting import gate
from conformance.reporting.results import OUTCOME_ORDER, Evidence, ItemResult, Results, Tally
from conformance.scenario import stated

FILENAME = "report.md"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]|])")


def compliance_line(tally: Tally) -> str:
    """``69% of 230 applicable checks pass (158); 80% of what the target implements; 100% without warnings``."""
    figures = tally.compliance
    line = (f"{outcomes.percent(figures.overall)} of {figures.applicable} applicable checks pass "
            f"({figures.passed + figures.warned})")
    if figures.unsupported:
        line += f"; {outcomes.percent(figures.implemented)} of what the target implements"
    if figures.warned:
        line += f"; {outcomes.percent(figures.should)} without a SHOULD missed ({figures.warned} warned)"
    return line


def _passing(tally: Tally) -> str:
    figures = tally.compliance
    line = f"{figures.passed + figures.warned} of {figures.applicable} applicable checks pass"
    return line + (f"; {outcomes.percent(figures.implemented)} of what the target implements"
                   if figures.unsupported else "")


def counts_line(tally: Tally) -> str:
    """Every outcome with its count, an unsupported endpoint counted once with the checks behind it."""
    counts, missing = tally.counts, tally.missing_endpoints
    parts = []
    for outcome in OUTCOME_ORDER:
        if not counts[outcome]:
            continue
        if outcome is Outcome.UNSUPPORTED:
            noun = "endpoint" if len(missing) == 1 else "endpoints"
            parts.append(f"{len(missing)} {noun} unsupported ({counts[outcome]} checks behind them)")
        else:
            parts.append(f"{counts[outcome]} {outcome.value}")
    return ", ".join(parts) or "nothing ran"


def request_text(evidence: Evidence) -> str:
    request = evidence.request
    lines = [f"{request.method} {request.url}"] + [f"{k}: {v}" for k, v in request.headers.items()]
    return "\n".join(lines) + (f"\n\n{request.body}" if request.body else "")


def response_text(evidence: Evidence) -> str:
    response = evidence.response
    body = response.body
    shown = body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True)
    lines = [str(response.status)] + [f"{k}: {v}" for k, v in response.headers.items()]
    if not response.headers and response.content_type:
        lines.append(f"content-type: {response.content_type}")
    return "\n".join(lines) + f"\n\n{shown}"


def source_label(source: dict[str, str]) -> str:
    if "quote" not in source:  # a structural citation: the pointer is in what it states (scenario.stated)
        return source.get("url") or "Stripe's OpenAPI spec"
    return source.get("url") or (f"seed {source['seed']}" if source.get("seed") else f"spec {source.get('spec')}")


def note(item: ItemResult) -> str:
    """The one line that says why a result is not a plain pass."""
    return f"known: {item.known_failure}" if item.known_failure else item.why


def md_cell(text: str) -> str:
    """Text from anywhere (the target included) as one Markdown table cell that renders literally."""
    flat = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def md_fence(text: str, language: str = "") -> str:
    """A fenced block longer than any backtick run inside, so the content cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def render(results: Results) -> str:
    everything = results.tally()
    lines = [f"# Stripe conformance: {md_cell(results.title)}", "", header_line(results), "",
             f"**Compliance: {md_cell(compliance_line(everything))}**", "", md_cell(counts_line(everything)), ""]
    lines += ["## By endpoint (worst first)", ""] + tally_table(results.by_group(), "Endpoint / behaviour") + [""]
    lines += _gate(results)
    lines += _failures(results)
    lines += ["## By feature", ""] + tally_table(results.by_feature(), "Feature") + [""]
    lines += ["## Every result", ""] + result_table(results.items) + [""]
    return "\n".join(lines).rstrip() + "\n"


def header_line(results: Results) -> str:
    parts = [f"target `{md_cell(results.target)}`", f"suite {results.suite_version}", results.started_at,
             f"{len(results.items)} results in {results.duration:.1f} s"]
    if results.seed is not None:
        parts.append(f"fuzz seed {results.seed} (replay with `--seed {results.seed}`)")
    if results.manifest:
        parts.append(f"known failures: `{md_cell(results.manifest)}`")
    return " · ".join(parts)


def _gate(results: Results) -> list[str]:
    lines = [f"## Gate: {'passed' if results.gate.passed else 'FAILED'}", ""]
    if results.gate.baseline:
        lines += [f"Compared with the baseline {md_cell(results.gate.baseline)}.", ""]
    explained = gate.explain(results)
    lines += [f"- {md_cell(line)}" for line in explained] or ["Nothing to report: no unlisted failure, "
                                                             "no unexpected pass, no regression."]
    return lines + [""]


def tally_table(tallies: list[Tally], heading: str) -> list[str]:
    columns = [outcome for outcome in OUTCOME_ORDER if any(t.counts[outcome] for t in tallies)]
    lines = [f"| {heading} | Compliance | " + " | ".join(c.value for c in columns) + " |",
             "|---|---:|" + "---:|" * len(columns)]
    for row in tallies:
        counts = " | ".join(str(row.counts[outcome] or "") for outcome in columns)
        lines.append(f"| {md_cell(row.name)} | {row.percent()} | {counts} |")
    return lines


def result_table(items: list[ItemResult]) -> list[str]:
    lines = ["| Endpoint / behaviour | Result | Outcome | Note |", "|---|---|---|---|"]
    for item in sorted(items, key=lambda i: (i.group, i.id)):
        lines.append(f"| {md_cell(item.group)} | {md_cell(item.id)} | {item.outcome.value} | {md_cell(note(item))} |")
    return lines


def _failures(results: Results) -> list[str]:
    groups = gate.root_causes(results.items)
    if not groups:
        return []
    lines = ["## What falls short, by endpoint", ""]
    for cause in groups:
        lines += [f"### {md_cell(cause.heading)}", ""]
        for item in cause.items:
            lines += _failure(item)
    return lines


def _failure(item: ItemResult) -> list[str]:
    lines = [f"#### {md_cell(item.id)}: {item.outcome.value}", "", md_cell(item.title), ""]
    for source in item.sources:
        lines += [f"> {md_cell(stated(source))} ({md_cell(source_label(source))})", ""]
    if item.notes:
        lines += [f"Note: {md_cell(item.notes)}", ""]
    if item.known_failure:
        lines += [f"Known failure: {md_cell(item.known_failure)}", ""]
    evidence = item.evidence or Evidence()
    if evidence.summary:
        lines += [f"**{md_cell(evidence.summary)}**", ""]
    lines += [f"- {md_cell(problem)}" for problem in evidence.problems]
    if evidence.curl:
        lines += ["", "Replay:", "", md_fence(evidence.curl)]
    if evidence.request is not None and evidence.response is not None:
        lines += ["", "Request:", "", md_fence(request_text(evidence)), "", "Response:", "",
                  md_fence(response_text(evidence))]
    elif evidence.text:
        lines += ["", md_fence(evidence.text)]
    elif item.detail:
        lines += ["", md_cell(item.detail)]
    return lines + [""]


def write(results: Results, directory: Path) -> Path:
    path = directory / FILENAME
    path.write_text(render(results), encoding="utf-8")
    return path


class RegionError(ValueError):
    """The file lacks the region's markers, or has them out of order."""


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}-compliance:start -->", f"<!-- {name}-compliance:end -->"


def render_region(results: Results, name: str, source: str) -> str:
    """A target's README region, markers included; ``source`` names the results file it comes from."""
    start, end = markers(name)
    everything = results.tally()
    known = f" Known failures, each with how it departs from Stripe's docs: `{md_cell(results.manifest)}`." \
        if results.manifest else ""
    lines = [start,
             f"<!-- generated from {source} by `python -m conformance.reporting readme {source} --name {name}`; "
             f"do not edit by hand -->",
             f"## Compliance of {md_cell(results.title)}", "",
             f"{md_cell(results.title)} against stripe-conformance {results.suite_version} "
             f"({results.started_at[:10]}): **{everything.percent()}** of the documented behaviours "
             f"({_passing(everything)}).{known}", ""]
    lines += tally_table(results.by_group(), "Endpoint / behaviour")
    lines += ["", "<details><summary>Every scenario</summary>", ""]
    lines += result_table(results.items)
    lines += ["", "</details>", end]
    return "\n".join(lines)


def extract_region(text: str, name: str) -> str:
    start, end = markers(name)
    begin, finish = text.find(start), text.find(end)
    if begin < 0 or finish < begin:
        raise RegionError(f"the file has no region {start} ... {end}")
    return text[begin:finish + len(end)]


def replace_region(text: str, name: str, region: str) -> str:
    return text.replace(extract_region(text, name), region, 1)
