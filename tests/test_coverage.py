"""Coverage: every scenario cites the docs, every operation of the API reference has scenarios,
and docs/coverage.md is the table the scenarios give."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance import coverage
from conformance.scenario import load_all, parse
from shared_dir import need

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = load_all()
OPERATIONS = coverage.load_operations()


def _cited(source: dict) -> bool:
    stated = bool(source.get("quote", "").strip()) or ("spec" in source and "value" in source)
    return stated and bool({"url", "seed", "spec"} & set(source))


def test_every_scenario_cites_a_doc_source():
    unsourced = [s.id for s in SCENARIOS if not s.sources or not all(_cited(source) for source in s.sources)]
    assert SCENARIOS and not unsourced, f"scenarios without a documentation source: {unsourced}"


def test_operations_are_distinct_and_well_formed():
    assert len({op.title for op in OPERATIONS}) == len(OPERATIONS)
    assert len({op.endpoint for op in OPERATIONS}) == len(OPERATIONS)
    assert len({op.id for op in OPERATIONS}) == len(OPERATIONS)
    for op in OPERATIONS:
        assert op.method in ("GET", "POST", "DELETE") and op.path.startswith("/v1/"), op
        assert op.id.endswith("/" + op.name) and re.fullmatch(r"[a-z_]+/[a-z_]+", op.id), op
        assert op.docs.startswith("https://docs.stripe.com/api/"), op
        assert all(re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", seed) for seed in op.seeds), op


def test_every_payment_intents_operation_of_the_seeds_is_listed():
    seeds = need("seeds")
    text = "\n".join(page.read_text(encoding="utf-8") for page in seeds.glob("*.txt"))
    paths = re.findall(r"/v1/payment_intents(?:/[\w:]+)+", text)
    documented = {path.rsplit("/", 1)[-1] for path in paths} - {path.split("/")[3] for path in paths if path.count("/") > 3}
    listed = {op.path.rsplit("/", 1)[-1] for op in OPERATIONS}
    assert documented and documented <= listed, f"operations of the seeds without an entry: {documented - listed}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.title)
def test_every_operation_has_a_scenario(operation):
    assert operation.exercised_by(SCENARIOS), (
        f"no scenario calls {operation.endpoint} ({operation.name}, {operation.docs})")


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.title)
def test_every_operation_has_a_scenario_about_it(operation):
    assert operation.about(SCENARIOS), f"no scenario names operation: {operation.id} ({operation.title})"


def test_every_scenario_is_about_a_listed_operation_it_calls():
    by_id = {op.id: op for op in OPERATIONS}
    for scenario in SCENARIOS:
        op = by_id.get(scenario.operation)
        assert op is not None, f"{scenario.id}: operation {scenario.operation!r} is not in scenarios/operations.yaml"
        assert op.endpoint in scenario.endpoints, f"{scenario.id} is about {op.id} but never calls it"


def test_coverage_document_is_up_to_date():
    document = REPO / "docs" / "coverage.md"
    assert document.read_text(encoding="utf-8") == coverage.render(OPERATIONS, SCENARIOS, coverage.load_exclusions()), (
        "docs/coverage.md is out of date: run python -m conformance.coverage > docs/coverage.md")


# The matching itself, on scenarios made up for the purpose.

def _scenario(id: str, operation: str, *paths: str):
    steps = [{"request": {"method": "POST", "path": path}, "expect": {"status": 200}} for path in paths]
    return parse({"id": id, "title": "a made-up scenario", "operation": operation, "features": ["capture"],
                  "sources": [{"id": "made-up", "url": "https://docs.stripe.com/api", "quote": "a made-up quote"}],
                  "steps": steps}, "made-up.yaml")


def _operation(name: str) -> coverage.Operation:
    return next(op for op in OPERATIONS if op.title == f"PaymentIntents {name}")


def test_an_endpoint_matches_whatever_fills_its_path():
    made_up = _scenario("pi-capture-made-up", "payment_intents/capture", "/v1/payment_intents",
                        "/v1/payment_intents/{pi}/capture")
    assert _operation("capture").exercised_by([made_up]) == [made_up]
    assert _operation("create").exercised_by([made_up]) == [made_up]
    assert _operation("confirm").exercised_by([made_up]) == []
    assert _operation("update").exercised_by([made_up]) == []


def test_the_table_groups_scenarios_by_operation_and_lists_the_rest():
    capture = _scenario("made-up-capture", "payment_intents/capture", "/v1/payment_intents/{pi}/capture")
    stranger = _scenario("cus-made-up", "customers/create", "/v1/customers")
    text = coverage.render([_operation("capture"), _operation("confirm")], [capture, stranger])
    capture_section = text.split("## PaymentIntents capture")[1].split("## PaymentIntents confirm")[0]
    assert "`made-up-capture`" in capture_section
    assert "No scenario is about this operation." in text.split("## PaymentIntents confirm")[1].split("## Other")[0]
    assert "`cus-made-up`" in text.split("## Other scenarios")[1]
