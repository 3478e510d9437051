"""Parameter coverage: every request parameter of every covered operation in Stripe's official spec is
sent by at least one scenario, or is excluded in scenarios/exclusions.yaml with a reason.

The spec is ``reference/stripe-openapi-spec3.json`` in ``../shared`` beside the checkout, or in the
folder ``STRIPE_CONFORMANCE_SHARED`` names; without it the spec-based tests skip, saying so.
"""

from __future__ import annotations

import json

import pytest

from conformance import coverage
from conformance.scenario import load_all
from shared_dir import need

FORM = "application/x-www-form-urlencoded"

SCENARIOS = load_all()
OPERATIONS = coverage.load_operations()
EXCLUSIONS = coverage.load_exclusions()


@pytest.fixture(scope="module")
def spec() -> dict:
    return json.loads(need("reference/stripe-openapi-spec3.json").read_text(encoding="utf-8"))


def spec_parameters(spec: dict, operation: coverage.Operation) -> set[str]:
    """The query parameters and form-body properties the spec gives the operation."""
    described = spec["paths"][operation.path][operation.method.lower()]
    query = {p["name"] for p in described.get("parameters", []) if p["in"] == "query"}
    body = described.get("requestBody", {}).get("content", {}).get(FORM, {}).get("schema", {})
    return query | set(body.get("properties", {}))


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.id)
def test_every_spec_parameter_is_sent_or_excluded(spec, operation):
    assert operation.path in spec["paths"], f"{operation.id}: {operation.path} is not in the official spec"
    excluded = set(EXCLUSIONS["parameters"].get(operation.id) or {})
    missing = spec_parameters(spec, operation) - coverage.sent_parameters(operation, SCENARIOS) - excluded
    assert not missing, (f"{operation.id}: no scenario sends {sorted(missing)}; send them, or list them under "
                         f"parameters: {operation.id}: in scenarios/exclusions.yaml with the reason")


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.id)
def test_exclusions_name_spec_parameters(spec, operation):
    excluded = set(EXCLUSIONS["parameters"].get(operation.id) or {})
    unknown = excluded - spec_parameters(spec, operation)
    assert not unknown, f"{operation.id}: excluded parameters the spec does not have: {sorted(unknown)}"


def test_every_exclusion_has_a_reason_and_a_covered_operation():
    ids = {op.id for op in OPERATIONS}
    for operation, parameters in EXCLUSIONS["parameters"].items():
        assert operation in ids, f"exclusions.yaml names {operation}, which is not in scenarios/operations.yaml"
        for name, reason in parameters.items():
            assert isinstance(reason, str) and reason.strip(), f"{operation} {name}: an exclusion needs a reason"


def test_every_audit_hole_is_covered_or_excluded_with_a_reason():
    known = {scenario.id for scenario in SCENARIOS}
    holes = EXCLUSIONS["audit_holes"]
    assert holes
    for hole in holes:
        covered, excluded = hole.get("scenarios", []), hole.get("excluded", "")
        assert bool(covered) != bool(excluded.strip()), f"{hole['item']}: give scenarios or a reason, not both"
        assert set(covered) <= known, f"{hole['item']}: unknown scenarios {sorted(set(covered) - known)}"


def test_the_sent_parameters_are_read_from_every_step_on_the_endpoint():
    capture = next(op for op in OPERATIONS if op.id == "payment_intents/capture")
    assert {"amount_to_capture", "metadata"} <= coverage.sent_parameters(capture, SCENARIOS)
    retrieve = next(op for op in OPERATIONS if op.id == "payment_intents/retrieve")
    assert {"client_secret", "expand"} <= coverage.sent_parameters(retrieve, SCENARIOS)


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.id)
def test_no_exclusion_names_a_parameter_a_scenario_sends(operation):
    stale = set(EXCLUSIONS["parameters"].get(operation.id) or {}) & coverage.sent_parameters(operation, SCENARIOS)
    assert not stale, (f"{operation.id}: {sorted(stale)} are excluded in scenarios/exclusions.yaml, but a scenario "
                       "sends them: delete those exclusion lines")


PLACEHOLDER = ("pending", "not yet")


def _reasons() -> list[tuple[str, str]]:
    parameters = [(f"{operation} {name}", reason) for operation, names in EXCLUSIONS["parameters"].items()
                  for name, reason in (names or {}).items()]
    holes = [(hole["item"], hole["excluded"]) for hole in EXCLUSIONS["audit_holes"] if "excluded" in hole]
    return parameters + holes


def test_no_exclusion_reason_is_a_placeholder():
    placeholders = [f"{what}: {reason}" for what, reason in _reasons()
                    if str(reason).strip().lower().startswith(PLACEHOLDER)]
    assert not placeholders, ("exclusions need a true reason (Connect-only, an account capability, a browser, "
                              "undocumented...), or a scenario:\n" + "\n".join(placeholders))

