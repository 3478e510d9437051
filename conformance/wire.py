"""Stripe's wire format: form bodies and query strings with bracket notation.

Written once and shared by the suite's client and the reference server.

Encoding follows Stripe's documented examples: nested objects as
``shipping[address][line1]=...``, lists of scalars as ``amounts[]=32&amounts[]=45``,
lists of objects indexed (``items[0][price]=...``), and an empty value meaning
"unset" (``metadata[key]=``, ``metadata=``). ``None``, ``""``, ``{}`` and ``[]`` all
encode as the empty value, so nothing a caller meant to send is dropped.

Decoding builds a tree of dicts, lists and strings. ``a[]`` appends to a list;
``a[0]`` is a hash key ``"0"``: only the caller knows whether a parameter is an array,
so it converts indexed hashes with :func:`as_list`. Malformed input raises
:class:`WireError` naming the offending parameter.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import quote, unquote_to_bytes

MAX_DEPTH = 16
MAX_PAIRS = 10_000

_SAFE = "[]"  # Stripe's own clients leave brackets readable; both forms decode alike.


class WireError(ValueError):
    """Input that is not a well-formed Stripe form body or query string."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


# ---------------------------------------------------------------- encoding


def flatten(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Turn a nested mapping into Stripe's flat ``key[sub]`` pairs, in order."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        pairs.extend(_flatten_value(str(key), value))
    return pairs


def _flatten_value(key: str, value: Any) -> Iterator[tuple[str, str]]:
    if value is None or value == "" or (isinstance(value, (dict, list, tuple)) and not value):
        yield key, ""
    elif isinstance(value, Mapping):
        for sub, inner in value.items():
            yield from _flatten_value(f"{key}[{sub}]", inner)
    elif isinstance(value, (list, tuple)):
        scalars = not any(isinstance(item, (Mapping, list, tuple)) for item in value)
        for index, item in enumerate(value):
            yield from _flatten_value(f"{key}[]" if scalars else f"{key}[{index}]", item)
    else:
        yield key, _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode(params: Mapping[str, Any] | Iterable[tuple[str, str]]) -> str:
    """Encode a nested mapping (or already-flat pairs) as a form body or query string."""
    pairs = flatten(params) if isinstance(params, Mapping) else list(params)
    return "&".join(f"{quote(k, safe=_SAFE)}={quote(v, safe='')}" for k, v in pairs)


# ---------------------------------------------------------------- decoding


def parse_pairs(raw: bytes | str) -> list[tuple[str, str]]:
    """Split a form body or query string into decoded (key, value) pairs.

    ``+`` is a space, as in every form encoding; text must be UTF-8.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    pairs: list[tuple[str, str]] = []
    if not raw:
        return pairs
    for chunk in raw.split(b"&"):
        if not chunk:
            continue
        if len(pairs) >= MAX_PAIRS:
            raise WireError(f"Too many parameters: at most {MAX_PAIRS} are accepted.")
        key, _, value = chunk.partition(b"=")
        pairs.append((_text(key), _text(value)))
    return pairs


def _text(part: bytes) -> str:
    try:
        if b"%" not in part and b"+" not in part:  # most keys and values: nothing to unescape
            return part.decode("utf-8")
        return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WireError("Invalid request: the body or query string is not valid UTF-8.") from exc


def split_key(key: str) -> tuple[str, list[str]]:
    """``shipping[address][line1]`` -> ``("shipping", ["address", "line1"])``; ``[]`` -> ``""``."""
    head, bracket, rest = key.partition("[")
    if not head:
        raise WireError(f"Invalid parameter name: {key!r}.", key)
    if not bracket:
        return head, []
    parts: list[str] = []
    rest = "[" + rest
    while rest:
        if not rest.startswith("[") or "]" not in rest:
            raise WireError(f"Invalid parameter name: {key!r} has unbalanced brackets.", head)
        inner, _, rest = rest[1:].partition("]")
        if "[" in inner:
            raise WireError(f"Invalid parameter name: {key!r} has unbalanced brackets.", head)
        parts.append(inner)
        if len(parts) > MAX_DEPTH:
            raise WireError(f"Parameter {head!r} is nested deeper than {MAX_DEPTH} levels.", head)
    return head, parts


def decode(raw: bytes | str) -> dict[str, Any]:
    """Decode a form body or query string into a tree of dicts, lists and strings."""
    tree: dict[str, Any] = {}
    if not raw:  # most GETs have no query string and POSTs to actions no body
        return tree
    for key, value in parse_pairs(raw):
        if key and "[" not in key:  # a flat parameter, the most common kind: no path to walk
            _store_leaf(tree, key, value, key)
            continue
        head, path = split_key(key)
        _assign(tree, head, path, value, head)
    return tree


def _assign(container: dict | list, key: str, path: list[str], value: str, name: str) -> None:
    if not path:
        _store_leaf(container, key, value, name)
        return
    child_kind = list if path[0] == "" else dict
    child = _child(container, key, child_kind, name, path[0])
    _assign(child, path[0], path[1:], value, f"{name}[{path[0]}]")


def _child(container: dict | list, key: str, kind: type, name: str, next_key: str) -> dict | list:
    if isinstance(container, list):
        # Rack's rule for ``a[][b]``: fill the last element until it already has ``b``.
        last = container[-1] if container else None
        if kind is dict and isinstance(last, dict) and next_key not in last:
            return last
        container.append(kind())
        return container[-1]
    existing = container.get(key)
    if existing is None or existing == "":
        container[key] = kind()
        return container[key]
    if not isinstance(existing, kind):
        what = "array" if isinstance(existing, list) else "hash" if isinstance(existing, dict) else "value"
        raise WireError(f"Invalid {what}: {name} is given both as {what} and as {kind.__name__}.", name)
    return existing


def _store_leaf(container: dict | list, key: str, value: str, name: str) -> None:
    if isinstance(container, list):
        container.append(value)
        return
    existing = container.get(key)
    if isinstance(existing, (dict, list)) and existing and value != "":
        raise WireError(f"Invalid hash: {name} is given both as a value and as a hash.", name)
    if isinstance(existing, (dict, list)) and value == "":
        return  # ``metadata=&metadata[k]=v``: the later keys win over the blank
    container[key] = value


def as_list(value: Any, name: str) -> list:
    """An array parameter from either bracket form: ``a[]=x`` (list) or ``a[0]=x`` (hash).

    An empty value is an empty list, which Stripe reads as "unset".
    """
    if value == "" or value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    raise WireError(f"Invalid array: {name} must be an array.", name)
