"""In-memory storage: objects by account and kind, in creation order.

Handlers run on one event loop and never await between reading and writing an object,
so every operation is atomic without locks.

A store may also be durable (:mod:`reference_impl.sqlite_store`): handlers mutate the
objects they get in place, so each mutating request runs inside :meth:`Store.transaction`,
at whose end a durable store saves every object the request touched. Here it costs nothing.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable, ContextManager, Iterator

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


class Collection:
    """One kind of object (payment_intent, customer, ...) for one account."""

    def __init__(self) -> None:
        self._objects: dict[str, dict] = {}
        self._order: list[str] = []
        self._position: dict[str, int] = {}

    def add(self, obj: dict) -> dict:
        self._position[obj["id"]] = len(self._order)
        self._order.append(obj["id"])
        self._objects[obj["id"]] = obj
        return obj

    def get(self, ident: str) -> dict | None:
        return self._objects.get(ident)

    def __len__(self) -> int:
        return len(self._order)

    def position(self, ident: str) -> int | None:
        return self._position.get(ident)

    def newest_first(self, below: int | None = None) -> Iterator[dict]:
        """Objects from newest to oldest, starting just below position ``below``."""
        start = len(self._order) - 1 if below is None else below - 1
        for index in range(start, -1, -1):
            yield self._objects[self._order[index]]

    def oldest_first(self, above: int) -> Iterator[dict]:
        """Objects from oldest to newest, starting just above position ``above``."""
        for index in range(above + 1, len(self._order)):
            yield self._objects[self._order[index]]


class Store:
    def __init__(self) -> None:
        self._collections: dict[tuple[str, str], Collection] = {}
        self._internal: dict[str, dict] = {}
        self._responses: OrderedDict[tuple[str, str], SavedResponse] = OrderedDict()

    def collection(self, account: str, kind: str) -> Collection:
        key = (account, kind)
        found = self._collections.get(key)
        if found is None:
            found = self._collections[key] = self._new_collection(account, kind)
        return found

    def _new_collection(self, account: str, kind: str) -> Collection:
        return Collection()

    def internal(self, ident: str) -> dict:
        found = self._internal.get(ident)
        if found is None:
            found = self._internal[ident] = {}
        return found

    def transaction(self) -> ContextManager[None]:
        """Brackets one mutating request (see the module's docstring)."""
        return _NO_TRANSACTION

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

    def close(self) -> None:
        """Release what the store holds (nothing here; a durable store's database)."""

    def find(self, account: str, kind: str, ident: str) -> dict | None:
        return self.collection(account, kind).get(ident)

    def first_match(self, account: str, kind: str, predicate: Callable[[dict], bool]) -> dict | None:
        return next((obj for obj in self.collection(account, kind).newest_first() if predicate(obj)), None)
