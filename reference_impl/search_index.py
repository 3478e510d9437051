"""An index of one collection's searchable values, and the plan that uses it.

Matching every stored object against a query took ~2 us an object: a query that matches
few of 100,000 intents took a quarter of a second. The index keeps, for each searchable
value, the store positions of the objects holding it (ascending), so a clause such as
``currency:"eur"`` or ``amount>1000`` names its candidates directly; they are merged newest
first, from just below a page cursor, and each is still checked against the whole query,
so the index only has to hold every match, never to decide one.

The index is brought up to date just before each search, from the objects the collection
handed out or added since (a handler mutates what it got in place): the work is that of
the changes since the last search, however many objects are stored.
"""

from __future__ import annotations

import bisect
import heapq
import math
from typing import Any, Iterable, Iterator, Mapping

from reference_impl.search_query import NUMERIC, TOKEN, Clause, Query, SearchField

Entry = tuple[str, Any]  # (field, value): a token's casefolded text, a number, or (key, text) for a keyed field
RANGES = {":": (True, True), ">": (False, None), ">=": (True, None), "<": (None, False), "<=": (None, True)}


class SearchIndex:
    def __init__(self, fields: Mapping[str, SearchField]) -> None:
        # Top-level fields only: a dotted name reads a nested value, which the scan still serves.
        self.fields = {name: spec for name, spec in fields.items() if spec.type in (TOKEN, NUMERIC) and "." not in name}
        self._postings: dict[Entry, list[int]] = {}
        self._numbers: dict[str, list[float]] = {name: [] for name, spec in self.fields.items()
                                                 if spec.type == NUMERIC}  # distinct values, sorted
        # What each position is filed under now; the entries themselves are shared between
        # objects holding the same value, so the index costs a few pointers an object.
        self._entries: list[tuple[Entry, ...]] = []
        self._shared: dict[Entry, Entry] = {}

    # ---------------------------------------------------------------- keeping it current

    def put(self, position: int, obj: Mapping[str, Any]) -> None:
        """File ``obj`` (at ``position``) under its values now, and no longer under its old ones."""
        new = tuple(self._shared.setdefault(entry, entry) for entry in self._values(obj))
        if position >= len(self._entries):
            self._entries.extend([()] * (position + 1 - len(self._entries)))
        old = self._entries[position]
        if new == old:
            return
        kept = set(old) & set(new)
        for entry in old:
            if entry not in kept:
                self._remove(entry, position)
        for entry in new:
            if entry not in kept:
                self._add(entry, position)
        self._entries[position] = new

    def _values(self, obj: Mapping[str, Any]) -> Iterator[Entry]:
        for name, spec in self.fields.items():
            value = obj.get(name)
            if spec.keyed:
                for key, item in (value.items() if isinstance(value, dict) else ()):
                    if item is not None:
                        yield name, (key, str(item).casefold())
            elif spec.type == NUMERIC:
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    yield name, value
            elif value is not None:
                yield name, str(value).casefold()

    def _add(self, entry: Entry, position: int) -> None:
        positions = self._postings.get(entry)
        if positions is None:
            positions = self._postings[entry] = []
            if entry[0] in self._numbers:
                bisect.insort(self._numbers[entry[0]], entry[1])
        if not positions or positions[-1] < position:
            positions.append(position)  # the usual case: a new object
        else:
            bisect.insort(positions, position)

    def _remove(self, entry: Entry, position: int) -> None:
        positions = self._postings[entry]
        del positions[bisect.bisect_left(positions, position)]
        if not positions:
            del self._postings[entry]
            del self._shared[entry]
            if entry[0] in self._numbers:
                numbers = self._numbers[entry[0]]
                del numbers[bisect.bisect_left(numbers, entry[1])]

    # ---------------------------------------------------------------- answering

    def candidates(self, query: Query) -> list[list[int]] | None:
        """Position lists whose union holds every match of ``query``; None when the index cannot say."""
        options = [self._clause_lists(clause) for clause in query.clauses]
        if query.combinator == "or":
            return None if any(lists is None for lists in options) else [lst for lists in options for lst in lists]
        usable = [lists for lists in options if lists is not None]
        return min(usable, key=lambda lists: sum(map(len, lists))) if usable else None

    def _clause_lists(self, clause: Clause) -> list[list[int]] | None:
        spec = self.fields.get(clause.field)
        if spec is None or clause.negated or clause.value.kind == "null":
            return None
        if spec.type == TOKEN:
            wanted = clause.value.text.casefold()
            entry = (clause.field, (clause.key, wanted) if spec.keyed else wanted)
            return [self._postings.get(entry, [])]
        return [self._postings[(clause.field, value)]
                for value in _in_range(self._numbers[clause.field], float(clause.value.text), clause.op)]


def _in_range(values: list[float], bound: float, op: str) -> list[float]:
    """The sorted ``values`` that satisfy ``value op bound``."""
    low_inclusive, high_inclusive = RANGES[op]
    start = 0 if low_inclusive is None else (bisect.bisect_left if low_inclusive else bisect.bisect_right)(values, bound)
    end = len(values) if high_inclusive is None else (
        bisect.bisect_right if high_inclusive else bisect.bisect_left)(values, bound)
    return values[start:end]


def newest_first(lists: Iterable[list[int]], below: int | None) -> Iterator[int]:
    """The positions in ``lists`` (each ascending) below ``below``, newest first, each once."""
    runs = [_descending(positions, below) for positions in lists]
    previous = None
    for position in heapq.merge(*runs, reverse=True):
        if position != previous:
            yield position
        previous = position


def _descending(positions: list[int], below: int | None) -> Iterator[int]:
    end = len(positions) if below is None else bisect.bisect_left(positions, below)
    for index in range(end - 1, -1, -1):
        yield positions[index]


def index_is_cheaper(lists: list[list[int]], stored: int, wanted: float) -> bool:
    """Whether merging ``lists`` beats walking the store to find ``wanted`` matches.

    Walking finds matches at the rate they occur, taken as even: ``wanted * stored / matches``
    objects; merging opens every list (a value in range) and takes what it needs from them.
    """
    matches = sum(map(len, lists))
    walked = math.inf if matches == 0 else wanted * stored / matches
    return len(lists) + min(wanted, matches) <= walked
