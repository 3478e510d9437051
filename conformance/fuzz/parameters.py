"""Which parameter names an operation has, in Stripe's bracket form.

An error's ``param`` names what it is about: ``amount``, ``metadata[order_id]``,
``shipping[address][line1]``, ``payment_method_types[0]``, or a path parameter (``intent``).
A name is documented when its head is a parameter of the operation and every bracketed part
leads somewhere in that parameter's schema: a property, any key of a map (metadata), or an
index of an array. A path parameter may have a second name, the one Stripe's errors use
(``x-stripe-error-param``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from conformance import wire

ERROR_NAME = "x-stripe-error-param"  # another name errors give a path parameter (see schemas/openapi.yaml)


def names(operation: Any) -> list[str]:
    return sorted({head for head, _, _ in _parameters(operation)})


def documented(operation: Any, param: str) -> bool:
    try:
        head, parts = wire.split_key(param)
    except wire.WireError:
        return False
    return any(name == head and _reaches(schema, root, parts) for name, schema, root in _parameters(operation))


def sent(case: Any, param: str) -> bool:
    """Whether the request carried ``param`` itself or something inside it."""
    wanted = canonical(param)
    return any(name == wanted or name.startswith(wanted + "[") for name in map(canonical, _sent_names(case)))


def canonical(name: str) -> str:
    """``payment_method_types[0]`` and ``payment_method_types[]`` name the same parameter."""
    return re.sub(r"\[\d*\]", "[]", name)


def _sent_names(case: Any) -> Iterator[str]:
    yield from (case.path_parameters or {})
    yield from (case.query or {})  # already in wire form: `created[gte]`, `expand[]`
    if isinstance(case.body, Mapping):
        yield from (key for key, _ in wire.flatten(case.body))


def _parameters(operation: Any) -> Iterator[tuple[str, dict, dict]]:
    """(head, schema, root) for each top-level parameter; ``root`` resolves the schema's local $refs."""
    for container in (operation.path_parameters, operation.query):
        for parameter in container:
            schema = parameter.definition.get("schema", {})
            yield wire.split_key(parameter.name)[0], schema, schema
            if ERROR_NAME in parameter.definition:
                yield parameter.definition[ERROR_NAME], schema, schema
    for body in operation.body:
        root = body.definition.get("schema", {})
        for name, schema in _resolve(root, root).get("properties", {}).items():
            yield name, schema, root


def _resolve(schema: Any, root: dict) -> dict:
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/"):
        node: Any = root
        for part in schema["$ref"][2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema = node
    return schema if isinstance(schema, dict) else {}


def _reaches(schema: Any, root: dict, parts: list[str]) -> bool:
    schema = _resolve(schema, root)
    if not parts:
        return True
    if any(_reaches(branch, root, parts) for branch in schema.get("anyOf", []) + schema.get("oneOf", [])):
        return True
    part, rest = parts[0], parts[1:]
    properties = schema.get("properties", {})
    if part in properties:
        return _reaches(properties[part], root, rest)
    if isinstance(schema.get("additionalProperties"), dict):
        return _reaches(schema["additionalProperties"], root, rest)
    if "items" in schema and (part == "" or part.isdigit()):
        return _reaches(schema["items"], root, rest)
    return False
