"""schemas/openapi.yaml: a valid OpenAPI 3.1 document of exactly the operations the reference server routes.

The document is what the fuzz tests generate requests from, so it is held to the wire rules
it states at its top: form-encoded bodies, closed request objects, the unset convention,
Stripe's metadata limits, error answers with the error envelope, responses from schemas/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from conformance import schemas
from conformance.fuzz.document import document_path
from reference_impl.resources import ROUTES

METHODS = {"get", "post", "delete", "put", "patch"}
FORM = "application/x-www-form-urlencoded"

DOCUMENT = yaml.safe_load(document_path().read_text(encoding="utf-8"))


def _shape(path: str) -> str:
    """``/v1/payment_intents/{intent}/capture`` -> ``/v1/payment_intents/{}/capture``."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def _operations() -> Iterator[tuple[str, str, dict]]:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


OPERATIONS = list(_operations())
IDS = [f"{method} {path}" for method, path, _ in OPERATIONS]


def _lookup(ref: str) -> dict:
    node = DOCUMENT
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _deref(node: dict) -> dict:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        node = _lookup(node["$ref"])
    return node


def _bodies(operation: dict) -> list[dict]:
    return [content["schema"] for content in operation.get("requestBody", {}).get("content", {}).values()]


def _request_schemas(operation: dict) -> Iterator[dict]:
    """Every schema reachable from an operation's body and parameters, references followed."""
    roots = _bodies(operation) + [_deref(p)["schema"] for p in operation.get("parameters", [])]
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        schema = _deref(stack.pop())
        if id(schema) in seen or not isinstance(schema, dict):
            continue
        seen.add(id(schema))
        yield schema
        stack += list(schema.get("properties", {}).values()) + schema.get("anyOf", [])
        for key in ("items", "additionalProperties", "propertyNames"):
            if isinstance(schema.get(key), dict):
                stack.append(schema[key])


@pytest.mark.slow
def test_the_document_is_valid_openapi_3_1():
    spec, base_uri = read_from_filename(str(document_path()))
    validate(spec, base_uri=base_uri)
    assert DOCUMENT["openapi"].startswith("3.1")


def test_the_document_describes_exactly_the_operations_the_reference_server_routes():
    documented = {(method, _shape(path)) for method, path, _ in OPERATIONS}
    routed = {(method, _shape(path)) for method, path, _ in ROUTES}
    assert routed - documented == set(), "routed but not in schemas/openapi.yaml"
    assert documented - routed == set(), "in schemas/openapi.yaml but not routed"


def test_operation_ids_are_stripe_s_and_unique():
    ids = [operation["operationId"] for _, _, operation in OPERATIONS]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"(Get|Post)[A-Z][A-Za-z]+", op_id) for op_id in ids)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_bodies_are_form_encoded_and_closed(method, path, operation):
    contents = operation.get("requestBody", {}).get("content", {})
    assert set(contents) <= {FORM}
    assert (method == "POST") == bool(contents)
    for schema in _request_schemas(operation):
        if schema.get("type") == "object" and "properties" in schema:
            assert schema.get("additionalProperties") is False, schema


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_empty_values_are_allowed_only_as_the_unset_alternative(method, path, operation):
    unset = DOCUMENT["components"]["schemas"]["unset"]
    bodies = [id(body) for body in _bodies(operation)]  # an empty body sends nothing, it unsets nothing
    for schema in _request_schemas(operation):
        if schema is unset or "enum" in schema or id(schema) in bodies:
            continue
        kind = schema.get("type")
        if kind == "string":
            assert schema.get("minLength", 0) >= 1, schema
        elif kind == "array":
            assert schema.get("minItems", 0) >= 1, schema
        elif kind == "object" and "properties" in schema and not schema.get("required"):
            assert schema.get("minProperties", 0) >= 1, schema


def test_metadata_has_stripe_s_limits():
    metadata = DOCUMENT["components"]["schemas"]["metadata"]
    assert metadata["maxProperties"] == 50
    assert metadata["propertyNames"]["maxLength"] == 40
    assert {"type": "string", "minLength": 1, "maxLength": 500} in metadata["additionalProperties"]["anyOf"]
    names = re.compile(metadata["propertyNames"]["pattern"])
    assert names.search("order_id") and not names.search("a[b") and not names.search("a]")


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=IDS)
def test_answers_use_the_suite_s_schemas_and_the_error_envelope(method, path, operation):
    responses = {status: _deref(answer) for status, answer in operation["responses"].items()}
    assert {"200", "400", "401", "404"} <= set(responses)
    for status, answer in responses.items():
        schema = answer["content"]["application/json"]["schema"]
        files = re.findall(r"'\$ref': '([a-z_]+)\.json'", str(schema))
        assert files, f"{status} does not refer to a schema file"
        assert all(name in schemas.names() for name in files)
        if status.startswith("4"):
            assert schema == {"$ref": "error.json"}


def test_bearer_authentication_is_required_everywhere():
    assert DOCUMENT["components"]["securitySchemes"]["bearerAuth"] == {
        **DOCUMENT["components"]["securitySchemes"]["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert DOCUMENT["security"] == [{"bearerAuth": []}]
    assert all("security" not in operation for _, _, operation in OPERATIONS)


def test_links_lead_to_operations_of_the_document():
    ids = {operation["operationId"] for _, _, operation in OPERATIONS}
    shared = DOCUMENT["components"]["responses"].values()
    links = [link for answer in shared for link in answer.get("links", {}).values()]
    links += [link for _, _, operation in OPERATIONS for answer in operation["responses"].values()
              for link in answer.get("links", {}).values()]
    assert links and all(link["operationId"] in ids for link in links)


def test_status_preconditions_name_statuses_of_the_object_answered():
    preconditions = [operation for _, _, operation in OPERATIONS if "x-stripe-from-statuses" in operation]
    kinds = set()
    for operation in preconditions:
        kind = re.search(r"([a-z_]+)\.json", str(operation["responses"]["200"])).group(1)
        assert set(operation["x-stripe-from-statuses"]) <= set(schemas.load(kind)["properties"]["status"]["enum"])
        kinds.add(kind)
    assert kinds == {"payment_intent", "setup_intent"}
