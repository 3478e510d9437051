"""Partial matching of a JSON response against a scenario's expectation.

An expectation is plain data:
- a scalar matches an equal value of the same JSON type (``1`` is not ``true``, ``"1"`` is not ``1``);
- a mapping matches an object that has each listed key matching (other keys are ignored);
- a list matches a list of the same length, item by item;
- a mapping whose keys start with ``$`` is an operator (several are all required):

  ``$absent`` / ``$present`` (true)  the key is missing / there, whatever its value
  ``$prefix: "pi_"``                 a string starting with it
  ``$regex: "^pi_.+_secret_"``       a string matching it (re.search)
  ``$gt``, ``$gte``, ``$lt``, ``$lte`` a number compared with it
  ``$ne: value``                     anything not equal to it
  ``$in: [a, b]``                    equal to one of them
  ``$type: string``                  one of string, integer, number, boolean, object, array, null
  ``$length: 3``                     a list, object or string of that length (or an operator mapping)
  ``$contains: expectation``         a list with at least one item matching
  ``$contains_all: [e1, e2, ...]``   a list with an item matching each, in any order
  ``$excludes: expectation``         a list with no item matching
  ``$each: expectation``             a list whose every item matches
  ``$in_order: [e1, e2, ...]``       a list in which items matching e1, e2, ... appear in that order
  ``$exact: value``                  equal as a whole, nested objects included
  ``$not: expectation``              does not match
"""

from __future__ import annotations

import re
from typing import Any, Callable

ABSENT = object()

JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def mismatches(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every way ``actual`` fails ``expected``, each as ``path: what``; empty when it matches."""
    where = path or "(body)"
    if isinstance(expected, dict) and expected and all(k.startswith("$") for k in expected):
        found: list[str] = []
        for op, arg in expected.items():
            found += _operator(op, arg, actual, path)
        return found
    if actual is ABSENT:
        return [f"{where}: expected {_show(expected)}, but the key is absent"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {_show(actual)}"]
        found = []
        for key, sub in expected.items():
            found += mismatches(sub, actual.get(key, ABSENT), f"{path}.{key}" if path else key)
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {_show(actual)}"]
        if len(expected) != len(actual):
            return [f"{where}: expected {len(expected)} items, got {len(actual)}"]
        found = []
        for index, (sub, item) in enumerate(zip(expected, actual)):
            found += mismatches(sub, item, f"{path}[{index}]")
        return found
    if not _same(expected, actual):
        return [f"{where}: expected {_show(expected)}, got {_show(actual)}"]
    return []


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def _operator(op: str, arg: Any, actual: Any, path: str) -> list[str]:
    where = path or "(body)"
    if op == "$absent":
        return [] if (actual is ABSENT) == bool(arg) else [f"{where}: expected {'no' if arg else 'a'} key, got "
                                                         f"{_show(actual)}"]
    if op == "$present":
        return [] if (actual is not ABSENT) == bool(arg) else [f"{where}: expected the key to be present"]
    if actual is ABSENT:
        return [f"{where}: expected {_show({op: arg})}, but the key is absent"]
    check = _CHECKS.get(op)
    if check is None:
        return [f"{where}: unknown matcher {op}"]
    problem = check(arg, actual, path)
    if problem is None:
        return []
    return problem if isinstance(problem, list) else [f"{where}: {problem}, got {_show(actual)}"]


def _compare(symbol: str, test: Callable[[Any, Any], bool]) -> Callable[[Any, Any, str], str | None]:
    def check(arg, actual, path):
        if not JSON_TYPES["number"](actual) or not test(actual, arg):
            return f"expected a number {symbol} {arg}"
        return None
    return check


def _list_check(fn: Callable[[Any, list, str], Any]) -> Callable[[Any, Any, str], Any]:
    def check(arg, actual, path):
        if not isinstance(actual, list):
            return "expected a list"
        return fn(arg, actual, path)
    return check


def _length(arg, actual, path):
    if not isinstance(actual, (list, dict, str)):
        return "expected something with a length"
    problems = mismatches(arg, len(actual), f"{path}.length" if path else "length")
    return problems or None


def _in_order(arg, actual, path):
    position = 0
    for step, wanted in enumerate(arg):
        while position < len(actual) and mismatches(wanted, actual[position]):
            position += 1
        if position == len(actual):
            return f"expected items in order; item {step + 1} of {len(arg)} ({_show(wanted)}) not found after the previous ones"
        position += 1
    return None


_CHECKS: dict[str, Callable[[Any, Any, str], Any]] = {
    "$prefix": lambda arg, actual, path: None if isinstance(actual, str) and actual.startswith(arg)
    else f"expected a string starting with {arg!r}",
    "$regex": lambda arg, actual, path: None if isinstance(actual, str) and re.search(arg, actual)
    else f"expected a string matching /{arg}/",
    "$gt": _compare(">", lambda a, b: a > b),
    "$gte": _compare(">=", lambda a, b: a >= b),
    "$lt": _compare("<", lambda a, b: a < b),
    "$lte": _compare("<=", lambda a, b: a <= b),
    "$ne": lambda arg, actual, path: None if not _same(arg, actual) else f"expected anything but {_show(arg)}",
    "$in": lambda arg, actual, path: None if any(_same(a, actual) for a in arg) else f"expected one of {_show(arg)}",
    "$type": lambda arg, actual, path: None if JSON_TYPES[arg](actual) else f"expected type {arg}",
    "$length": _length,
    "$contains": _list_check(lambda arg, actual, path: None if any(not mismatches(arg, item) for item in actual)
                             else f"expected an item matching {_show(arg)}"),
    "$contains_all": _list_check(lambda arg, actual, path: [
        f"{path or '(body)'}: expected an item matching {_show(wanted)}, got {_show(actual)}"
        for wanted in arg if all(mismatches(wanted, item) for item in actual)] or None),
    "$excludes": _list_check(lambda arg, actual, path: None if all(mismatches(arg, item) for item in actual)
                             else f"expected no item matching {_show(arg)}"),
    "$each": _list_check(lambda arg, actual, path: [p for i, item in enumerate(actual)
                                                    for p in mismatches(arg, item, f"{path}[{i}]")] or None),
    "$in_order": _list_check(_in_order),
    "$exact": lambda arg, actual, path: None if arg == actual else f"expected exactly {_show(arg)}",
    "$not": lambda arg, actual, path: None if mismatches(arg, actual) else f"expected not {_show(arg)}",
}

OPERATORS = frozenset(_CHECKS) | {"$absent", "$present"}


def _show(value: Any, limit: int = 120) -> str:
    if value is ABSENT:
        return "(absent)"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
