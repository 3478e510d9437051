"""``report.html``: one self-contained page (no scripts, no external assets) to look at, attach or archive.

It leads with the picture: the compliance figures, then the endpoint × outcome matrix (worst
first), the status diagrams with each transition coloured by the scenarios behind it, then what
falls short grouped by root cause ("1 endpoint missing → 17 behaviours"), each
with the request and response, headers included. Everything that comes from the target or from a
results file is escaped; links are made only from http(s) documentation URLs.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from conformance.outcomes import DESCRIPTIONS, Outcome, Verdict
from conformance.reporting import diagrams, gate
from conformance.reporting.markdown import compliance_line, counts_line, request_text, response_text, source_label
from conformance.reporting.results import OUTCOME_ORDER, ItemResult, Results, Tally
from conformance.scenario import stated

FILENAME = "report.html"

STYLE = """
:root { --passed:#1a7f37; --warned:#9a6700; --failed:#cf222e; --expected-failure:#bf8700; --unexpected-pass:#0969da;
  --unsupported:#8250df; --harness-error:#bc4c00; --not-applicable:#8c959f; --ink:#1f2328; --muted:#59636e;
  --line:#d1d9e0; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0 auto;
  max-width: 1180px; padding: 20px 24px; }
h1 { font-size: 22px; margin: 0 0 2px; } h2 { font-size: 17px; margin: 28px 0 8px; }
h3 { font-size: 15px; margin: 0; display: inline; } code, pre { font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow-x: auto;
  white-space: pre-wrap; word-break: break-word; max-height: 360px; margin: 4px 0; }
.meta { color: var(--muted); margin: 0; font-size: 13px; } .meta span + span::before { content: " · "; }
.headline { display: flex; gap: 22px; align-items: center; margin: 14px 0 10px; padding: 12px 16px;
  border: 1px solid var(--line); border-radius: 8px; }
.big { font-size: 40px; font-weight: 700; line-height: 1; } .figures div { margin: 2px 0; }
.pill { display: inline-block; border-radius: 12px; padding: 2px 10px; font-weight: 600; font-size: 13px; }
.pill.ok { background: #dafbe1; color: var(--passed); } .pill.bad { background: #ffebe9; color: var(--failed); }
.badge { display: inline-block; min-width: 86px; text-align: center; border-radius: 10px; padding: 1px 8px;
  color: #fff; font-size: 12px; font-weight: 600; white-space: nowrap; }
.o-passed { background: var(--passed); } .o-warned { background: var(--warned); } .o-failed { background: var(--failed); }
.o-expected-failure { background: var(--expected-failure); } .o-unexpected-pass { background: var(--unexpected-pass); }
.o-unsupported { background: var(--unsupported); } .o-harness-error { background: var(--harness-error); }
.o-not-applicable { background: var(--not-applicable); }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.matrix td { padding: 3px 8px; } table.matrix th .badge { min-width: 0; }
table.matrix td:first-child { width: 34%; } table.matrix td.zero { color: #c4cbd3; }
table.matrix tr.row-bad td:first-child a { color: var(--failed); font-weight: 600; }
.bar { display: flex; height: 12px; min-width: 140px; border-radius: 6px; overflow: hidden; background: #eef1f4; margin-top: 4px; }
.bar span { display: block; height: 100%; }
.pct { font-weight: 700; } .muted { color: var(--muted); }
details.cause { border: 1px solid var(--line); border-left: 4px solid var(--failed); border-radius: 6px;
  margin: 8px 0; padding: 6px 10px; }
details.cause.missing { border-left-color: var(--unsupported); } details.cause.warned { border-left-color: var(--warned); }
details.cause.known { border-left-color: var(--expected-failure); }
details.item { border-top: 1px solid var(--line); padding: 4px 0 4px 8px; } details.item:first-of-type { border-top: 0; }
summary { cursor: pointer; } .body { padding: 4px 0 8px 14px; }
.exchange { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; } .exchange > div { min-width: 0; }
blockquote { margin: 4px 0; padding: 2px 10px; border-left: 3px solid var(--line); color: var(--muted); }
.note { background: #fff8c5; border-radius: 6px; padding: 4px 8px; }
.tag { display: inline-block; background: #eef1f4; border-radius: 8px; padding: 0 6px; margin: 1px; font-size: 12px; }
table.results { table-layout: fixed; } table.results col.outcome { width: 140px; } table.results col.why { width: 42%; }
.toggle { margin: 8px 0; color: var(--muted); }
body:has(#only-shortfalls:checked) tr.row-passed, body:has(#only-shortfalls:checked) section.all-passed { display: none; }
dl.legend { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; }
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def render(results: Results) -> str:
    body = [_header(results), _headline(results), _matrix(results.by_group()), diagrams.section(results),
            _causes(results), _gate(results),
            _not_applicable(results), _features(results.by_feature()), _behaviours(results), _legend()]
    return ("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>Stripe conformance: {esc(results.title)}</title>\n<style>{STYLE}{diagrams.css(results)}</style>\n"
            "</head>\n<body>\n"
            + "\n".join(part for part in body if part) + "\n</body>\n</html>\n")


def _header(results: Results) -> str:
    meta = [f"target <code>{esc(results.target)}</code>", f"suite {esc(results.suite_version)}",
            esc(results.started_at), f"{len(results.items)} results in {results.duration:.1f} s"]
    if results.seed is not None:
        meta.append(f"fuzz seed <code>{esc(results.seed)}</code>")
    if results.manifest:
        meta.append(f"known failures: <code>{esc(results.manifest)}</code>")
    spans = "".join(f"<span>{part}</span>" for part in meta)
    return f"<header><h1>Stripe conformance: {esc(results.title)}</h1><p class=\"meta\">{spans}</p></header>"


def _headline(results: Results) -> str:
    everything = results.tally()
    passed = results.gate.passed
    pill = (f"<span class=\"pill {'ok' if passed else 'bad'}\">gate {'passed' if passed else 'failed'}"
            f"{'' if passed else f': {len(gate.explain(results))} reasons below'}</span>")
    return (f"<section class=\"headline\" id=\"headline\"><div class=\"big\">{everything.percent()}</div>"
            f"<div class=\"figures\"><div>{esc(compliance_line(everything))}</div>"
            f"<div class=\"muted\">{esc(counts_line(everything))}</div><div>{pill}</div></div></section>")


def _columns(tallies: list[Tally]) -> list[Outcome]:
    return [outcome for outcome in OUTCOME_ORDER if any(t.counts[outcome] for t in tallies)]


def _matrix(tallies: list[Tally]) -> str:
    columns = _columns(tallies)
    head = "".join(f"<th class=\"num\"><span class=\"badge o-{c.value}\">{esc(c.value)}</span></th>" for c in columns)
    rows = []
    for row in tallies:
        cells = "".join(f"<td class=\"num{'' if row.counts[c] else ' zero'}\">{row.counts[c] or '·'}</td>"
                        for c in columns)
        missing = "".join(f"<div class=\"muted\">missing: <code>{esc(endpoint)}</code></div>"
                          for endpoint in row.missing_endpoints)
        rows.append(f"<tr class=\"{'row-bad' if row.shortfalls else 'row-good'}\"><td><a href=\"#{_anchor(row.name)}\">"
                    f"{esc(row.name)}</a>{missing}</td><td class=\"num pct\">{row.percent()}</td><td>{_bar(row)}</td>"
                    f"{cells}</tr>")
    return (f"<section id=\"matrix\"><h2>Endpoints × outcomes <span class=\"muted\">(worst first)</span></h2>"
            f"<table class=\"matrix\"><thead><tr><th>Endpoint / behaviour</th><th class=\"num\">Compliance</th>"
            f"<th>Outcomes</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>")


def _bar(row: Tally) -> str:
    total = len(row.items) or 1
    spans = "".join(f"<span class=\"o-{o.value}\" style=\"width:{100 * row.counts[o] / total:.2f}%\" "
                    f"title=\"{esc(o.value)}: {row.counts[o]}\"></span>" for o in OUTCOME_ORDER if row.counts[o])
    return f"<div class=\"bar\">{spans}</div>"


def _causes(results: Results) -> str:
    causes = gate.root_causes(results.items)
    if not causes:
        return "<section id=\"failures\"><h2>What falls short</h2><p>Nothing: every applicable check passes.</p></section>"
    parts = ["<section id=\"failures\"><h2>What falls short, by endpoint</h2>"]
    for cause in causes:
        known = all(item.outcome is Outcome.EXPECTED_FAILURE for item in cause.items)
        kind = cause.kind
        items = "".join(_item(item) for item in cause.items)
        parts.append(f"<details class=\"cause {kind}{' known' if known else ''}\"{'' if known or kind == 'missing' else ' open'}>"
                     f"<summary><h3>{esc(cause.heading)}</h3>{' <span class=muted>(known)</span>' if known else ''}"
                     f"</summary>{items}</details>")
    return "".join(parts) + "</section>"


def _item(item: ItemResult) -> str:
    return (f"<details class=\"item\"><summary><span class=\"badge o-{item.outcome.value}\">{esc(item.outcome.value)}"
            f"</span> <code>{esc(item.id)}</code> {esc(item.title)}<div class=\"muted\">{esc(item.why)}</div></summary>"
            f"<div class=\"body\">{_evidence(item)}</div></details>")


def _gate(results: Results) -> str:
    lines = gate.explain(results)
    compared = f"<p>Compared with the baseline {esc(results.gate.baseline)}.</p>" if results.gate.baseline else ""
    listing = ("<ul>" + "".join(f"<li><code>{esc(line)}</code></li>" for line in lines) + "</ul>") if lines else \
        "<p>No unlisted failure, no unexpected pass, no regression.</p>"
    verdict = "passed" if results.gate.passed else "failed"
    return (f"<section id=\"gate\"><details{' open' if lines and len(lines) <= 8 else ''}><summary><h2 style=\"display:"
            f"inline\">Gate: {verdict}</h2> <span class=\"muted\">({len(lines)} lines)</span></summary>{compared}"
            f"{listing}</details></section>")


def _not_applicable(results: Results) -> str:
    reasons: dict[str, list[str]] = {}
    for item in results.items:
        if item.verdict is Verdict.NOT_APPLICABLE:
            reasons.setdefault(item.detail or "no reason given", []).append(item.id)
    if not reasons:
        return ""
    rows = "".join(f"<li>{esc(reason)}: {', '.join(f'<code>{esc(i)}</code>' for i in ids)}</li>"
                   for reason, ids in sorted(reasons.items()))
    return f"<section id=\"not-applicable\"><h2>Not applicable to this run</h2><ul>{rows}</ul></section>"


def _features(tallies: list[Tally]) -> str:
    columns = _columns(tallies)
    head = "".join(f"<th class=\"num\">{esc(c.value)}</th>" for c in columns)
    rows = "".join(f"<tr><td>{esc(t.name)}</td><td class=\"num pct\">{t.percent()}</td><td>{_bar(t)}</td>"
                   + "".join(f"<td class=\"num\">{t.counts[c] or ''}</td>" for c in columns) + "</tr>"
                   for t in tallies)
    return (f"<section id=\"features\"><details><summary><h2 style=\"display:inline\">By feature</h2></summary>"
            f"<table class=\"matrix\"><thead><tr><th>Feature tag</th><th class=\"num\">Compliance</th><th>Outcomes</th>"
            f"{head}</tr></thead><tbody>{rows}</tbody></table></details></section>")


def _behaviours(results: Results) -> str:
    parts = ["<section id=\"behaviours\"><h2>Every behaviour</h2><label class=\"toggle\"><input type=\"checkbox\" "
             "id=\"only-shortfalls\"> show only what is not a plain pass</label>"]
    for group in sorted(results.by_group(), key=lambda tally: tally.name):
        clean = all(item.outcome is Outcome.PASSED for item in group.items)
        rows = "".join(_result_row(item) for item in sorted(group.items, key=lambda i: i.id))
        parts.append(f"<section class=\"{'all-passed' if clean else 'group'}\"><h3 id=\"{_anchor(group.name)}\">"
                     f"{esc(group.name)} <span class=\"pct\">{group.percent()}</span></h3>"
                     f"<table class=\"results\"><colgroup><col class=\"outcome\"><col><col class=\"why\"></colgroup>"
                     f"<thead><tr><th>Outcome</th><th>Behaviour</th><th>Why</th></tr></thead><tbody>{rows}</tbody>"
                     f"</table></section>")
    return "\n".join(parts) + "</section>"


def _result_row(item: ItemResult) -> str:
    tags = "".join(f"<span class=\"tag\">{esc(tag)}</span>" for tag in item.features)
    return (f"<tr class=\"row-{esc(item.outcome.value)}\"><td><span class=\"badge o-{esc(item.outcome.value)}\">"
            f"{esc(item.outcome.value)}</span></td><td><details><summary><code>{esc(item.id)}</code> {esc(item.title)}"
            f"</summary><div class=\"body\">{tags}{_evidence(item)}</div></details></td>"
            f"<td class=\"muted\">{esc(item.known_failure or item.why)}</td></tr>")


def _evidence(item: ItemResult) -> str:
    parts = [_sources(item)]
    if item.notes:
        parts.append(f"<p class=\"note\">{esc(item.notes)}</p>")
    if item.known_failure:
        parts.append(f"<p><strong>Known failure:</strong> {esc(item.known_failure)}</p>")
    if item.verdict.value != item.outcome.value and item.outcome is not Outcome.UNEXPECTED_PASS:
        parts.append(f"<p class=\"muted\">What the target did: {esc(item.verdict.value)}</p>")
    if item.detail:
        parts.append(f"<p>{esc(item.detail)}</p>")
    if item.warnings:
        parts.append("<p>SHOULD missed:</p><ul>" + "".join(f"<li>{esc(w)}</li>" for w in item.warnings) + "</ul>")
    evidence = item.evidence
    if evidence is None:
        return "".join(parts)
    if evidence.summary:
        parts.append(f"<p><strong>{esc(evidence.summary)}</strong></p>")
    if evidence.problems:
        parts.append("<ul>" + "".join(f"<li>{esc(problem)}</li>" for problem in evidence.problems) + "</ul>")
    if evidence.curl:
        parts.append(f"<p>Replay</p><pre>{esc(evidence.curl)}</pre>")
    if evidence.request is not None and evidence.response is not None:
        parts.append(f"<div class=\"exchange\"><div><p>Request</p><pre>{esc(request_text(evidence))}</pre></div>"
                     f"<div><p>Response</p><pre>{esc(response_text(evidence))}</pre></div></div>")
    if evidence.trail:
        parts.append("<p>Steps</p><ol>" + "".join(f"<li><code>{esc(step)}</code></li>" for step in evidence.trail)
                     + "</ol>")
    if evidence.text:
        parts.append(f"<details><summary>Full text</summary><pre>{esc(evidence.text)}</pre></details>")
    return "".join(parts)


def _sources(item: ItemResult) -> str:
    quotes = []
    for source in item.sources:
        label = source_label(source)
        where = (f"<a href=\"{esc(label)}\">{esc(label)}</a>" if re.match(r"https?://", label) else esc(label))
        quotes.append(f"<blockquote>{esc(stated(source))}<br><small>{where}</small></blockquote>")
    return ("<p>Documented:</p>" + "".join(quotes)) if quotes else ""


def _legend() -> str:
    rows = "".join(f"<dt><span class=\"badge o-{outcome.value}\">{esc(outcome.value)}</span></dt><dd>{esc(text)}</dd>"
                   for outcome, text in DESCRIPTIONS.items())
    return (f"<section id=\"legend\"><h2>Outcomes</h2><dl class=\"legend\">{rows}</dl><p class=\"muted\">Compliance: "
            f"passed (with or without warnings) over every applicable check, an unsupported endpoint counting as not "
            f"passed; beside it the same over what the target implements.</p></section>")


def _anchor(name: str) -> str:
    return "g-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name)


def write(results: Results, directory: Path) -> Path:
    path = directory / FILENAME
    path.write_text(render(results), encoding="utf-8")
    return path
