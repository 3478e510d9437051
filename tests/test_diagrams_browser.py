"""The state diagrams in a real browser (headless Chromium, Debian's `chromium`).

report.html inlines both diagrams as SVG and colours each transition by its scenarios' outcome
with CSS alone; Chromium shows the colours it really computes. Mermaid's own renderer (npm, in
tests/mermaid/) draws the Mermaid text of docs/behaviours/ as GitHub would. Skips with a plain
reason where chromium or the npm package is missing; under CI=true (.ci/run installs both) it
fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.outcomes import Verdict
from conformance.reporting import diagrams
from conformance.reporting.results import ItemResult, Results, write_all

pytestmark = pytest.mark.slow  # a real browser: the fast loop leaves it out

ROOT = Path(__file__).resolve().parent.parent
MERMAID_JS = ROOT / "tests" / "mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
BROWSERS = ("chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,900",
         "--allow-file-access-from-files", "--virtual-time-budget=15000")
RGB = {"failed": "rgb(207, 34, 46)", "passed": "rgb(26, 127, 55)", "not run": "rgb(196, 203, 211)"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason}; .ci/run installs it")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> str:
    found = next((path for path in map(shutil.which, BROWSERS) if path), None)
    if found is None:
        missing("headless Chromium is not installed (Debian: apt-get install chromium)")
    return found


def dump(chromium: str, page: Path) -> str:
    done = subprocess.run([chromium, *FLAGS, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    return done.stdout


def a_run_that_breaks_capture() -> tuple[Results, dict[str, str]]:
    """Every scenario behind the capture transition fails, the PaymentIntent's others pass; of the SetupIntent's,
    only those behind its first transition ran (and passed)."""
    pi, si = (next(machine for machine in diagrams.machines() if machine.name == name)
              for name in ("PaymentIntent", "SetupIntent"))
    capture = "edge-paymentintent-requires_capture-capture-succeeded"
    failing = set(next(edge for edge in pi.edges if edge["id"] == capture)["scenarios"])
    ran = sorted({scenario for edge in pi.edges for scenario in edge["scenarios"]} | set(si.edges[0]["scenarios"]))
    items = [ItemResult(id=scenario, kind="scenario", group="payment_intents/x", title=scenario,
                        verdict=Verdict.FAILED if scenario in failing else Verdict.PASSED) for scenario in ran]
    results = Results(target="http://mock", target_name="a mock that cannot capture", suite_version="0", seed=None,
                      started_at="2026-12-02T00:00:00+00:00", items=items)
    results.judge()
    clean = next(edge["id"] for edge in pi.edges if not failing & set(edge["scenarios"]))
    never = next(edge["id"] for edge in si.edges if not set(ran) & set(edge["scenarios"]))
    return results, {capture: "failed", clean: "passed", never: "not run"}


PROBE = """<!doctype html><html><body><pre id="out"></pre>
<iframe id="report" src="{report}" width="1280" height="900"></iframe>
<script>
document.getElementById('report').addEventListener('load', () => {{
  const doc = document.getElementById('report').contentDocument;
  const found = {{svgs: [...doc.querySelectorAll('#transitions svg')].map(svg => svg.querySelector('g.graph').id),
                 strokes: {{}}}};
  for (const id of {ids}) {{
    const path = doc.getElementById(id) && doc.getElementById(id).querySelector('path');
    found.strokes[id] = path ? getComputedStyle(path).stroke : null;
  }}
  document.getElementById('out').textContent = JSON.stringify(found);
}});
</script></body></html>"""


def test_the_report_draws_both_diagrams_and_colours_each_transition_by_its_scenarios(chromium, tmp_path):
    results, wanted = a_run_that_breaks_capture()
    write_all(results, tmp_path)
    probe = tmp_path / "probe.html"
    probe.write_text(PROBE.format(report=(tmp_path / "report.html").as_uri(), ids=json.dumps(list(wanted))),
                     encoding="utf-8")
    dom = dump(chromium, probe)
    found = json.loads(dom[dom.index('<pre id="out">') + len('<pre id="out">'):dom.index("</pre>")])
    assert found["svgs"] == ["diagram-paymentintent", "diagram-setupintent"]
    assert found["strokes"] == {edge: RGB[outcome] for edge, outcome in wanted.items()}


RENDER = """<!doctype html><html><body><pre id="out"></pre><div id="drawn"></div>
<script src="{mermaid}"></script>
<script>
(async () => {{
  const out = {{}};
  mermaid.initialize({{startOnLoad: false}});
  for (const [name, text] of Object.entries({diagrams})) {{
    try {{
      const {{svg}} = await mermaid.render('m-' + name, text);
      document.getElementById('drawn').insertAdjacentHTML('beforeend', svg);
      const drawn = document.getElementById('m-' + name);
      out[name] = {{labels: [...drawn.querySelectorAll('g.edgeLabel')].map(l => l.textContent.trim()).filter(t => t),
                   states: drawn.querySelectorAll('g.node').length}};
    }} catch (error) {{
      out[name] = {{error: String(error)}};
    }}
  }}
  document.getElementById('out').textContent = JSON.stringify(out);
}})();
</script></body></html>"""


def test_mermaid_draws_both_diagrams_with_every_transition_labelled(chromium, tmp_path):
    if not MERMAID_JS.is_file():
        missing("Mermaid is not installed for the browser check (npm ci --prefix tests/mermaid)")
    folder = ROOT / "docs" / "behaviours" / "diagrams"
    texts = {path.stem: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.mmd"))}
    page = tmp_path / "mermaid.html"
    page.write_text(RENDER.format(mermaid=MERMAID_JS.as_uri(), diagrams=json.dumps(texts)), encoding="utf-8")
    dom = dump(chromium, page)
    drawn = json.loads(dom[dom.index('<pre id="out">') + len('<pre id="out">'):dom.index("</pre>")])
    assert set(drawn) == {"payment_intent", "setup_intent"}
    for name, text in texts.items():
        transitions = [line.split(" : ", 1)[1] for line in text.splitlines() if " --> " in line]
        assert "error" not in drawn[name], drawn[name]
        assert sorted(drawn[name]["labels"]) == sorted(transitions)
        assert drawn[name]["states"] >= len({line.split(" --> ")[1].split(" : ")[0]
                                             for line in text.splitlines() if " --> " in line})


def test_each_edge_is_named_under_the_worst_outcome_of_its_scenarios_and_grey_when_none_ran():
    results, wanted = a_run_that_breaks_capture()
    rules = {line.split(" {")[0]: line for line in diagrams.css(results).splitlines()}
    failed = next(selectors for selectors, rule in rules.items() if "var(--failed)" in rule)
    passed = next(selectors for selectors, rule in rules.items() if "var(--passed)" in rule)
    ids = {outcome: edge for edge, outcome in wanted.items()}
    assert f"#{ids['failed']}" in failed.split(", ") and f"#{ids['passed']}" in passed.split(", ")
    assert f"#{ids['not run']}" not in diagrams.css(results)  # the grey default
    section = diagrams.section(results)
    assert f'<tr id="proof-{ids["failed"]}"><td><span class="badge o-failed">failed</span>' in section
