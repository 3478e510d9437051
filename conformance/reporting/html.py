"""``report.html``: one self-contained page (no external assets) to look at, attach or archive.

Everything that comes from the target, or from a results file, is escaped; links are made only
from http(s) documentation URLs.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from conformance.reporting import gate as gates
from conformance.reporting import outcomes, tally
from conformance.reporting.model import ItemResult, Results
from conformance.reporting.text import request_text, response_text, source_label

FILENAME = "report.html"

STYLE = """
:root { --pass:#1a7f37; --fail:#cf222e; --expected-fail:#bf8700; --unexpected-pass:#0969da;
  --unsupported:#8250df; --error:#bc4c00; --skip:#8c959f; --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0 auto;
  max-width: 1180px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; }
h3 { font-size: 15px; margin: 24px 0 6px; } code, pre { font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow-x: auto;
  white-space: pre-wrap; word-break: break-word; max-height: 420px; }
.meta { color: var(--muted); margin: 0; } .meta span + span::before { content: " · "; }
.headline { display: flex; gap: 24px; align-items: center; margin: 20px 0; padding: 16px; border: 1px solid var(--line);
  border-radius: 8px; }
.big { font-size: 44px; font-weight: 700; } .chips { display: flex; flex-wrap: wrap; gap: 6px; list-style: none;
  margin: 0; padding: 0; }
.badge { display: inline-block; min-width: 92px; text-align: center; border-radius: 10px; padding: 1px 8px;
  color: #fff; font-size: 12px; font-weight: 600; white-space: nowrap; }
.o-pass { background: var(--pass); } .o-fail { background: var(--fail); }
.o-expected-fail { background: var(--expected-fail); } .o-unexpected-pass { background: var(--unexpected-pass); }
.o-unsupported { background: var(--unsupported); } .o-error { background: var(--error); }
.o-skip { background: var(--skip); }
.gate { border-radius: 8px; padding: 10px 16px; border: 1px solid; }
.gate.ok { border-color: var(--pass); background: #dafbe1; } .gate.bad { border-color: var(--fail); background: #ffebe9; }
.gate h2 { margin: 4px 0; } .gate ul { margin: 4px 0; padding-left: 20px; }
table { border-collapse: collapse; width: 100%; }
table.results { table-layout: fixed; } table.results col.outcome { width: 140px; }
table.results col.features { width: 230px; } table.results col.time { width: 80px; }
td.num { white-space: nowrap; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar { display: flex; height: 12px; min-width: 160px; border-radius: 6px; overflow: hidden; background: #eef1f4; }
.bar span { display: block; height: 100%; }
.pct { font-weight: 700; } .muted { color: var(--muted); }
summary { cursor: pointer; } details > div { padding: 6px 0 10px 16px; }
blockquote { margin: 4px 0; padding: 2px 10px; border-left: 3px solid var(--line); color: var(--muted); }
.tag { display: inline-block; background: #eef1f4; border-radius: 8px; padding: 0 6px; margin: 1px; font-size: 12px; }
.toggle { margin: 8px 0; color: var(--muted); }
body:has(#only-shortfalls:checked) tr.row-pass, body:has(#only-shortfalls:checked) tr.row-skip { display: none; }
dl.legend { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; }
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def render(results: Results) -> str:
    body = [_header(results), _headline(results), _gate(results),
            _matrix("Compliance by endpoint", tally.by_group(results.items), "Endpoint / behaviour", link=True),
            _matrix("Compliance by feature", tally.by_feature(results.items), "Feature tag", link=False),
            _behaviours(results), _legend()]
    return ("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>Stripe conformance: {esc(results.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _header(results: Results) -> str:
    meta = [f"target <code>{esc(results.target)}</code>", f"suite {esc(results.suite_version)}",
            esc(results.started_at), f"{len(results.items)} results in {results.duration:.1f} s"]
    if results.manifest:
        meta.append(f"known failures: <code>{esc(results.manifest)}</code>")
    spans = "".join(f"<span>{part}</span>" for part in meta)
    return (f"<header><h1>Stripe conformance: {esc(results.title)}</h1>"
            f"<p class=\"meta\">{spans}</p></header>")


def _headline(results: Results) -> str:
    everything = tally.overall(results.items)
    chips = "".join(f"<li><span class=\"badge o-{name}\">{esc(name)} {everything.counts[name]}</span></li>"
                    for name in outcomes.OUTCOMES if everything.counts[name])
    return (f"<section class=\"headline\"><div class=\"big\">{everything.percent()}</div>"
            f"<div><div>of {everything.measured} measured behaviours pass ({everything.passed} passed)</div>"
            f"<ul class=\"chips\">{chips}</ul></div></section>")


def _gate(results: Results) -> str:
    passed = results.gate.passed
    compared = f"<p>Compared with the baseline {esc(results.gate.baseline)}.</p>" if results.gate.baseline else ""
    lines = gates.explain(results)
    listing = ("<ul>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>") if lines else \
        "<p>No unlisted failure, no unexpected pass, no regression.</p>"
    return (f"<section class=\"gate {'ok' if passed else 'bad'}\"><h2>Gate: {'passed' if passed else 'failed'}</h2>"
            f"{compared}{listing}</section>")


def _matrix(title: str, tallies: list[tally.Tally], heading: str, link: bool) -> str:
    columns = [name for name in outcomes.OUTCOMES if any(t.counts[name] for t in tallies)]
    head = "".join(f"<th class=\"num\"><span class=\"badge o-{name}\">{esc(name)}</span></th>" for name in columns)
    rows = []
    for row in tallies:
        name = f"<a href=\"#{_anchor(row.name)}\">{esc(row.name)}</a>" if link else esc(row.name)
        cells = "".join(f"<td class=\"num\">{row.counts[c] or ''}</td>" for c in columns)
        rows.append(f"<tr><td>{name}</td><td class=\"num pct\">{row.percent()}</td><td>{_bar(row)}</td>{cells}</tr>")
    return (f"<section><h2>{esc(title)}</h2><table class=\"matrix\"><thead><tr><th>{esc(heading)}</th>"
            f"<th class=\"num\">Compliance</th><th>Outcomes</th>{head}</tr></thead><tbody>{''.join(rows)}"
            f"</tbody></table></section>")


def _bar(row: tally.Tally) -> str:
    total = len(row.items) or 1
    spans = "".join(f"<span class=\"o-{name}\" style=\"width:{100 * row.counts[name] / total:.2f}%\" "
                    f"title=\"{esc(name)}: {row.counts[name]}\"></span>"
                    for name in outcomes.OUTCOMES if row.counts[name])
    return f"<div class=\"bar\">{spans}</div>"


def _behaviours(results: Results) -> str:
    parts = ["<section><h2>Behaviours</h2><label class=\"toggle\"><input type=\"checkbox\" id=\"only-shortfalls\"> "
             "show only what is not a plain pass</label>"]
    for group in tally.by_group(results.items):
        parts.append(f"<h3 id=\"{_anchor(group.name)}\">{esc(group.name)} <span class=\"pct\">{group.percent()}</span>"
                     f" <span class=\"muted\">({group.passed} of {group.measured})</span></h3>")
        rows = "".join(_result_row(item) for item in sorted(group.items, key=lambda i: i.id))
        parts.append(f"<table class=\"results\"><colgroup><col class=\"outcome\"><col><col class=\"features\">"
                     f"<col class=\"time\"></colgroup><thead><tr><th>Outcome</th><th>Behaviour</th><th>Features</th>"
                     f"<th class=\"num\">Time</th></tr></thead><tbody>{rows}</tbody></table>")
    return "\n".join(parts) + "</section>"


def _result_row(item: ItemResult) -> str:
    tags = "".join(f"<span class=\"tag\">{esc(tag)}</span>" for tag in item.features)
    return (f"<tr class=\"row-{esc(item.outcome)}\"><td><span class=\"badge o-{esc(item.outcome)}\">"
            f"{esc(item.outcome)}</span></td><td><details><summary><code>{esc(item.id)}</code> {esc(item.title)}"
            f"</summary><div>{_evidence(item)}</div></details></td><td>{tags}</td>"
            f"<td class=\"num\">{item.duration * 1000:.0f} ms</td></tr>")


def _evidence(item: ItemResult) -> str:
    parts = [_sources(item)]
    if item.known_failure:
        parts.append(f"<p><strong>Known failure:</strong> {esc(item.known_failure)}</p>")
    if item.verdict != item.outcome and item.outcome != outcomes.UNEXPECTED_PASS:
        parts.append(f"<p class=\"muted\">What the target did: {esc(item.verdict)}</p>")
    if item.detail:
        parts.append(f"<p>{esc(item.detail)}</p>")
    failure = item.failure or {}
    if failure.get("summary"):
        parts.append(f"<p><strong>{esc(failure['summary'])}</strong></p>")
    if failure.get("problems"):
        parts.append("<ul>" + "".join(f"<li>{esc(problem)}</li>" for problem in failure["problems"]) + "</ul>")
    if failure.get("request"):
        parts.append(f"<p>Request</p><pre>{esc(request_text(failure))}</pre>"
                     f"<p>Response</p><pre>{esc(response_text(failure))}</pre>")
    if failure.get("trail"):
        parts.append("<p>Steps</p><ol>" + "".join(f"<li><code>{esc(step)}</code></li>" for step in failure["trail"])
                     + "</ol>")
    if failure.get("text"):
        parts.append(f"<pre>{esc(failure['text'])}</pre>")
    return "".join(parts)


def _sources(item: ItemResult) -> str:
    quotes = []
    for source in item.sources:
        label = source_label(source)
        where = (f"<a href=\"{esc(label)}\">{esc(label)}</a>" if re.match(r"https?://", label) else esc(label))
        quotes.append(f"<blockquote>{esc(source.get('quote', ''))}<br><small>{where}</small></blockquote>")
    return ("<p>Documented:</p>" + "".join(quotes)) if quotes else ""


def _legend() -> str:
    rows = "".join(f"<dt><span class=\"badge o-{name}\">{esc(name)}</span></dt><dd>{esc(text)}</dd>"
                   for name, text in outcomes.DESCRIPTIONS.items())
    return (f"<section><h2>Outcomes</h2><dl class=\"legend\">{rows}</dl><p class=\"muted\">Compliance counts passes "
            f"over every result that was not skipped.</p></section>")


def _anchor(name: str) -> str:
    return "g-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name)


def write(results: Results, directory: Path) -> Path:
    path = directory / FILENAME
    path.write_text(render(results), encoding="utf-8")
    return path
