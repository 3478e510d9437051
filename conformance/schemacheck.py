"""Documents checked against a JSON Schema: answered fast when valid, explained when not.

Every run checks each scenario file and each plain scenario it expands to (hundreds of
documents) before anything is sent. jsonschema-rs says whether a document is valid a hundred
times faster than jsonschema (which took half a second of every run); a document it refuses, or
cannot read (a YAML date is no JSON value), is validated again by jsonschema, whose problems are
the ones reported, with their paths and messages. jsonschema stays the judge of what is invalid.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import jsonschema_rs
from referencing import Registry, Resource


class SchemaCheck:
    def __init__(self, schema: dict[str, Any], resources: tuple[dict[str, Any], ...] = ()):
        """``schema``, whose references may name the ``$id`` of any of ``resources``."""
        registry = Registry().with_resources((resource["$id"], Resource.from_contents(resource))
                                             for resource in resources)
        self.explained = jsonschema.Draft202012Validator(schema, registry=registry)
        fast_registry = jsonschema_rs.Registry([(resource["$id"], resource) for resource in resources]) \
            if resources else None
        self.fast = jsonschema_rs.Draft202012Validator(schema, registry=fast_registry)

    def problems(self, document: Any, limit: int = 5) -> list[str]:
        """``path: message`` for the first ``limit`` problems, by path; none for a valid document."""
        try:
            if self.fast.is_valid(document):
                return []
        except ValueError:  # a value JSON has no type for: jsonschema decides
            pass
        found = sorted(self.explained.iter_errors(document), key=lambda e: list(e.path))
        return [f"{'/'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in found[:limit]]
