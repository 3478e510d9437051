"""The JSON Schemas (schemas/) against Stripe's documented examples (fixtures/examples/).

(a) every schema is a valid draft 2020-12 schema whose $id matches its file and whose
references all resolve; (b) every documented example is accepted by its schema; (c) every
schema rejects mutations of its examples; (d) SOURCES.yaml and the example files match.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from conformance import schemas
from conformance.resources import fixtures_dir, walk
from shared_dir import SHARED

BASE = "https://stripe-conformance.invalid/schemas/"
REPO = Path(__file__).resolve().parent.parent
SPEC = SHARED / "reference" / "stripe-openapi-intents.json"


def _examples() -> dict[str, object]:
    """Every example file, keyed by its path below fixtures/examples ("<schema>/<name>.json")."""
    root = fixtures_dir().joinpath("examples")
    return {f"{folder.name}/{node.name}": json.loads(node.read_text(encoding="utf-8"))
            for folder in sorted(root.iterdir(), key=lambda n: n.name) if folder.is_dir()
            for node in walk(folder, (".json",))}


EXAMPLES = _examples()


def _schema_of(example: str) -> str:
    return example.split("/", 1)[0]


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


# (a) ---------------------------------------------------------------------------------------

def test_the_expected_schemas_exist():
    assert schemas.names() == sorted([
        "charge", "customer", "customer_cash_balance_transaction", "error", "payment_intent",
        "payment_intent_list", "payment_intent_search_result", "payment_method", "payment_method_list",
        "setup_attempt", "setup_attempt_list", "setup_intent", "setup_intent_list",
    ])


@pytest.mark.parametrize("name", schemas.names())
def test_schema_is_valid_2020_12_with_matching_id(name):
    schema = schemas.load(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{BASE}{name}.json"
    assert schema["type"] == "object"
    # Open on purpose (Stripe adds fields; its examples carry `redaction`, `source`): say so.
    assert schema["additionalProperties"] is True
    assert "additionalProperties" in schema["x-comment"]


@pytest.mark.parametrize("name", schemas.names())
def test_every_reference_resolves(name):
    schema = schemas.load(name)
    resolver = schemas.registry().resolver(base_uri=schema["$id"])
    refs = set(_refs(schema))
    for ref in refs:
        assert resolver.lookup(ref).contents is not None, ref
    # cross-file references are relative, never absolute
    assert not [ref for ref in refs if ref.startswith(("http:", "https:", "/"))]


def test_spec_enums_and_requirements_are_carried_over():
    pi, si, err = schemas.load("payment_intent"), schemas.load("setup_intent"), schemas.load("error")
    assert sorted(pi["required"]) == ["created", "id", "livemode", "object", "status"]
    assert pi["properties"]["object"]["const"] == "payment_intent"
    assert pi["properties"]["status"]["enum"] == [
        "canceled", "processing", "requires_action", "requires_capture", "requires_confirmation",
        "requires_payment_method", "succeeded"]
    assert pi["properties"]["capture_method"]["enum"] == ["automatic", "automatic_async", "manual"]
    assert pi["properties"]["cancellation_reason"]["type"] == ["string", "null"]
    assert None in pi["properties"]["cancellation_reason"]["enum"]
    assert "requires_capture" not in si["properties"]["status"]["enum"]
    assert sorted(si["required"]) == ["created", "id", "livemode", "object", "payment_method_types",
                                      "status", "usage"]
    assert err["$defs"]["api_errors"]["properties"]["type"]["enum"] == [
        "api_error", "card_error", "idempotency_error", "invalid_request_error"]
    assert err["$defs"]["api_errors"]["properties"]["payment_intent"] == {"$ref": "payment_intent.json"}


@pytest.mark.skipif(not SPEC.is_file() or not (REPO / "tools" / "derive_schemas.py").is_file(),
                    reason="needs the source checkout and the shared OpenAPI spec")
def test_committed_schemas_are_what_the_derivation_script_writes():
    run = subprocess.run([sys.executable, str(REPO / "tools" / "derive_schemas.py"), "--check", str(SPEC)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


# (b) ---------------------------------------------------------------------------------------

def test_examples_cover_the_main_objects():
    counts = {name: sum(_schema_of(e) == name for e in EXAMPLES) for name in schemas.names()}
    assert counts["payment_intent"] >= 3
    assert counts["payment_intent_search_result"] >= 1
    assert counts["setup_intent"] >= 1 and counts["customer"] >= 1
    assert counts["error"] >= 2
    assert counts["payment_intent_list"] + counts["setup_intent_list"] >= 1


@pytest.mark.parametrize("example", sorted(EXAMPLES), ids=str)
def test_documented_example_is_accepted(example):
    assert _schema_of(example) in schemas.names(), f"{example}: no schema for its folder"
    assert schemas.errors(_schema_of(example), EXAMPLES[example]) == []


# (c) ---------------------------------------------------------------------------------------

def _wrong_type(value, types):
    """A value of a JSON type the field's schema does not allow."""
    return 12345 if "string" in types and "integer" not in types else "not-the-right-type"


# What the spec (and, for prefixes, the API reference) requires, stated here independently of
# the schema files so that a schema which loses a constraint fails these tests.
REQUIRED = {
    "payment_intent": {"created", "id", "livemode", "object", "status"},
    "setup_intent": {"created", "id", "livemode", "object", "payment_method_types", "status", "usage"},
    "error": {"error"},
    "payment_intent_list": {"data", "has_more", "object", "url"},
    "setup_intent_list": {"data", "has_more", "object", "url"},
    "payment_intent_search_result": {"data", "has_more", "object", "url"},
    "customer": {"created", "id", "livemode", "object"},
    "customer_cash_balance_transaction": {"created", "currency", "customer", "ending_balance", "id",
                                          "livemode", "net_amount", "object", "type"},
    "payment_method": {"billing_details", "created", "id", "livemode", "object", "type"},
    "payment_method_list": {"data", "has_more", "object", "url"},
    "setup_attempt": {"created", "id", "livemode", "object", "payment_method", "payment_method_details",
                      "setup_intent", "status", "usage"},
    "setup_attempt_list": {"data", "has_more", "object", "url"},
    "charge": {"amount", "amount_captured", "amount_refunded", "billing_details", "captured", "created", "currency",
               "disputed", "id", "livemode", "metadata", "object", "paid", "refunded", "status"},
}
ID_PREFIX = {"payment_intent": "pi_", "setup_intent": "seti_", "customer": "cus_",
             "customer_cash_balance_transaction": "ccsbtxn_"}
URL_PREFIX = {"payment_intent_list": "/v1/payment_intents", "setup_intent_list": "/v1/setup_intents"}


def test_required_fields_match_the_spec():
    assert {name: set(schemas.load(name)["required"]) for name in schemas.names()} == REQUIRED


def _mutations(name: str, instance: dict):
    """(label, mutated instance) pairs, each of which the schema must reject."""
    props = schemas.load(name)["properties"]

    def changed(**fields):
        copy_ = copy.deepcopy(instance)
        copy_.update(fields)
        return copy_

    for field in sorted(REQUIRED[name]):
        assert field in instance, f"the example lacks required {field!r}"
        yield f"without {field}", {k: v for k, v in instance.items() if k != field}
    if "object" in instance:
        yield "unknown object", changed(object="not_" + str(instance["object"]))
    if "status" in instance:
        yield "unknown status", changed(status="not_a_status")
    if name in ID_PREFIX:
        assert instance["id"].startswith(ID_PREFIX[name])
        yield "bad id prefix", changed(id="bogus_" + instance["id"].split("_", 1)[-1])
    if isinstance(instance.get("client_secret"), str):
        yield "client_secret without _secret_", changed(client_secret=instance["id"])
    if isinstance(instance.get("currency"), str):
        yield "upper-case currency", changed(currency=instance["currency"].upper())
    if "amount" in instance:
        yield "negative amount", changed(amount=-1)
    if name in URL_PREFIX:
        assert instance["url"].startswith(URL_PREFIX[name])
        yield "url of another resource's list", changed(url="/v1/charges")
    for field, value in instance.items():
        types = props.get(field, {}).get("type")
        if types:
            types = [types] if isinstance(types, str) else types
            yield f"{field} of a wrong type", changed(**{field: _wrong_type(value, types)})
    if isinstance(instance.get("metadata"), dict):
        yield "metadata with a non-string value", changed(metadata={"order_id": 6735})
    # the envelopes: their items are checked through the referenced schema
    if instance.get("data"):
        item = instance["data"][0]
        yield "data[0] with an unknown status", changed(data=[{**item, "status": "not_a_status"}])
        yield "data[0] without id", changed(data=[{k: v for k, v in item.items() if k != "id"}])
        yield "data[0] of another object", changed(data=[{**item, "object": "charge"}])
    if isinstance(instance.get("error"), dict):
        error = instance["error"]
        yield "error of an unknown type", changed(error={**error, "type": "not_a_type"})
        yield "error without type", changed(error={k: v for k, v in error.items() if k != "type"})
        yield "error with a numeric code", changed(error={**error, "code": 402})
        yield "error with an invalid payment_intent", changed(
            error={**error, "payment_intent": {"id": "pi_1", "object": "payment_intent"}})


MUTATIONS = [(example, label, mutated)
             for example in sorted(EXAMPLES)
             for label, mutated in _mutations(_schema_of(example), EXAMPLES[example])]


@pytest.mark.parametrize(("example", "label", "mutated"), MUTATIONS,
                         ids=[f"{example}: {label}" for example, label, _ in MUTATIONS])
def test_mutated_example_is_rejected(example, label, mutated):
    found = schemas.errors(_schema_of(example), mutated)
    assert found, f"{example} {label}: accepted"
    assert all(": " in line and line.startswith("$") for line in found)


def test_every_schema_with_examples_gets_mutations():
    assert {_schema_of(example) for example, _, _ in MUTATIONS} == {_schema_of(e) for e in EXAMPLES}


def test_errors_name_the_path_and_the_reason():
    example = EXAMPLES["payment_intent/object.json"]
    assert schemas.errors("payment_intent", {**example, "status": "paid", "amount": "2000"}) == [
        "$.amount: '2000' is not of type 'integer'",
        "$.status: 'paid' is not one of ['canceled', 'processing', 'requires_action', 'requires_capture', "
        "'requires_confirmation', 'requires_payment_method', 'succeeded']",
    ]
    nested = copy.deepcopy(example)
    nested["last_payment_error"] = {"type": "teapot_error"}
    (line,) = schemas.errors("payment_intent", nested)
    assert line.startswith("$.last_payment_error: matches none of its anyOf alternatives")
    assert "$.last_payment_error.type: 'teapot_error' is not one of" in line


def test_expandable_fields_take_an_id_or_the_object():
    example = EXAMPLES["payment_intent/object.json"]
    customer = EXAMPLES["customer/object.json"]
    assert schemas.errors("payment_intent", {**example, "customer": "cus_NffrFeUfNV2Hib"}) == []
    assert schemas.errors("payment_intent", {**example, "customer": customer}) == []
    assert schemas.errors("payment_intent", {**example, "customer": 42})
    assert schemas.errors("payment_intent", {**example, "customer": {**customer, "created": "yesterday"}})


def test_payment_intent_list_envelope():
    # Stripe documents no whole PaymentIntent list body (see SOURCES.yaml), so there is no
    # fixture; these inline envelopes only exercise the schema's own rules.
    item = EXAMPLES["payment_intent/object.json"]
    envelope = {"object": "list", "url": "/v1/payment_intents", "has_more": False, "data": [item]}
    assert schemas.errors("payment_intent_list", envelope) == []
    assert schemas.errors("payment_intent_list", {**envelope, "data": []}) == []
    assert schemas.errors("payment_intent_list", {**envelope, "url": "/v1/setup_intents"})
    assert schemas.errors("payment_intent_list", {**envelope, "object": "search_result"})
    assert schemas.errors("payment_intent_list", {**envelope, "data": [{**item, "status": "paid"}]})
    assert schemas.errors("payment_intent_list", {k: v for k, v in envelope.items() if k != "has_more"})


def test_load_returns_a_copy():
    schemas.load("payment_intent")["properties"].clear()
    assert schemas.load("payment_intent")["properties"]
    assert schemas.errors("payment_intent", {"object": "payment_intent"})


# (d) ---------------------------------------------------------------------------------------

def test_sources_list_every_example_and_nothing_else():
    sources = yaml.safe_load(fixtures_dir().joinpath("examples", "SOURCES.yaml").read_text(encoding="utf-8"))
    assert sorted(sources) == sorted(EXAMPLES)
    for example, entry in sources.items():
        assert isinstance(entry, dict) and set(entry) == {"source", "note"}, example
        assert entry["source"].strip() and entry["note"].strip(), example
