"""``stripe-conformance run --report DIR`` against the reference server, and the writers on their own."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from html.parser import HTMLParser

import pytest
from standins import run_suite

from conformance import __version__
from conformance.reporting import html, markdown, outcomes, tally
from conformance.reporting.model import ItemResult, Results
from conformance.reporting.text import md_cell, md_fence
from conformance.scenario import load_all


class Page(HTMLParser):
    """The elements of a page, with their attributes and the text inside each table row."""

    def __init__(self, text: str):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.rows: list[tuple[dict[str, str], str]] = []
        self._row: list[str] | None = None
        self._row_attrs: dict[str, str] = {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag == "tr":
            self._row, self._row_attrs = [], attributes

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            self.rows.append((self._row_attrs, " ".join(" ".join(self._row).split())))
            self._row = None

    def handle_data(self, data):
        if self._row is not None:
            self._row.append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and all(attrs[k] in a.get(k, "").split() for k in attrs)]


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    # Every scenario, and of the fuzz checks only the stateful one: how the report takes fuzz items is
    # what is tested here, not the target (the suite's own run fuzzes every operation).
    result = run_suite("--report", str(out), f"--junitxml={out / 'junit.xml'}", "-q", "-k", "not test_operation")
    assert result.returncode == 0, result.stdout + result.stderr
    return out, json.loads((out / "results.json").read_text())


def test_the_report_directory_holds_the_three_files_and_the_results_say_what_ran(reference_run):
    out, results = reference_run
    assert {path.name for path in out.iterdir()} >= {"results.json", "report.md", "report.html"}
    assert results["target"]["base_url"].startswith("http://127.0.0.1:")
    assert results["suite_version"] == __version__
    assert datetime.fromisoformat(results["started_at"]).tzinfo is not None
    scenarios = {item["id"]: item for item in results["results"] if item["kind"] == "scenario"}
    assert set(scenarios) == {scenario.id for scenario in load_all()}
    for scenario in load_all():
        item = scenarios[scenario.id]
        assert item["outcome"] == outcomes.PASS and item["verdict"] == outcomes.PASS
        assert item["features"] == list(scenario.features)
        assert item["sources"][0] == dict(scenario.sources[0])
        assert item["group"] == scenario.operation
        assert item["duration"] > 0
    fuzzed = [item for item in results["results"] if item["kind"] != "scenario"]
    assert fuzzed and all("fuzz" in item["features"] and item["outcome"] == outcomes.PASS for item in fuzzed)
    assert results["gate"]["passed"] is True
    assert results["totals"][outcomes.PASS] == len(results["results"])


def test_the_html_report_is_a_compliance_matrix_with_no_external_assets(reference_run):
    out, results = reference_run
    text = (out / "report.html").read_text()
    page = Page(text)
    assert not page.all("script") and not page.all("link") and not page.all("img")
    assert "url(" not in text and "@import" not in text
    assert all(not a["href"].startswith(("http:", "https:")) or "docs.stripe.com" in a["href"] for a in page.all("a"))
    groups = {item["group"] for item in results["results"]}
    matrix_rows = [cells for attrs, cells in page.rows if cells.split(" ")[0] in groups]
    assert len(matrix_rows) >= len(groups)
    assert all("100%" in cells for cells in matrix_rows)
    for item in results["results"]:
        anchor = html._anchor(item["group"])
        assert page.all("h3", id=anchor), f"no section for {item['group']}"
        assert any(item["id"] in cells and "row-pass" in attrs.get("class", "") for attrs, cells in page.rows)
    assert len(page.all("details")) == len(results["results"])
    assert page.all("span", **{"class": "o-pass"})


def test_the_markdown_report_has_the_endpoint_table(reference_run):
    out, results = reference_run
    text = (out / "report.md").read_text()
    assert "## Gate: passed" in text
    for group in {item["group"] for item in results["results"]}:
        assert f"| {group} | 100% |" in text


def test_junit_names_each_scenario_by_id_in_its_endpoint_class_with_features_and_source(reference_run):
    out, _ = reference_run
    cases = {case.get("name"): case for case in ElementTree.parse(out / "junit.xml").iter("testcase")}
    for scenario in load_all():
        case = cases[scenario.id]
        assert case.get("classname") == scenario.operation.replace("/", ".")
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert properties["features"] == ",".join(scenario.features)
        source = scenario.sources[0]
        assert properties["source"] == (source.get("url") or source.get("seed") or source.get("spec"))
        assert properties["title"] == scenario.title


HOSTILE = "<script>alert('x')</script>\" onmouseover=\"alert(1)"


def hostile_results() -> Results:
    failure = {"summary": f"step: {HOSTILE}", "problems": [HOSTILE],
               "request": {"method": "POST", "url": f"http://target/v1/x?{HOSTILE}", "body": HOSTILE},
               "response": {"status": 400, "content_type": HOSTILE, "body": {"error": {"message": HOSTILE}}},
               "trail": [HOSTILE], "text": "``` " + HOSTILE}
    item = ItemResult(id=f"id-{HOSTILE}", kind="scenario", group=f"group/{HOSTILE}", title=HOSTILE,
                      verdict=outcomes.FAIL, features=[HOSTILE],
                      sources=[{"url": f"javascript:alert(1)//{HOSTILE}", "quote": HOSTILE}], failure=failure,
                      detail=HOSTILE)
    return Results(target=HOSTILE, target_name=HOSTILE, suite_version="0", started_at="2026-01-01T00:00:00+00:00",
                   manifest=HOSTILE, items=[item])


def test_the_html_report_escapes_everything_from_the_target_and_links_only_http_urls():
    text = html.render(hostile_results())
    page = Page(text)
    assert not page.all("script")
    assert not any("onmouseover" in attrs for _, attrs in page.elements)
    assert not any(a.get("href", "").startswith("javascript") for a in page.all("a"))
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text


def test_markdown_cells_render_literally_and_fences_outlast_backticks():
    assert md_cell("a | b\n<b>c</b> [l](javascript:x)") == r"a \| b &lt;b&gt;c&lt;/b&gt; \[l\](javascript:x)"
    fenced = md_fence("x ```` y")
    assert fenced.startswith("`````\n") and fenced.endswith("\n`````")
    text = markdown.render(hostile_results())
    assert "<script>" in text  # literally, in the request and response code blocks
    outside_code = re.sub(r"(?s)^(`{3,})\n.*?\n\1$", "", text, flags=re.MULTILINE)
    assert "<script>" not in outside_code and "&lt;script&gt;" in outside_code


def test_compliance_counts_passes_over_everything_not_skipped():
    def item(verdict, expected=None):
        return ItemResult(id=f"{verdict}-{expected}", kind="scenario", group="g", title="t", verdict=verdict,
                          expected=expected)

    items = [item(outcomes.PASS), item(outcomes.PASS, "listed"), item(outcomes.FAIL, "listed"),
             item(outcomes.UNSUPPORTED), item(outcomes.ERROR), item(outcomes.SKIP)]
    everything = tally.overall(items)
    assert (everything.passed, everything.measured, everything.percent()) == (2, 5, "40%")
    assert [i.outcome for i in items] == [outcomes.PASS, outcomes.UNEXPECTED_PASS, outcomes.EXPECTED_FAIL,
                                          outcomes.UNSUPPORTED, outcomes.ERROR, outcomes.SKIP]
    assert tally.overall([item(outcomes.SKIP)]).percent() == "n/a"


FUZZ_MODULE = '''
import pytest

pytestmark = pytest.mark.fuzz

@pytest.mark.parametrize("operation", ["GET /v1/things", "POST /v1/things"])
def test_operation(operation):
    assert operation.startswith("GET"), {"status": 500}

def test_operation_unsupported():
    pytest.skip("UNSUPPORTED ENDPOINT: the target answers POST /v1/things/{id}/act with 404")

def test_operation_skipped():
    pytest.skip("operation not in the target's spec")

def test_operation_known_gap():
    pass  # the conftest turns this pass into an expected failure, as the fuzz plugin does for known gaps

@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")

def test_operation_needs_fixture(broken):
    pass
'''

# Like conformance/fuzz/plugin.py: a call that met only known gaps is reported as an expected failure.
GAP_CONFTEST = '''
import pytest

def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz: generated checks")

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when == "call" and report.passed and item.name == "test_operation_known_gap":
        report.outcome = "skipped"
        report.wasxfail = "known gap: accepts an unknown parameter"
'''


def test_other_tests_are_reported_generically_and_fuzz_checks_by_their_marker(tmp_path):
    (tmp_path / "test_contract.py").write_text(FUZZ_MODULE)
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    pass\n")
    (tmp_path / "conftest.py").write_text(GAP_CONFTEST)
    (tmp_path / "manifest.yaml").write_text('"test_contract.py::test_operation[POST /v1/things]": answers 500\n')
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(tmp_path),
                             "--rootdir", str(tmp_path), "--report", str(tmp_path / "out"),
                             "--expect-failures", str(tmp_path / "manifest.yaml")],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    items = {item["id"]: item for item in json.loads((tmp_path / "out" / "results.json").read_text())["results"]}
    plain = items.pop("test_plain.py::test_plain")
    assert (plain["group"], plain["features"], plain["verdict"]) == ("test_plain", [], "pass")
    assert {item["group"] for item in items.values()} == {"fuzz"}
    assert all(item["features"] == ["fuzz"] and item["kind"] == "test" for item in items.values())
    verdicts = {name.split("::")[1]: (item["verdict"], item["outcome"]) for name, item in items.items()}
    assert verdicts == {"test_operation[GET /v1/things]": ("pass", "pass"),
                        "test_operation[POST /v1/things]": ("fail", "expected-fail"),
                        "test_operation_unsupported": ("unsupported", "unsupported"),
                        "test_operation_skipped": ("skip", "skip"),
                        "test_operation_known_gap": ("fail", "expected-fail"),
                        "test_operation_needs_fixture": ("error", "error")}
    gap = items["test_contract.py::test_operation_known_gap"]
    assert gap["declared"] == "known gap: accepts an unknown parameter" and gap["expected"] is None
    wrong = items["test_contract.py::test_operation[POST /v1/things]"]["failure"]
    assert "500" in wrong["text"] and wrong["summary"].startswith("AssertionError")
    assert "fixture broke" in items["test_contract.py::test_operation_needs_fixture"]["failure"]["text"]
    assert result.returncode == 1
    assert "NOT IN MANIFEST test_contract.py::test_operation_unsupported: unsupported" in result.stdout
    assert "NOT IN MANIFEST test_contract.py::test_operation_needs_fixture: error" in result.stdout
    assert "test_operation_known_gap" not in "".join(line for line in result.stdout.splitlines()
                                                     if line.startswith("NOT IN MANIFEST"))
