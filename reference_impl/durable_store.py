"""A durable store: the in-memory store, written through to a log file (``serve --db PATH``).

Reads are served from memory, loaded once at start. Each mutating request runs in
:meth:`DurableStore.transaction`; the objects it got or added, their hidden state, the
idempotency key it used and the objects it evicted are serialized at its end into one record.
The records of every request handled in the same turn of the event loop are appended to the file
(:mod:`reference_impl.change_log`) in one ``writev()``, done before any of them is answered: an
answered request survives a crash of the process (as SQLite's WAL with ``synchronous=NORMAL`` did
before: the data is the kernel's; a thread hands it to the disk every ``SYNC_INTERVAL_S``).

The log holds every version of every object written. It is compacted once half of it is dead
(see ``COMPACT_MIN_BYTES``): the live objects are written to a new file a few thousand at a time,
after each append and between requests (:class:`Compaction`), then what was appended meanwhile is
copied after them and the new file replaces the old one. At start the file is replayed, last
version wins.

A file of the previous format (SQLite) is read and rewritten as a log. A file that cannot be used
(a directory, a missing folder, read-only, not ours, damaged) raises :class:`StoreError` with one
line saying which.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import pickle
import sqlite3
import threading
import time
from typing import Awaitable, Iterator

import orjson

from reference_impl import change_log, sqlite_legacy
from reference_impl.change_log import MAGIC, SQLITE_MAGIC, DamagedLog, NotALog, frame, serialize, write_all
from reference_impl.store import IDEMPOTENCY_TTL, Collection, SavedResponse, Store

WRITE = "w"  # ("w", objects [(id, account, kind, JSON)], states [(id, state)], responses [row], deleted [id])
RESET = "reset"  # ("reset", account, or None for every account)

SYNC_INTERVAL_S = 0.2
# A log is compacted once at least half of it is dead (older versions, evicted or reset objects),
# so a compaction rewrites at most as much as the writes since the last one made dead: creating
# objects costs no compaction at all. And it has grown by half since the last one, so that
# framing (more than half of a tiny object's bytes) cannot start one after every append.
COMPACT_MIN_BYTES = 32 << 20  # below this a log is left as it is
COMPACT_GROWTH = 1.5
ROW_BYTES = 64  # a row's framing, beside its body: id, account, kind, pickle opcodes
COMPACT_CHUNK = 1000  # objects (or states, or keys) written per frame of a compaction
COMPACT_FRAMES_PER_APPEND = 4  # written after each append: about 5-10 ms, few appends to copy at the end
COMPACT_PAUSE_S = 0.001  # between steps when no append comes: requests are served in between


def _json(obj: dict) -> bytes:
    try:
        return orjson.dumps(obj)
    except TypeError:  # what orjson refuses (integers past 64 bits, lone surrogates) the standard library writes
        return json.dumps(obj).encode()


def _unjson(body: bytes) -> dict:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:  # what _json wrote with the standard library
        return json.loads(body)


def _response_row(account: str, key: str, s: SavedResponse) -> tuple:
    return (account, key, s.fingerprint, s.status, s.body, s.request_id, s.created)


class StoreError(Exception):
    """The file cannot be used: one line for the person who named it."""


class Replay:
    """The live rows of a log read from its start: later versions replace earlier ones."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[str, str, bytes]] = {}  # id -> (account, kind, JSON); first write's order
        self.states: dict[str, dict] = {}
        self.responses: dict[tuple[str, str], tuple] = {}

    def apply(self, record: tuple) -> None:
        if record[0] == WRITE:
            _, objects, states, responses, deleted = record
            for ident, account, kind, body in objects:
                self.objects[ident] = (account, kind, body)
            for ident, state in states:
                self.states[ident] = state
            for row in responses:
                self.responses[(row[0], row[1])] = row
            for ident in deleted:
                self.objects.pop(ident, None)
                self.states.pop(ident, None)
        elif record[0] == RESET:
            account = record[1]
            if account is None:
                self.objects.clear()
                self.states.clear()
                self.responses.clear()
                return
            for ident in [ident for ident, (owner, _, _) in self.objects.items() if owner == account]:
                del self.objects[ident]
                self.states.pop(ident, None)
            for key in [key for key in self.responses if key[0] == account]:
                del self.responses[key]
        else:
            raise ValueError(f"unknown record {record[0]!r}")


def read(path: str) -> tuple[Replay, int]:
    """The live rows of the log at ``path``, and the length of its whole frames."""
    replay = Replay()
    with open(path, "rb") as file:
        if file.read(len(MAGIC)) != MAGIC:
            raise NotALog()
        good = len(MAGIC)
        for record, good in change_log.records(file, os.fstat(file.fileno()).st_size):
            replay.apply(record)
    return replay, good


class Syncer:
    """Hands the log to the disk every SYNC_INTERVAL_S, off the event loop (fdatasync waits for the disk)."""

    def __init__(self, store: DurableStore) -> None:
        self._store = store
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="durable-sync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(SYNC_INTERVAL_S):
            try:
                _sync_data(self._store._fd)
            except OSError:
                pass  # the file was just swapped for its compacted copy: the next turn syncs that one

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()


class DurableStore(Store):
    def __init__(self, path: str, max_objects: int | None = None) -> None:
        super().__init__(max_objects)
        self._path = path
        self._states: dict[str, dict] = {}  # hidden state touched in the open transaction
        self._keys: list[tuple[str, str, SavedResponse]] = []
        self._pending: list[bytes] = []  # serialized records, one frame at the next write
        self._flushed: asyncio.Future | None = None  # done when the pending frames are written
        self._compaction: Compaction | None = None
        self._step_due = False  # a compaction's next step is scheduled
        # The bytes of the latest version of each object, the rest of the log being dead. Hidden
        # states (a few dozen bytes, written with their object) are not counted.
        self._object_bytes: dict[str, int] = {}
        self._live = 0  # their sum, and the idempotency keys' (until a reset, counted live)
        self._compacted = 0  # the log's size after its last compaction
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                self._open()
            except BaseException:
                os.close(self._fd)
                raise
        except (OSError, sqlite3.Error, NotALog, DamagedLog, ValueError, pickle.UnpicklingError, EOFError) as exc:
            raise StoreError(_explain(path, exc)) from None
        self._syncer = Syncer(self)

    def _open(self) -> None:
        head = os.pread(self._fd, len(MAGIC), 0)
        if head.startswith(SQLITE_MAGIC):
            self._migrate()
            return
        try:
            os.remove(self._path + ".compact")  # a compaction the process did not live to finish
        except FileNotFoundError:
            pass
        if not head:
            write_all(self._fd, [MAGIC])
        elif head != MAGIC:
            raise NotALog()
        replay, self._size = self._replay()
        self._load(replay)
        self._trim()
        if self._worth_compacting():
            self._compact_now()

    # ---------------------------------------------------------------- tracking

    @property
    def tracking(self) -> bool:
        return True

    def internal(self, ident: str) -> dict:
        state = self._internal.get(ident)  # Store.internal, inline: a confirm asks for three
        if state is None:
            state = self._internal[ident] = {}
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
        states, keys, self._states, self._keys = self._states, self._keys, {}, []
        if not (touched or states or keys or evicted):
            return evicted
        deleted = [ident for _, ident in evicted]
        if deleted:
            gone = set(deleted)
            touched = {ident: found for ident, found in touched.items() if ident not in gone}
            states = {ident: state for ident, state in states.items() if ident not in gone}
        # Serialized now, as the request leaves them: later requests may change them in place.
        responses = [_response_row(account, key, saved) for account, key, saved in keys]
        if responses or deleted:
            self._note((WRITE, [], [], responses, deleted))
        self._enqueue(serialize((WRITE, self._rows(touched), list(states.items()), responses, deleted)))
        return evicted

    def _rows(self, touched: dict[str, tuple[Collection, dict]]) -> list[tuple[str, str, str, bytes]]:
        """The rows of the objects a request touched, counted as :meth:`_note` counts them (in the same loop)."""
        rows = []
        live, sizes = self._live, self._object_bytes
        for ident, (collection, obj) in touched.items():
            body = _json(obj)
            rows.append((ident, collection.account, collection.kind, body))
            size = len(body) + ROW_BYTES
            live += size - sizes.get(ident, 0)
            sizes[ident] = size
        self._live = live
        return rows

    def _note(self, record: tuple) -> None:
        """Keep the count of live bytes: what ``record`` writes replaces (or removes) what was live."""
        _, objects, _, responses, deleted = record
        live, sizes = self._live, self._object_bytes
        for ident, _, _, body in objects:
            size = len(body) + ROW_BYTES
            live += size - sizes.get(ident, 0)
            sizes[ident] = size
        for row in responses:
            live += len(row[4]) + ROW_BYTES
        for ident in deleted:
            live -= sizes.pop(ident, 0)
        self._live = live

    # ---------------------------------------------------------------- group commit

    def _enqueue(self, data: bytes) -> None:
        """Written with every other request answered in this turn of the event loop, in one ``write()``.

        Nobody is answered before that write (:meth:`written`), so an answered write survives a
        crash of the process. Outside an event loop (at start, in tests that use the store
        directly) a record is written at once.
        """
        self._pending.append(data)
        if self._flushed is not None:
            return  # a write is due in this turn already
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            self.flush()
        else:
            self._flushed = loop.create_future()
            loop.call_soon(self.flush)

    def written(self) -> Awaitable[None] | None:
        """What to await before answering: the write of the records waiting for one (None: none wait).

        Reads wait too: an answer never shows a change that a crash could still lose.
        """
        return self._flushed

    def flush(self) -> None:
        """Append every record waiting, and wake the requests waiting for it."""
        pending, self._pending = self._pending, []
        waiting, self._flushed = self._flushed, None
        try:
            if pending:
                self._append(frame(pending))
        except Exception as exc:  # noqa: BLE001 - each waiting request answers it (a 500)
            if waiting is None:
                raise
            _settle(waiting, exc)
            return
        if waiting is not None:
            _settle(waiting, None)
        self._compact_some()

    def _append(self, parts: list[bytes]) -> None:
        write_all(self._fd, parts)
        self._size += sum(map(len, parts))

    def reset(self, account: str | None = None) -> int:
        if account is None:
            self._object_bytes, self._live = {}, 0
        else:
            for (owner, _), collection in self._collections.items():
                if owner == account:
                    for ident in collection.ids():
                        self._live -= self._object_bytes.pop(ident, 0)
        forgotten = super().reset(account)
        self._pending.append(serialize((RESET, account)))
        self.flush()
        return forgotten

    # ---------------------------------------------------------------- compaction

    def _worth_compacting(self) -> bool:
        return self._size > max(COMPACT_MIN_BYTES, 2 * self._live, COMPACT_GROWTH * self._compacted)

    def _compact_some(self) -> None:
        if self._compaction is None:
            if not self._worth_compacting():
                return
            self._compaction = Compaction(self)
        if self._compaction.step(COMPACT_FRAMES_PER_APPEND):
            self._finish_compaction()
        else:
            self._continue_soon()

    def _continue_soon(self) -> None:
        """The next step of a compaction, also when no write comes (it would wait for one, and copy more at its end)."""
        if self._step_due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (tests using the store directly): the next append takes the next step
        self._step_due = True
        loop.call_later(COMPACT_PAUSE_S, self._continue)

    def _continue(self) -> None:
        self._step_due = False
        if self._compaction is not None:
            self._compact_some()

    def _compact_now(self) -> None:
        self._compaction = self._compaction or Compaction(self)
        while not self._compaction.step(1_000_000):
            pass
        self._finish_compaction()

    def _finish_compaction(self) -> None:
        compaction, self._compaction = self._compaction, None
        self._fd, self._size = compaction.replace(self._fd, self._size)
        self._compacted = self._size

    def _dump(self) -> Iterator[list[bytes]]:
        """Frames holding every live object, hidden state and idempotency key, as they are when each is written.

        What exists now is listed now; what is added later is in the frames appended meanwhile,
        which :meth:`Compaction.replace` copies after these. An object changed or removed after
        this starts is written as it is when its turn comes: the frames copied after it replay
        its changes since the start over it, last version winning, so the end is the same.
        """
        collections = [(c, c.ids()) for c in self._collections.values()]
        state_ids = list(self._internal)
        responses = list(self._responses.items())

        def frames() -> Iterator[list[bytes]]:
            for collection, ids in collections:
                for part in _chunks(ids):
                    rows = []
                    for ident in part:
                        position = collection.position(ident)
                        if position is not None:
                            rows.append((ident, collection.account, collection.kind,
                                         _json(collection.at(position))))
                    yield frame([serialize((WRITE, rows, [], [], []))])
            for part in _chunks(state_ids):
                yield frame([serialize((WRITE, [], [(ident, self._internal[ident]) for ident in part
                                                    if ident in self._internal], [], []))])
            for part in _chunks(responses):
                yield frame([serialize((WRITE, [], [], [_response_row(account, key, saved)
                                                        for (account, key), saved in part], []))])

        return frames()

    # ---------------------------------------------------------------- loading

    def _replay(self) -> tuple[Replay, int]:
        replay, good = read(self._path)
        if good < os.fstat(self._fd).st_size:
            os.ftruncate(self._fd, good)  # a write cut by a crash: never answered
        return replay, good

    def _load(self, replay: Replay) -> None:
        self._note((WRITE, [(ident, *row) for ident, row in replay.objects.items()], list(replay.states.items()),
                    list(replay.responses.values()), []))
        for ident, (account, kind, body) in replay.objects.items():
            obj = self.collection(account, kind).add(_unjson(body))
            if obj["id"] != ident:
                raise ValueError(f"object {ident} holds {obj['id']}")
            if self._ledger is not None:
                self._ledger.note(account, kind, obj)
        self._internal.update(replay.states)
        cutoff = time.time() - IDEMPOTENCY_TTL
        for account, key, fingerprint, status, body, request_id, created in sorted(
                replay.responses.values(), key=lambda row: row[6]):
            if created >= cutoff:
                self._responses[(account, key)] = SavedResponse(fingerprint, status, bytes(body), request_id, created)

    def _trim(self) -> None:
        """A file written with a larger --max-objects (or none) is brought within the bound at start."""
        if self._ledger is None:
            return
        evicted = self._evict_past_bound({account for account, _ in self._collections})
        if evicted:
            record = (WRITE, [], [], [], [ident for _, ident in evicted])
            self._note(record)
            self._append(frame([serialize(record)]))

    def _migrate(self) -> None:
        """A SQLite file of the previous format: loaded, then replaced by a log of what it held."""
        rows = sqlite_legacy.read(self._path)
        replay = Replay()
        replay.apply((WRITE, rows.objects, [(ident, pickle.loads(state)) for ident, state in rows.states],
                      rows.responses, []))
        self._load(replay)
        self._size = 0
        self._compact_now()
        self._trim()  # into the log: an eviction appended to the SQLite file would damage it
        for leftover in ("-wal", "-shm"):
            try:
                os.remove(self._path + leftover)
            except FileNotFoundError:
                pass

    def close(self) -> None:
        self.flush()
        if self._compaction is not None:
            self._compaction.abandon()
            self._compaction = None
        self._syncer.stop()
        os.close(self._fd)


class Compaction:
    """A new log being written beside the old one: the live state, then what was appended meanwhile."""

    def __init__(self, store: DurableStore) -> None:
        self._path = store._path
        self._tmp = store._path + ".compact"
        self._since = store._size  # the old log's frames from here on are copied after the dump
        self._frames = store._dump()
        self._fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._size = 0
        self._write([MAGIC])

    def _write(self, parts: list[bytes]) -> None:
        write_all(self._fd, parts)
        self._size += sum(map(len, parts))

    def step(self, frames: int) -> bool:
        """Write up to ``frames`` frames of the dump; True when it is all written."""
        for data in itertools.islice(self._frames, frames):
            self._write(data)
            frames -= 1
        return frames > 0

    def replace(self, old_fd: int, old_size: int) -> tuple[int, int]:
        """Copy the frames appended since the start, then take the old log's place; returns the new (fd, size)."""
        at = self._since
        while at < old_size:
            data = os.pread(old_fd, min(change_log.READ_CHUNK, old_size - at), at)
            self._write([data])
            at += len(data)
        os.fsync(self._fd)  # on the disk before it replaces the old log: a machine crash keeps one or the other
        os.close(self._fd)
        os.replace(self._tmp, self._path)
        _sync_folder(self._path)
        os.close(old_fd)
        return os.open(self._path, os.O_RDWR | os.O_APPEND), self._size

    def abandon(self) -> None:
        os.close(self._fd)
        os.remove(self._tmp)


def _chunks(items: list) -> Iterator[list]:
    for start in range(0, len(items), COMPACT_CHUNK):
        yield items[start:start + COMPACT_CHUNK]


_sync_data = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def _sync_folder(path: str) -> None:
    folder = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


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
    if isinstance(exc, PermissionError) or "readonly" in text or "read-only" in text or not os.access(
            folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return f"--db {path}: cannot write there (read-only file or directory)"
    if isinstance(exc, NotALog):
        return f"--db {path}: not a database of this server (a corrupt file, or another kind of file)"
    if isinstance(exc, DamagedLog):
        return (f"--db {path}: damaged at byte {exc.offset}, with whole records after it (not a write cut by a "
                "crash); move it away to start afresh")
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        return f"--db {path}: not a database of this server (a corrupt SQLite file)"
    return f"--db {path}: not a database this server wrote ({text})"
