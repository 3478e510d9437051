"""The file of ``serve --db``: a log read back after a cut write, refused when damaged, compacted
while the server writes, and a file of the SQLite format before it read and rewritten."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import sqlite3
import time

import httpx
import pytest

from reference_impl import durable_store
from reference_impl.app import create_app
from reference_impl.change_log import MAGIC
from reference_impl.durable_store import DurableStore, StoreError, read
from reference_impl.store import Store
from served import exchange

A = {"Authorization": "Bearer sk_test_log_a"}
B = {"Authorization": "Bearer sk_test_log_b"}
PI = {"amount": "1000", "currency": "usd", "payment_method_types[]": "card"}
CONFIRMED = {**PI, "payment_method": "pm_card_visa", "confirm": "true", "capture_method": "manual",
             "payment_method_options[card][request_incremental_authorization]": "if_available"}


def state_of(app) -> tuple:
    """Everything the store holds: each collection's objects in order, hidden state, idempotency keys."""
    store = app.store
    return ({key: [c.at(n) for n in range(len(c))] for key, c in store._collections.items() if len(c)},
            dict(store._internal), dict(store._responses))


def made_intents(app, count: int, headers=A, form=CONFIRMED) -> list[dict]:
    return [answer.json() for answer in exchange(app, *[("POST", "/v1/payment_intents", headers, form)] * count)]


def test_a_write_cut_by_a_crash_is_dropped_and_everything_before_it_kept(tmp_path):
    db = str(tmp_path / "stripe.db")
    store = DurableStore(db)
    made = made_intents(create_app(store), 3)
    store.close()
    whole = os.path.getsize(db)
    with open(db, "ab") as file:  # the head of a frame and part of its payload: the process died in write()
        file.write((5000).to_bytes(4, "little") + b"\0\0\0\0" + b"\x80\x05partial")
    reopened = DurableStore(db)
    assert os.path.getsize(db) == whole  # cut back to the last whole frame
    later = made_intents(create_app(reopened), 1)
    reopened.close()
    app = create_app(DurableStore(db))
    for pi in made + later:
        [found] = exchange(app, ("GET", f"/v1/payment_intents/{pi['id']}", A, None))
        assert found.json() == pi
    app.store.close()


def test_zeroed_pages_after_the_last_frame_are_a_machine_crash_not_damage(tmp_path):
    db = str(tmp_path / "stripe.db")
    store = DurableStore(db)
    [made] = made_intents(create_app(store), 1)
    store.close()
    with open(db, "ab") as file:
        file.write(b"\0" * 10_000)
    app = create_app(DurableStore(db))
    [found] = exchange(app, ("GET", f"/v1/payment_intents/{made['id']}", A, None))
    assert found.json() == made
    app.store.close()


def test_a_compaction_goes_on_while_no_write_comes(tmp_path, monkeypatch):
    monkeypatch.setattr(durable_store, "COMPACT_MIN_BYTES", 1000)
    monkeypatch.setattr(durable_store, "COMPACT_CHUNK", 1)
    monkeypatch.setattr(durable_store, "COMPACT_FRAMES_PER_APPEND", 1)
    store = DurableStore(str(tmp_path / "stripe.db"))
    app = create_app(store)
    made = made_intents(app, 20)

    async def update_until_a_compaction_starts_then_wait() -> float:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
            for n in range(200):
                await client.post(f"/v1/payment_intents/{made[0]['id']}", headers=A, data={"metadata[n]": str(n)})
                if store._compaction is not None:
                    break
            assert store._compaction is not None
            waited = time.monotonic()
            while store._compaction is not None and time.monotonic() - waited < 5:
                await asyncio.sleep(0.01)
            return time.monotonic() - waited

    assert asyncio.run(update_until_a_compaction_starts_then_wait()) < 5
    store.close()


def test_a_compaction_cut_short_leaves_the_log_whole_and_its_file_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(durable_store, "COMPACT_MIN_BYTES", 1000)
    monkeypatch.setattr(durable_store, "COMPACT_CHUNK", 1)
    monkeypatch.setattr(durable_store, "COMPACT_FRAMES_PER_APPEND", 1)
    db = str(tmp_path / "stripe.db")
    store = DurableStore(db)
    app = create_app(store)
    made = made_intents(app, 5)
    for n in range(50):
        exchange(app, ("POST", f"/v1/payment_intents/{made[0]['id']}", A, {"metadata[n]": str(n)}))
        if store._compaction is not None:
            break
    assert store._compaction is not None and os.path.exists(db + ".compact")  # under way: the process dies here
    before = state_of(app)
    os.close(store._fd)  # no close(): nothing flushed, finished or removed
    reopened = create_app(DurableStore(db))
    assert state_of(reopened) == before
    assert not os.path.exists(db + ".compact")
    reopened.store.close()


def test_a_sqlite_file_of_another_program_is_one_line(tmp_path):
    db = str(tmp_path / "other.db")
    other = sqlite3.connect(db)
    other.execute("CREATE TABLE notes (body TEXT)")
    other.commit()
    other.close()
    with pytest.raises(StoreError) as refused:
        DurableStore(db)
    assert str(refused.value).startswith(f"--db {db}: not a database this server wrote (no table objects")


def test_a_damaged_frame_with_whole_frames_after_it_is_one_line(tmp_path):
    db = str(tmp_path / "stripe.db")
    store = DurableStore(db)
    made_intents(create_app(store), 3)
    store.close()
    data = bytearray(open(db, "rb").read())
    data[len(MAGIC) + 20] ^= 0xFF  # inside the first frame's payload
    open(db, "wb").write(bytes(data))
    with pytest.raises(StoreError) as refused:
        DurableStore(db)
    assert str(refused.value) == (f"--db {db}: damaged at byte {len(MAGIC)}, with whole records after it (not a "
                                  "write cut by a crash); move it away to start afresh")


def test_the_log_is_compacted_while_written_and_a_restart_finds_everything_as_it_was(tmp_path, monkeypatch):
    """Writes, evictions and a reset land between a compaction's frames; the compacted file replays to the same."""
    monkeypatch.setattr(durable_store, "COMPACT_MIN_BYTES", 20_000)
    monkeypatch.setattr(durable_store, "COMPACT_CHUNK", 3)  # a compaction spans many appends
    db = str(tmp_path / "stripe.db")
    store = DurableStore(db, max_objects=40)
    app = create_app(store)
    compactions = []
    finish = store._finish_compaction

    def counted() -> None:
        grown = os.path.getsize(db)
        finish()
        compactions.append((grown, os.path.getsize(db)))

    store._finish_compaction = counted
    intents = made_intents(app, 30) + made_intents(app, 5, B)
    for round_ in range(4):
        for pi in intents[:30]:
            exchange(app, ("POST", f"/v1/payment_intents/{pi['id']}", A, {"metadata[round]": str(round_)}))
        made_intents(app, 5)  # past the bound of 40: the oldest final ones are evicted
        exchange(app, ("POST", "/v1/customers", B, {"email": f"{round_}@example.com"}))
    exchange(app, ("POST", "/_conformance/reset/account", B, None))
    made_intents(app, 2, B)
    assert len(compactions) >= 2
    before = state_of(app)
    store.close()
    assert all(compacted < grown for grown, compacted in compactions), compactions
    assert not os.path.exists(db + ".compact")
    reopened = create_app(DurableStore(db, max_objects=40))
    assert state_of(reopened) == before
    [increment] = exchange(reopened, ("POST", f"/v1/payment_intents/{intents[29]['id']}"
                                      "/increment_authorization", A, {"amount": 1500}))
    assert increment.status_code == 200  # hidden state kept through the compactions
    reopened.store.close()


def test_objects_only_created_are_never_compacted_nor_new_versions_before_half_the_log_is_dead(tmp_path, monkeypatch):
    monkeypatch.setattr(durable_store, "COMPACT_MIN_BYTES", 20_000)
    db = str(tmp_path / "stripe.db")
    store = DurableStore(db)
    app = create_app(store)
    started = []
    store._dump = lambda dump=store._dump: started.append(os.path.getsize(db)) or dump()
    made = made_intents(app, 60, form=PI)  # about 90 KB of live objects, none dead
    assert started == []
    for pi in made[:20]:  # a third of them rewritten: the log is a quarter dead
        exchange(app, ("POST", f"/v1/payment_intents/{pi['id']}", A, {"metadata[n]": "1"}))
    assert started == []
    for pi in made * 2:  # now most of it is
        exchange(app, ("POST", f"/v1/payment_intents/{pi['id']}", A, {"metadata[n]": "2"}))
    assert len(started) >= 1
    store.close()


def test_a_compaction_at_start_keeps_everything(tmp_path, monkeypatch):
    db = str(tmp_path / "stripe.db")
    store = DurableStore(db)
    app = create_app(store)
    [pi] = made_intents(app, 1)
    for n in range(50):
        exchange(app, ("POST", f"/v1/payment_intents/{pi['id']}", A, {"metadata[n]": str(n)}))
    before = state_of(app)
    store.close()
    grown = os.path.getsize(db)
    monkeypatch.setattr(durable_store, "COMPACT_MIN_BYTES", 1000)
    reopened = create_app(DurableStore(db))
    assert os.path.getsize(db) < grown / 10
    assert state_of(reopened) == before
    reopened.store.close()


def write_the_sqlite_format(db: str, memory: Store) -> None:
    """What the SQLite store wrote for what ``memory`` holds."""
    old = sqlite3.connect(db)
    old.execute("PRAGMA journal_mode=WAL")
    old.executescript("""
        CREATE TABLE objects (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, account TEXT NOT NULL,
                              kind TEXT NOT NULL, body TEXT NOT NULL);
        CREATE TABLE internal (id TEXT PRIMARY KEY, state BLOB NOT NULL);
        CREATE TABLE responses (account TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
                                status INTEGER NOT NULL, body BLOB NOT NULL, request_id TEXT NOT NULL,
                                created REAL NOT NULL, PRIMARY KEY (account, key));""")
    for (account, kind), collection in memory._collections.items():
        for ident in collection.ids():
            old.execute("INSERT INTO objects (id, account, kind, body) VALUES (?, ?, ?, ?)",
                        (ident, account, kind, json.dumps(collection.get(ident))))
    for ident, state in memory._internal.items():
        old.execute("INSERT INTO internal VALUES (?, ?)", (ident, pickle.dumps(state)))
    for (account, key), s in memory._responses.items():
        old.execute("INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (account, key, s.fingerprint, s.status, s.body, s.request_id, s.created))
    old.commit()
    old.close()


def test_a_file_of_the_sqlite_format_before_is_read_and_rewritten_as_a_log(tmp_path):
    """The tables the SQLite store wrote (objects in creation order, pickled hidden state, idempotency keys)."""
    memory = Store()
    app = create_app(memory)
    made = [answer.json() for answer in exchange(app, *[("POST", "/v1/payment_intents", A, CONFIRMED)] * 3,
                                                  ("POST", "/v1/payment_intents", {**A, "Idempotency-Key": "k1"}, PI))]
    db = str(tmp_path / "stripe.db")
    write_the_sqlite_format(db, memory)
    expected = state_of(app)

    migrated = create_app(DurableStore(db))
    assert state_of(migrated) == expected
    migrated.store.close()
    assert not os.path.exists(db + "-wal")
    assert open(db, "rb").read(len(MAGIC)) == MAGIC
    assert read(db)[0].objects.keys() == {ident for (_, _), c in memory._collections.items() for ident in c.ids()}
    reopened = create_app(DurableStore(db))
    assert state_of(reopened) == expected
    replay, increment = exchange(
        reopened, ("POST", "/v1/payment_intents", {**A, "Idempotency-Key": "k1"}, PI),
        ("POST", f"/v1/payment_intents/{made[0]['id']}/increment_authorization", A, {"amount": 1500}))
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == made[3]
    assert increment.status_code == 200
    reopened.store.close()


def test_a_smaller_bound_trims_a_file_of_the_sqlite_format_as_it_is_rewritten(tmp_path):
    memory = Store()
    exchange(create_app(memory), *[("POST", "/v1/payment_intents", A, PI)] * 4)
    db = str(tmp_path / "stripe.db")
    write_the_sqlite_format(db, memory)
    DurableStore(db, max_objects=2).close()
    assert open(db, "rb").read(len(MAGIC)) == MAGIC
    assert len(read(db)[0].objects) == 2
