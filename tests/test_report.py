"""``stripe-conformance run --report DIR`` against the reference server, and the writers on their own."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from html.parser import HTMLParser

import jsonschema
import pytest
from pathlib import Path

from standins import not_found, run_suite

from conformance import __version__
from conformance.outcomes import Outcome, Verdict
from conformance.reporting import html, markdown
from conformance.reporting import results as model
from conformance.reporting.markdown import md_cell, md_fence
from conformance.reporting.results import Evidence, ItemResult, Request, Response, Results
from conformance.scenario import load_all


CHECKOUT = Path(__file__).resolve().parent.parent


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
    (out.parent / "stdout.txt").write_text(result.stdout)
    return out, valid_results(out / "results.json")


def valid_results(path) -> dict:
    """A results.json as written, checked against the published schema (schemas/results.schema.json)."""
    data = json.loads(path.read_text())
    assert data["format"] == model.FORMAT
    assert model.schema_errors(data) == []
    return data


@pytest.mark.slow
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
        assert item["outcome"] == Outcome.PASSED.value and item["verdict"] == Verdict.PASSED.value
        assert item["features"] == list(scenario.features)
        assert item["sources"][0] == dict(scenario.sources[0])
        assert item["group"] == scenario.operation
        assert item["duration"] > 0
    fuzzed = [item for item in results["results"] if item["kind"] != "scenario"]
    assert fuzzed and all("fuzz" in item["features"] and item["outcome"] == Outcome.PASSED.value for item in fuzzed)
    assert results["gate"]["passed"] is True
    assert results["totals"]["outcomes"]["passed"] == len(results["results"])
    assert results["totals"]["compliance"]["overall"] == 1.0 and results["totals"]["unsupported_endpoints"] == []
    assert isinstance(results["seed"], int)  # the stateful fuzz check ran: its seed replays it


@pytest.mark.slow
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
        assert any(item["id"] in cells and "row-passed" in attrs.get("class", "") for attrs, cells in page.rows)
    assert page.all("span", **{"class": "o-passed"})


@pytest.mark.slow
def test_the_markdown_report_has_the_endpoint_table(reference_run):
    out, results = reference_run
    text = (out / "report.md").read_text()
    assert "## Gate: passed" in text and "**Compliance: 100% of" in text
    assert text.index("## By endpoint") < text.index("## Gate")
    for group in {item["group"] for item in results["results"]}:
        assert f"| {group} | 100% |" in text


@pytest.mark.slow
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
    evidence = Evidence(summary=f"step: {HOSTILE}", problems=[HOSTILE], endpoint=f"POST /v1/{HOSTILE}",
                        request=Request("POST", f"http://target/v1/x?{HOSTILE}", {HOSTILE: HOSTILE}, HOSTILE),
                        response=Response(400, {"X-Evil": HOSTILE}, HOSTILE, {"error": {"message": HOSTILE}}),
                        trail=[HOSTILE], text="``` " + HOSTILE, curl=f"curl {HOSTILE}")
    item = ItemResult(id=f"id-{HOSTILE}", kind="scenario", group=f"group/{HOSTILE}", title=HOSTILE,
                      verdict=Verdict.FAILED, features=[HOSTILE], notes=HOSTILE, warnings=[HOSTILE],
                      sources=[{"url": f"javascript:alert(1)//{HOSTILE}", "quote": HOSTILE}], evidence=evidence,
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


def test_compliance_is_the_outcome_models_and_an_unsupported_endpoint_is_counted_once():
    def item(name, verdict, expected=None, missing=None):
        return ItemResult(id=name, kind="scenario", group="g", title="t", verdict=verdict, expected=expected,
                          missing_endpoint=missing)

    items = [item("a", Verdict.PASSED), item("b", Verdict.PASSED, "listed"), item("c", Verdict.FAILED, "listed"),
             item("d", Verdict.UNSUPPORTED, missing="GET /v1/x"), item("e", Verdict.UNSUPPORTED, missing="GET /v1/x"),
             item("f", Verdict.HARNESS_ERROR), item("g", Verdict.NOT_APPLICABLE), item("h", Verdict.WARNED)]
    results = Results(target="t", suite_version="0", started_at="2026-01-01T00:00:00+00:00", items=items)
    everything = results.tally()
    assert (everything.compliance.passed, everything.compliance.applicable, everything.percent()) == (2, 7, "43%")
    assert [i.outcome for i in items] == [Outcome.PASSED, Outcome.UNEXPECTED_PASS, Outcome.EXPECTED_FAILURE,
                                          Outcome.UNSUPPORTED, Outcome.UNSUPPORTED, Outcome.HARNESS_ERROR,
                                          Outcome.NOT_APPLICABLE, Outcome.WARNED]
    assert "1 endpoint unsupported (2 checks behind them)" in markdown.counts_line(everything)
    assert "60% of what the target implements" in markdown.compliance_line(everything)
    totals = results.totals()
    assert totals["unsupported_endpoints"] == [{"endpoint": "GET /v1/x", "checks": 2}]
    assert totals["compliance"]["should"] == 0.6667
    assert Results(target="t", suite_version="0", started_at="x", items=[item("g", Verdict.NOT_APPLICABLE)]
                   ).tally().percent() == "n/a"


def test_a_written_results_file_follows_the_schema_and_reads_back_the_same(tmp_path):
    results = hostile_results()
    results.seed = 7
    results.judge()
    written = model.write_all(results, tmp_path)
    assert [path.name for path in written] == ["results.json", "report.md", "report.html"]
    data = valid_results(tmp_path / "results.json")
    jsonschema.Draft202012Validator.check_schema(model.schema())  # the published schema is itself valid
    again = model.load(tmp_path / "results.json")
    assert again.to_dict() == data
    assert again.items[0].evidence.response.headers == {"X-Evil": HOSTILE}


def test_results_of_format_1_are_read_and_anything_else_refused_in_one_line(tmp_path):
    stored = model.load(CHECKOUT / "tests" / "data" / "results-format-1.json")  # localstripe by suite 0.1.0
    assert stored.items and {item.verdict for item in stored.items} <= set(Verdict)
    assert model.schema_errors(stored.to_dict()) == []
    for text in ('{"format": "stripe-conformance-results/9"}', "[]", "not json", '{"format": "stripe-conformance-results/2"}'):
        (tmp_path / "r.json").write_text(text)
        with pytest.raises(model.ResultsFileError) as refused:
            model.load(tmp_path / "r.json")
        message = str(refused.value)
        assert "\n" not in message and str(tmp_path / "r.json") in message
        assert "run the suite again with --report DIR" in message or "cannot read" in message


FUZZ_MODULE = '''
import pytest

from conformance import outcomes
from conformance.outcomes import ItemVerdict, Verdict

pytestmark = pytest.mark.fuzz

@pytest.mark.parametrize("operation", ["GET /v1/things", "POST /v1/things"])
def test_operation(operation):
    assert operation.startswith("GET"), {"status": 500}

def test_operation_unsupported(request):
    outcomes.set_verdict(request.node, ItemVerdict(Verdict.UNSUPPORTED, "POST /v1/things/{id}/act"))
    pytest.skip("the skip message's wording does not matter")

def test_operation_worded_like_unsupported():
    pytest.skip("UNSUPPORTED ENDPOINT: the target answers POST /v1/things/{id}/act with 404")

def test_operation_with_findings(request):
    request.node.conformance_findings = ["fuzz:TRACE /v1/things:unsupported_method",
                                         "fuzz:POST /v1/things:stripe_error_envelope"]
    outcomes.set_verdict(request.node, ItemVerdict(Verdict.FAILED))
    raise AssertionError("Schemathesis found 1 distinct failure\\n\\n- ST101 Server error\\n\\n[500] Internal Server Error:\\n\\n    curl -X TRACE http://t/v1/things")

def test_operation_listed_findings(request):
    request.node.conformance_findings = ["fuzz:TRACE /v1/things/{id}:unsupported_method"]
    outcomes.set_verdict(request.node, ItemVerdict(Verdict.FAILED))
    raise AssertionError("Schemathesis found 1 distinct failure")

def test_operation_warned(request):
    outcomes.set_verdict(request.node, ItemVerdict(Verdict.WARNED, warnings=("should name the param",)))

def test_operation_harness_error(request):
    outcomes.set_verdict(request.node, ItemVerdict(Verdict.HARNESS_ERROR, "timed out after 2 s"))
    raise TimeoutError("timed out after 2 s")

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


@pytest.mark.slow
def test_items_are_read_by_the_verdict_they_record_and_others_by_pytests_outcome(tmp_path):
    (tmp_path / "test_contract.py").write_text(FUZZ_MODULE)
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    pass\n")
    (tmp_path / "conftest.py").write_text(GAP_CONFTEST)
    (tmp_path / "manifest.yaml").write_text('"test_contract.py::test_operation[POST /v1/things]": answers 500\n'
                                            '"fuzz:TRACE /v1/*:unsupported_method": answers TRACE with 404\n')
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(tmp_path),
                             "--rootdir", str(tmp_path), "--report", str(tmp_path / "out"),
                             "--junitxml", str(tmp_path / "junit.xml"),
                             "--expect-failures", str(tmp_path / "manifest.yaml")],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    items = {item["id"]: item for item in valid_results(tmp_path / "out" / "results.json")["results"]}
    plain = items.pop("test_plain.py::test_plain")
    assert (plain["group"], plain["features"], plain["verdict"]) == ("test_plain", [], "passed")
    assert all(item["features"] == ["fuzz"] for item in items.values())
    verdicts = {name.split("::")[-1]: (item["verdict"], item["outcome"]) for name, item in items.items()}
    assert verdicts == {"test_operation[GET /v1/things]": ("passed", "passed"),
                        "test_operation[POST /v1/things]": ("failed", "expected-failure"),
                        "test_operation_unsupported": ("unsupported", "unsupported"),
                        "test_operation_worded_like_unsupported": ("not-applicable", "not-applicable"),
                        "fuzz:TRACE /v1/things:unsupported_method": ("failed", "expected-failure"),
                        "fuzz:POST /v1/things:stripe_error_envelope": ("failed", "failed"),
                        "fuzz:TRACE /v1/things/{id}:unsupported_method": ("failed", "expected-failure"),
                        "test_operation_warned": ("warned", "warned"),
                        "test_operation_harness_error": ("harness-error", "harness-error"),
                        "test_operation_known_gap": ("failed", "expected-failure"),
                        "test_operation_needs_fixture": ("harness-error", "harness-error")}
    assert items["test_contract.py::test_operation_unsupported"]["missing_endpoint"] == "POST /v1/things/{id}/act"
    assert items["test_contract.py::test_operation_warned"]["warnings"] == ["should name the param"]
    finding = items["fuzz:POST /v1/things:stripe_error_envelope"]
    assert finding["kind"] == "finding" and finding["endpoints"] == ["POST /v1/things"]
    assert finding["evidence"]["curl"] == "curl -X TRACE http://t/v1/things"
    assert finding["evidence"]["summary"] == "ST101 Server error (answered [500] Internal Server Error)"
    gap = items["test_contract.py::test_operation_known_gap"]
    assert gap["declared"] == "known gap: accepts an unknown parameter" and gap["expected"] is None
    assert "fixture broke" in items["test_contract.py::test_operation_needs_fixture"]["evidence"]["text"]
    assert result.returncode == 1
    shortfalls = [line for line in result.stdout.splitlines() if line.startswith("NOT IN MANIFEST")]
    assert shortfalls == [
        "NOT IN MANIFEST UNSUPPORTED POST /v1/things/{id}/act: 1 checks behind it (test_contract.py::test_operation_unsupported)",
        "NOT IN MANIFEST FAILED fuzz:POST /v1/things:stripe_error_envelope: ST101 Server error (answered [500] Internal Server Error)",
        "NOT IN MANIFEST HARNESS-ERROR test_contract.py::test_operation_harness_error: timed out after 2 s",
        "NOT IN MANIFEST HARNESS-ERROR test_contract.py::test_operation_needs_fixture: RuntimeError: fixture broke"]
    assert "    replay: curl -X TRACE http://t/v1/things" in result.stdout
    assert "3 xfailed" in result.stdout  # a fuzz check whose every finding is listed is an expected failure
    # each shortfall once: pytest's own short summary does not name them again
    assert "short test summary" not in result.stdout
    suite = ElementTree.parse(tmp_path / "junit.xml").find("testsuite")
    assert suite.get("errors") == "2", "harness errors are JUnit errors"


@pytest.mark.slow
def test_the_run_ends_with_one_summary_of_figures_outcomes_and_where_the_reports_are(reference_run):
    out, results = reference_run
    printed = (out.parent / "stdout.txt").read_text()
    summary = printed[printed.index("= stripe-conformance ="):]
    assert f"compliance: 100% of {len(results['results'])} applicable checks pass" in summary
    assert f"outcomes: {len(results['results'])} passed" in summary
    assert f"fuzz seed: {results['seed']} (replay with --seed {results['seed']})" in summary
    assert f"report: {out / 'report.html'}" in summary


@pytest.mark.slow
def test_the_seed_is_printed_and_stored_under_xdist(tmp_path):
    result = run_suite("-n", "2", "--seed", "5", "--fuzz-examples", "2", "-k", "test_stateful_sequences or pi-capture",
                       "--report", str(tmp_path), "-q", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fuzz seed: 5 (replay with --seed 5)" in result.stdout
    assert valid_results(tmp_path / "results.json")["seed"] == 5
    # the workers' counts, added up by the controller
    assert "fuzz: 2 stateful sequences; PaymentIntent statuses reached: " in result.stdout
    sent = [line for line in result.stdout.splitlines() if line.startswith("fuzz: ") and "requests sent" in line]
    assert len(sent) == 1 and "seed 5 (replay with --seed 5)" in sent[0], result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("where", ["a-file", "/proc/nope"])
def test_an_unwritable_report_directory_is_refused_before_the_run(tmp_path, where):
    path = tmp_path / where if where == "a-file" else Path(where)
    if where == "a-file":
        path.write_text("not a directory")
    with not_found() as target:
        result = run_suite("--base-url", target.base_url, "--no-fuzz", "--report", str(path), timeout=120)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr and " passed" not in result.stdout
    refusal = [line for line in result.stderr.splitlines() if "--report" in line]
    assert len(refusal) == 1 and str(path) in refusal[0]


def test_a_structural_citation_shows_its_pointer_and_value_not_an_empty_quote():
    from conformance.scenario import cite

    pointer = "/paths/~1v1~1payment_intents/post/requestBody/content/application~1x-www-form-urlencoded/schema/required"
    source = {"id": "spec.2", "spec": pointer, "value": ["amount", "currency"]}
    item = ItemResult(id="pi-x", kind="scenario", group="payment_intents/create", title="t", verdict=Verdict.FAILED,
                      sources=[source], evidence=Evidence(summary="s"))
    results = Results(target="t", suite_version="0", started_at="2026-01-01T00:00:00+00:00", items=[item])
    shown = f'{pointer} = ["amount", "currency"]'
    assert f"> {md_cell(shown)} (" in markdown.render(results)
    blockquotes = re.findall(r"<blockquote>(.*?)<br>", html.render(results))
    assert blockquotes and set(blockquotes) == {shown.replace("\"", "&quot;")}, blockquotes
    assert cite(source) == f"spec {shown}"
    page = "https://docs.stripe.com/api/payment_intents/create"
    assert cite({**source, "url": page}) == f"spec {shown} ({page})"
