"""A durable store: the in-memory store, written through to SQLite (``serve --db PATH``).

Reads are served from memory, loaded once at start. Each mutating request runs in
:meth:`SqliteStore.transaction`; the objects it got or added, their hidden state and the
idempotency key it used are written in one SQLite transaction (shared with the other requests
handled in the same turn of the event loop), committed before the answer is sent. A write therefore costs the same however many objects are stored, and an answered
request survives a crash of the process (WAL with ``synchronous=NORMAL``: only a crash of
the whole machine could lose the last commits). Objects evicted past ``max_objects`` are deleted
in the same transaction, and a reset deletes what it forgets, so neither comes back at restart.

A file that cannot be used (a directory, a missing folder, read-only, not SQLite) raises
:class:`StoreError` with one line saying which.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Awaitable, Iterator, NamedTuple

import orjson

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


UPSERT_OBJECT = ("INSERT INTO objects (id, account, kind, body) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (id) DO UPDATE SET body = excluded.body")
UPSERT_STATE = "INSERT OR REPLACE INTO internal (id, state) VALUES (?, ?)"
UPSERT_RESPONSE = "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)"


class Writes(NamedTuple):
    """What one mutating request leaves to write: rows of each table, and the ids it evicted."""

    objects: list[tuple]
    states: list[tuple]
    responses: list[tuple]
    deleted: list[str]


def _json(obj: dict) -> str:
    try:
        return orjson.dumps(obj).decode()
    except TypeError:  # what orjson refuses (integers past 64 bits, lone surrogates) the standard library writes
        return json.dumps(obj)


# Checkpoints (copying the WAL into the database file, with an fsync) are made by a thread of
# their own every CHECKPOINT_INTERVAL_S: made by a commit, as SQLite does by default every 1,000
# pages, they stopped the event loop for the fsync (a third of a create's time on the durable
# store). A commit still makes one past BACKSTOP_CHECKPOINT_PAGES, should that thread fall behind.
CHECKPOINT_INTERVAL_S = 0.2
BACKSTOP_CHECKPOINT_PAGES = 50_000


class Checkpointer:
    def __init__(self, path: str) -> None:
        self._stopping = threading.Event()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(CHECKPOINT_INTERVAL_S):
            try:
                self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")  # never waits for, nor blocks, the writer
            except sqlite3.Error:
                pass  # busy or gone: the next turn, or the writer's own backstop, does it
        self._db.close()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()


class StoreError(Exception):
    """The database cannot be used: one line for the person who named it."""


class SqliteStore(Store):
    def __init__(self, path: str, max_objects: int | None = None) -> None:
        super().__init__(max_objects)
        self._states: dict[str, dict] = {}  # hidden state touched in the open transaction
        self._keys: list[tuple[str, str, SavedResponse]] = []
        self._batch: list[Writes] = []  # written at the next commit
        self._flushed: asyncio.Future | None = None  # done when the batch is committed
        try:
            # One event loop thread uses the connection, but in-process test clients run the app
            # on a thread of their own.
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._load()
            self._trim()
            self._db.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")
        except (sqlite3.Error, ValueError, pickle.UnpicklingError, EOFError) as exc:
            raise StoreError(_explain(path, exc)) from None
        self._checkpointer = Checkpointer(path)

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
            # Serialized now, as the request leaves them: later requests may change them in place.
            writes = self._rows(touched, [ident for _, ident in evicted])
        finally:
            self._states, self._keys = {}, []
        if writes is not None:
            self._enqueue(writes)
        return evicted

    def _rows(self, touched: dict[str, tuple[Collection, dict]], evicted: list[str]) -> Writes | None:
        if not (touched or self._states or self._keys or evicted):
            return None
        gone = set(evicted)
        return Writes(
            [(ident, c.account, c.kind, _json(obj)) for ident, (c, obj) in touched.items() if ident not in gone],
            [(ident, pickle.dumps(state)) for ident, state in self._states.items() if ident not in gone],
            [(account, key, s.fingerprint, s.status, s.body, s.request_id, s.created) for account, key, s in self._keys],
            evicted)

    # ---------------------------------------------------------------- group commit

    def _enqueue(self, writes: Writes) -> None:
        """Written with every other request answered in this turn of the event loop, in one transaction.

        One commit per request was most of a durable write's cost; the requests a busy server
        handles in one turn of its loop now share it. Nobody is answered before the commit
        (:meth:`written`), so an answered write still survives a crash of the process. Outside
        an event loop (at start, in tests that use the store directly) a write is committed at once.
        """
        self._batch.append(writes)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            self.flush()
        elif self._flushed is None:
            self._flushed = loop.create_future()
            loop.call_soon(self.flush)

    def written(self) -> Awaitable[None] | None:
        """What to await before answering: the commit of the writes waiting for one (None: none wait).

        Reads wait too: an answer never shows a change that a crash could still lose.
        """
        return self._flushed

    def flush(self) -> None:
        """Commit every write waiting for a commit, and wake the requests waiting for it."""
        batch, self._batch = self._batch, []
        waiting, self._flushed = self._flushed, None
        try:
            if batch:
                self._write(batch)
        except Exception as exc:  # noqa: BLE001 - each waiting request answers it (a 500), as before batching
            if waiting is None:
                raise
            _settle(waiting, exc)
            return
        if waiting is not None:
            _settle(waiting, None)

    def _write(self, batch: list[Writes]) -> None:
        with self._sql_transaction():
            for statement, rows in ((UPSERT_OBJECT, [row for w in batch for row in w.objects]),
                                    (UPSERT_STATE, [row for w in batch for row in w.states]),
                                    (UPSERT_RESPONSE, [row for w in batch for row in w.responses])):
                if rows:
                    self._db.executemany(statement, rows)
            deleted = [ident for w in batch for ident in w.deleted]
            if deleted:
                self._delete(deleted)

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
        self.flush()  # what waits to be written goes first, or it would come back after the reset
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
        self.flush()
        self._checkpointer.stop()
        self._db.close()


def _settle(waiting: asyncio.Future, error: Exception | None) -> None:
    if waiting.done() or waiting.get_loop().is_closed():  # flushed at close, after its loop stopped
        return
    if error is None:
        waiting.set_result(None)
    else:
        waiting.set_exception(error)


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
