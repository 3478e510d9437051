"""A durable store: the in-memory store, written through to SQLite (``serve --db PATH``).

Reads are served from memory, loaded once at start. Each mutating request runs in
:meth:`SqliteStore.transaction`; the objects it got or added, their hidden state and the
idempotency key it used are written in one SQLite transaction, committed before the answer
is sent. A write therefore costs the same however many objects are stored, and an answered
request survives a crash of the process (WAL with ``synchronous=NORMAL``: only a crash of
the whole machine could lose the last commits).
"""

from __future__ import annotations

import json
import pickle
import sqlite3
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from reference_impl.store import IDEMPOTENCY_TTL, Collection, SavedResponse, Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY,        -- creation order, which lists follow
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL              -- the object as JSON
);
CREATE TABLE IF NOT EXISTS internal (
    id TEXT PRIMARY KEY,
    state BLOB NOT NULL             -- pickled: hidden state holds Python values (test cards)
);
CREATE TABLE IF NOT EXISTS responses (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body BLOB NOT NULL,
    request_id TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (account, key)
);
"""

Touch = Callable[[str, str, dict], None]


class TrackedCollection(Collection):
    """A collection that reports every object handed out or added, so it can be saved."""

    def __init__(self, account: str, kind: str, touch: Touch) -> None:
        super().__init__()
        self._account, self._kind, self._touch = account, kind, touch

    def add(self, obj: dict) -> dict:
        super().add(obj)
        self._touch(self._account, self._kind, obj)
        return obj

    def get(self, ident: str) -> dict | None:
        found = super().get(ident)
        if found is not None:
            self._touch(self._account, self._kind, found)
        return found


class SqliteStore(Store):
    def __init__(self, path: str) -> None:
        super().__init__()
        # One event loop thread uses the connection, but in-process test clients run the app
        # on a thread of their own.
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._objects: dict[str, tuple[str, str, dict]] | None = None  # touched in the open transaction
        self._states: dict[str, dict] = {}
        self._keys: list[tuple[str, str, SavedResponse]] = []
        self._load()

    # ---------------------------------------------------------------- tracking

    def _new_collection(self, account: str, kind: str) -> Collection:
        return TrackedCollection(account, kind, self._touch)

    def _touch(self, account: str, kind: str, obj: dict) -> None:
        if self._objects is not None:
            self._objects[obj["id"]] = (account, kind, obj)

    def internal(self, ident: str) -> dict:
        state = super().internal(ident)
        if self._objects is not None:
            self._states[ident] = state
        return state

    def save_response(self, account: str, key: str, saved: SavedResponse) -> None:
        super().save_response(account, key, saved)
        if self._objects is not None:
            self._keys.append((account, key, saved))

    # ---------------------------------------------------------------- writing

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._objects, self._states, self._keys = {}, {}, []
        try:
            yield
        finally:
            # Also after an error: a declined payment changes the intent, then answers 402.
            try:
                self._write()
            finally:
                self._objects = None

    def _write(self) -> None:
        if not (self._objects or self._states or self._keys):
            return
        self._db.execute("BEGIN")
        try:
            self._db.executemany(
                "INSERT INTO objects (id, account, kind, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                [(ident, account, kind, json.dumps(obj)) for ident, (account, kind, obj) in self._objects.items()])
            self._db.executemany("INSERT OR REPLACE INTO internal (id, state) VALUES (?, ?)",
                                 [(ident, pickle.dumps(state)) for ident, state in self._states.items()])
            self._db.executemany(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(account, key, s.fingerprint, s.status, s.body, s.request_id, s.created)
                 for account, key, s in self._keys])
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ---------------------------------------------------------------- loading

    def _load(self) -> None:
        for account, kind, body in self._db.execute("SELECT account, kind, body FROM objects ORDER BY seq"):
            self.collection(account, kind).add(json.loads(body))
        for ident, state in self._db.execute("SELECT id, state FROM internal"):
            self._internal[ident] = pickle.loads(state)
        cutoff = time.time() - IDEMPOTENCY_TTL
        self._db.execute("DELETE FROM responses WHERE created < ?", (cutoff,))
        rows = self._db.execute("SELECT account, key, fingerprint, status, body, request_id, created FROM responses "
                                "ORDER BY created")
        for account, key, fingerprint, status, body, request_id, created in rows:
            self._responses[(account, key)] = SavedResponse(fingerprint, status, bytes(body), request_id, created)

    def close(self) -> None:
        self._db.close()
