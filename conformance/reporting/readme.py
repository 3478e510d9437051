"""A target's compliance table, generated from its results into a marked region of a Markdown file.

The region lies between ``<!-- NAME-compliance:start -->`` and ``<!-- NAME-compliance:end -->``;
everything outside it is left as it is.
"""

from __future__ import annotations

from conformance.reporting import markdown, tally
from conformance.reporting.model import Results
from conformance.reporting.text import md_cell


class RegionError(ValueError):
    """The file lacks the region's markers, or has them out of order."""


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}-compliance:start -->", f"<!-- {name}-compliance:end -->"


def render(results: Results, name: str, source: str) -> str:
    """The whole region, markers included; ``source`` names the results file it comes from."""
    start, end = markers(name)
    everything = tally.overall(results.items)
    known = f" Known failures, each with how it departs from Stripe's docs: `{md_cell(results.manifest)}`." \
        if results.manifest else ""
    lines = [start,
             f"<!-- generated from {source} by `python -m conformance.reporting readme {source} --name {name}`; "
             f"do not edit by hand -->",
             f"## Compliance of {md_cell(results.title)}", "",
             f"{md_cell(results.title)} against stripe-conformance {results.suite_version} "
             f"({results.started_at[:10]}): **{everything.percent()}** of the documented behaviours, "
             f"{everything.passed} of {everything.measured} measured.{known}", ""]
    lines += markdown.tally_table(tally.by_group(results.items), "Endpoint / behaviour")
    lines += ["", "<details><summary>Every scenario</summary>", ""]
    lines += markdown.result_table(results.items)
    lines += ["", "</details>", end]
    return "\n".join(lines)


def extract(text: str, name: str) -> str:
    start, end = markers(name)
    begin, finish = text.find(start), text.find(end)
    if begin < 0 or finish < begin:
        raise RegionError(f"the file has no region {start} ... {end}")
    return text[begin:finish + len(end)]


def replace(text: str, name: str, region: str) -> str:
    return text.replace(extract(text, name), region, 1)
