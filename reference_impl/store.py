"""In-memory storage: objects by account and kind, in creation order.

Handlers run on one event loop and never await between reading and writing an object,
so every operation is atomic without locks.
"""

from __future__ import annotations

from typing import Callable, Iterator


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

    def collection(self, account: str, kind: str) -> Collection:
        key = (account, kind)
        found = self._collections.get(key)
        if found is None:
            found = self._collections[key] = Collection()
        return found

    def internal(self, ident: str) -> dict:
        found = self._internal.get(ident)
        if found is None:
            found = self._internal[ident] = {}
        return found

    def find(self, account: str, kind: str, ident: str) -> dict | None:
        return self.collection(account, kind).get(ident)

    def first_match(self, account: str, kind: str, predicate: Callable[[dict], bool]) -> dict | None:
        return next((obj for obj in self.collection(account, kind).newest_first() if predicate(obj)), None)
