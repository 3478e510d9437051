"""The suite's JSON Schemas (schemas/*.json, draft 2020-12), loaded from the package data.

Each file has ``$id`` ``https://stripe-conformance.invalid/schemas/<name>.json`` and refers
to the others by relative URI ("error.json#/$defs/api_errors"), so a registry holding every
file under its ``$id`` resolves all of them. ``tools/derive_schemas.py`` writes the files.
"""

from __future__ import annotations

import json
from functools import lru_cache

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance.resources import schemas_dir, walk


FILE_FORMATS = ".schema.json"  # the suite's own file formats (results.schema.json), not Stripe objects


@lru_cache(maxsize=None)
def _files() -> dict[str, object]:
    return {node.name.removesuffix(".json"): node for node in walk(schemas_dir(), (".json",))
            if not node.name.endswith(FILE_FORMATS)}


def names() -> list[str]:
    """Schema names (file stems), sorted."""
    return sorted(_files())


@lru_cache(maxsize=None)
def _load(name: str) -> dict:
    try:
        node = _files()[name]
    except KeyError:
        raise KeyError(f"no schema named {name!r}; known: {', '.join(names())}") from None
    return json.loads(node.read_text(encoding="utf-8"))


def load(name: str) -> dict:
    """The schema document ``schemas/<name>.json`` (a fresh copy: callers may change it)."""
    return json.loads(json.dumps(_load(name)))


@lru_cache(maxsize=None)
def registry() -> Registry:
    """Every schema, registered under its ``$id``."""
    resources = [(schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
                 for schema in map(_load, names())]
    return Registry().with_resources(resources).crawl()


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(_load(name), registry=registry(), format_checker=FormatChecker())


def errors(name: str, instance: object) -> list[str]:
    """One "path: message" line per validation error; empty when ``instance`` is valid."""
    found = sorted(validator(name).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    return [_describe(e) for e in found]


def _describe(error: ValidationError) -> str:
    # An anyOf failure (nullable or expandable fields) says only that no branch matched and
    # repeats the whole value; name the likeliest cause below it instead.
    if error.validator in ("anyOf", "oneOf") and error.context:
        closest = best_match([error])
        return (f"{error.json_path}: matches none of its {error.validator} alternatives "
                f"(closest: {closest.json_path}: {closest.message})")
    return f"{error.json_path}: {error.message}"
