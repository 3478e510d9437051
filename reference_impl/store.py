"""In-memory storage: objects by account and kind, in creation order.

Handlers run on one event loop and never await between reading and writing an object,
so every operation is atomic without locks.

A store may also be durable (:mod:`reference_impl.durable_store`) or bounded (``max_objects``,
:mod:`reference_impl.eviction`): handlers mutate the objects they get in place, so each mutating
request runs inside :meth:`Store.transaction`, at whose end the store sees every object the
request touched (a durable store saves them, a bounded one notes which have reached a final state
and evicts past its bound). An unbounded in-memory store tracks nothing: it costs nothing.
"""

from __future__ import annotations

import bisect
import time
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Awaitable, Callable, Container, ContextManager, Iterator, Mapping

from reference_impl.encoded import EncodedCache
from reference_impl.eviction import Ledger
from reference_impl.search_index import SearchIndex
from reference_impl.search_query import SearchField

IDEMPOTENCY_TTL = 24 * 60 * 60  # "You can remove keys from the system automatically after they're at least 24 hours old."

_NO_TRANSACTION = nullcontext()


@dataclass(frozen=True)
class SavedResponse:
    """The first answer given to an idempotency key, replayed byte for byte to later requests."""

    fingerprint: str
    status: int
    body: bytes
    request_id: str
    created: float


Touch = Callable[["Collection", dict], None]


class Collection:
    """One kind of object (payment_intent, customer, ...) for one account.

    An object's position is its index in creation order. Until an object is removed (evicted),
    positions are the creation numbers themselves; after, the creation numbers are kept in a
    sorted list, and a position is found by bisection.

    The objects are kept in one list, in creation order, and found by id through their creation
    number: one table fewer than a table of objects beside a list of ids (memory, and the copy
    at each doubling of a table with a million entries).
    """

    def __init__(self, account: str = "", kind: str = "", touch: Touch | None = None) -> None:
        self.account, self.kind = account, kind
        self._touch = touch  # told of every object handed out or added (tracking stores only)
        self._order: list[dict] = []  # the objects, in creation order
        self._number: dict[str, int] = {}  # creation number by id
        self._numbers: list[int] | None = None  # the creation numbers in order, once one object was removed
        self._next = 0  # the next creation number, once one object was removed
        self._index: SearchIndex | None = None  # built by the first search
        self._changed: set[str] = set()  # handed out or added since the index last caught up
        self.encoded = EncodedCache()  # the JSON of objects lists showed lately

    def add(self, obj: dict) -> dict:
        ident = obj["id"]
        if self._numbers is None:
            self._number[ident] = len(self._order)
        else:
            self._number[ident] = self._next
            self._numbers.append(self._next)
            self._next += 1
        self._order.append(obj)
        if self._index is not None:
            self._changed.add(ident)  # indexed at the next search: the request may still change it
        if self._touch is not None:
            self._touch(self, obj)
        return obj

    def get(self, ident: str) -> dict | None:
        position = self.position(ident)
        if position is None:
            return None
        found = self._order[position]
        # Whoever gets an object may change it in place: its listed JSON and its index entries go stale.
        self.encoded.forget(ident)
        if self._index is not None:
            self._changed.add(ident)
        if self._touch is not None:
            self._touch(self, found)
        return found

    def remove(self, ident: str) -> dict | None:
        """Forget ``ident``: from now on it is an unknown id. Later objects move down one position."""
        number = self._number.pop(ident, None)
        if number is None:
            return None
        if self._numbers is None:
            self._numbers, self._next = list(range(len(self._order))), len(self._order)
        at = bisect.bisect_left(self._numbers, number)
        del self._numbers[at]
        found = self._order.pop(at)
        self.encoded.forget(ident)
        # Positions moved: the next search rebuilds the index (searches are rare beside writes).
        self._index, self._changed = None, set()
        return found

    def ids(self) -> list[str]:
        return [obj["id"] for obj in self._order]

    def search_index(self, fields: Mapping[str, SearchField]) -> SearchIndex:
        """The index of ``fields`` over this collection, current as of now (built on first use)."""
        if self._index is None:
            self._index = SearchIndex(fields)
            self._changed = set(self._number)
        # In store order: new objects then append to the index's position lists instead of inserting.
        for position in sorted(self.position(ident) for ident in self._changed):
            self._index.put(position, self._order[position])
        self._changed.clear()
        return self._index

    def at(self, position: int) -> dict:
        return self._order[position]

    def __len__(self) -> int:
        return len(self._order)

    def position(self, ident: str) -> int | None:
        number = self._number.get(ident)
        if number is None or self._numbers is None:
            return number
        return bisect.bisect_left(self._numbers, number)

    def newest_first(self, below: int | None = None) -> Iterator[dict]:
        """Objects from newest to oldest, starting just below position ``below``."""
        if below is None:
            return reversed(self._order)
        return map(self._order.__getitem__, range(below - 1, -1, -1))

    def oldest_first(self, above: int) -> Iterator[dict]:
        """Objects from oldest to newest, starting just above position ``above``."""
        return map(self._order.__getitem__, range(above + 1, len(self._order)))


class _Tracked:
    """A tracking store's transaction: one per store, reused (a generator-based one cost a microsecond a write).

    Transactions never nest nor overlap: a request's handler runs inside one without awaiting.
    """

    __slots__ = ("_store",)

    def __init__(self, store: Store) -> None:
        self._store = store

    def __enter__(self) -> None:
        self._store._touched = {}

    def __exit__(self, *exc_info: object) -> None:
        # Also after an error: a declined payment changes the intent, then answers 402.
        store = self._store
        touched, store._touched = store._touched, None
        store._commit(touched)


class Store:
    """Every account's objects, hidden state and idempotency keys.

    ``max_objects``: at most that many objects per account (None: unbounded), evicting as
    :class:`reference_impl.eviction.Ledger` decides.
    """

    def __init__(self, max_objects: int | None = None) -> None:
        self._collections: dict[tuple[str, str], Collection] = {}
        self._internal: dict[str, dict] = {}
        self._responses: OrderedDict[tuple[str, str], SavedResponse] = OrderedDict()
        self._ledger = Ledger(max_objects) if max_objects is not None else None
        self._touched: dict[str, tuple[Collection, dict]] | None = None  # in the open transaction
        self._tracks = self.tracking  # read once: transaction() is on every write's path
        self._transaction: ContextManager[None] = _Tracked(self) if self._tracks else _NO_TRANSACTION

    @property
    def tracking(self) -> bool:
        """Whether the store must see what each mutating request touched."""
        return self._ledger is not None

    def collection(self, account: str, kind: str) -> Collection:
        key = (account, kind)
        found = self._collections.get(key)
        if found is None:
            found = self._collections[key] = Collection(account, kind, self._touch if self._tracks else None)
        return found

    def _touch(self, collection: Collection, obj: dict) -> None:
        if self._touched is not None:
            self._touched[obj["id"]] = (collection, obj)

    def internal(self, ident: str) -> dict:
        found = self._internal.get(ident)
        if found is None:
            found = self._internal[ident] = {}
        return found

    def transaction(self) -> ContextManager[None]:
        """Brackets one mutating request (see the module's docstring)."""
        return self._transaction

    def _commit(self, touched: dict[str, tuple[Collection, dict]]) -> list[tuple[Collection, str]]:
        """What a mutating request leaves: note it, evict past the bound; returns the evicted objects."""
        if self._ledger is None:
            return []
        for collection, obj in touched.values():
            self._ledger.note(collection.account, collection.kind, obj)
        return self._evict_past_bound({collection.account for collection, _ in touched.values()}, spare=touched)

    def _evict_past_bound(self, accounts: set[str], spare: Container[str] = ()) -> list[tuple[Collection, str]]:
        evicted = []
        for account in accounts:
            for kind, ident in self._ledger.overflow(account, spare):
                collection = self.collection(account, kind)
                collection.remove(ident)
                self._internal.pop(ident, None)
                evicted.append((collection, ident))
        return evicted

    def reset(self, account: str | None = None) -> int:
        """Forget every object, hidden state and idempotency key (of ``account`` only, when given).

        Returns how many objects were forgotten.
        """
        doomed = [key for key in self._collections if account is None or key[0] == account]
        forgotten = 0
        for key in doomed:
            collection = self._collections.pop(key)
            forgotten += len(collection)
            for ident in collection.ids():
                self._internal.pop(ident, None)
        if account is None:
            self._internal.clear()
            self._responses.clear()
        else:
            for key in [key for key in self._responses if key[0] == account]:
                del self._responses[key]
        if self._ledger is not None:
            self._ledger.forget(account)
        return forgotten

    def saved_response(self, account: str, key: str) -> SavedResponse | None:
        return self._responses.get((account, key))

    def save_response(self, account: str, key: str, saved: SavedResponse) -> None:
        self._responses[(account, key)] = saved
        # Oldest first, so pruning stops at the first key young enough to keep.
        while self._responses:
            oldest = next(iter(self._responses.values()))
            if oldest.created >= time.time() - IDEMPOTENCY_TTL:
                break
            self._responses.popitem(last=False)

    def written(self) -> Awaitable[None] | None:
        """What a request awaits before its answer: a durable store's commit (None: nothing to wait for)."""
        return None

    def close(self) -> None:
        """Release what the store holds (nothing here; a durable store's database)."""

    def find(self, account: str, kind: str, ident: str) -> dict | None:
        return self.collection(account, kind).get(ident)

    def first_match(self, account: str, kind: str, predicate: Callable[[dict], bool]) -> dict | None:
        return next((obj for obj in self.collection(account, kind).newest_first() if predicate(obj)), None)
