"""A durable store: the in-memory store, written through to SQLite (``serve --db PATH``).

Reads are served from memory, loaded once at start. Each mutating request runs in
:meth:`SqliteStore.transaction`; the objects it got or added, their hidden state and the
idempotency key it used are written in one SQLite transaction, committed before the answer
is sent. A write therefore costs the same however many objects are stored, and an answered
request survives a crash of the process (WAL with ``synchronous=NORMAL``: only a crash of
the whole machine could lose the last commits). Objects evicted past ``max_objects`` are deleted
in the same transaction, and a reset deletes what it forgets, so neither comes back at restart.

A file that cannot be used (a directory, a missing folder, read-only, not SQLite) raises
:class:`StoreError` with one line saying which.
"""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import time
from contextlib import contextmanager
from typing import Iterator

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


class StoreError(Exception):
    """The database cannot be used: one line for the person who named it."""


class SqliteStore(Store):
    def __init__(self, path: str, max_objects: int | None = None) -> None:
        super().__init__(max_objects)
        self._states: dict[str, dict] = {}  # hidden state touched in the open transaction
        self._keys: list[tuple[str, str, SavedResponse]] = []
        try:
            # One event loop thread uses the connection, but in-process test clients run the app
            # on a thread of their own.
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._load()
            self._trim()
        except (sqlite3.Error, ValueError, pickle.UnpicklingError, EOFError) as exc:
            raise StoreError(_explain(path, exc)) from None

    # ---------------------------------------------------------------- tracking

    @property
    def tracking(self) -> bool:
        return True

    def internal(self, ident: str) -> dict:
        state = super().internal(ident)
        if self._touched is not None:
            self._states[ident] = state
        return state

    def save_response(self, account: str, key: str, saved: SavedResponse) -> None:
        super().save_response(account, key, saved)
        if self._touched is not None:
            self._keys.append((account, key, saved))

    # ---------------------------------------------------------------- writing

    def _commit(self, touched: dict[str, tuple[Collection, dict]]) -> list[tuple[Collection, str]]:
        evicted = super()._commit(touched)
        try:
            self._write(touched, [ident for _, ident in evicted])
        finally:
            self._states, self._keys = {}, []
        return evicted

    def _write(self, touched: dict[str, tuple[Collection, dict]], evicted: list[str]) -> None:
        if not (touched or self._states or self._keys or evicted):
            return
        gone = set(evicted)
        with self._sql_transaction():
            self._db.executemany(
                "INSERT INTO objects (id, account, kind, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                [(ident, c.account, c.kind, json.dumps(obj)) for ident, (c, obj) in touched.items()
                 if ident not in gone])
            self._db.executemany("INSERT OR REPLACE INTO internal (id, state) VALUES (?, ?)",
                                 [(ident, pickle.dumps(state)) for ident, state in self._states.items()
                                  if ident not in gone])
            self._db.executemany(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(account, key, s.fingerprint, s.status, s.body, s.request_id, s.created)
                 for account, key, s in self._keys])
            self._delete(evicted)

    def _delete(self, idents: list[str]) -> None:
        self._db.executemany("DELETE FROM objects WHERE id = ?", [(ident,) for ident in idents])
        self._db.executemany("DELETE FROM internal WHERE id = ?", [(ident,) for ident in idents])

    @contextmanager
    def _sql_transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def reset(self, account: str | None = None) -> int:
        forgotten = super().reset(account)
        with self._sql_transaction():
            if account is None:
                for table in ("objects", "internal", "responses"):
                    self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - the table names are ours
            else:
                self._db.execute("DELETE FROM internal WHERE id IN (SELECT id FROM objects WHERE account = ?)",
                                 (account,))
                self._db.execute("DELETE FROM objects WHERE account = ?", (account,))
                self._db.execute("DELETE FROM responses WHERE account = ?", (account,))
        return forgotten

    # ---------------------------------------------------------------- loading

    def _load(self) -> None:
        for account, kind, body in self._db.execute("SELECT account, kind, body FROM objects ORDER BY seq"):
            obj = self.collection(account, kind).add(json.loads(body))
            if self._ledger is not None:
                self._ledger.note(account, kind, obj)
        for ident, state in self._db.execute("SELECT id, state FROM internal"):
            self._internal[ident] = pickle.loads(state)
        cutoff = time.time() - IDEMPOTENCY_TTL
        self._db.execute("DELETE FROM responses WHERE created < ?", (cutoff,))
        rows = self._db.execute("SELECT account, key, fingerprint, status, body, request_id, created FROM responses "
                                "ORDER BY created")
        for account, key, fingerprint, status, body, request_id, created in rows:
            self._responses[(account, key)] = SavedResponse(fingerprint, status, bytes(body), request_id, created)

    def _trim(self) -> None:
        """A file written with a larger --max-objects (or none) is brought within the bound at start."""
        if self._ledger is None:
            return
        evicted = self._evict_past_bound({account for account, _ in self._collections})
        if evicted:
            with self._sql_transaction():
                self._delete([ident for _, ident in evicted])

    def close(self) -> None:
        self._db.close()


def _explain(path: str, exc: Exception) -> str:
    """Why ``path`` cannot be the database, in the words of the likely cause."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return f"--db {path}: is a directory; give a file path (it is created if missing)"
    if not os.path.isdir(folder):
        return f"--db {path}: the directory {folder} does not exist"
    text = str(exc)
    if "readonly" in text or "read-only" in text or not os.access(folder, os.W_OK) or (
            os.path.exists(path) and not os.access(path, os.W_OK)):
        return f"--db {path}: cannot write there (read-only file or directory)"
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        return f"--db {path}: not a SQLite database (a corrupt file, or another kind of file)"
    return f"--db {path}: not a database this server wrote ({text})"
