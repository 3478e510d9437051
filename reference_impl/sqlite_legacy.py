"""Reading a ``--db`` file of the format before the change log: a SQLite database.

Its tables were ``objects (seq, id, account, kind, body)`` (seq: creation order), ``internal
(id, state)`` (pickled hidden state) and ``responses`` (idempotency keys). The durable store reads
such a file once and rewrites it as a log (:mod:`reference_impl.durable_store`).
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple


class LegacyRows(NamedTuple):
    objects: list[tuple[str, str, str, bytes]]  # (id, account, kind, JSON), in creation order
    states: list[tuple[str, bytes]]  # (id, pickled state)
    responses: list[tuple]  # (account, key, fingerprint, status, body, request_id, created)


def read(path: str) -> LegacyRows:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"objects", "internal", "responses"} <= tables:
            raise sqlite3.DatabaseError(f"no table objects, internal and responses (tables: {sorted(tables)})")
        return LegacyRows(
            [(ident, account, kind, body.encode() if isinstance(body, str) else bytes(body))
             for ident, account, kind, body in db.execute("SELECT id, account, kind, body FROM objects ORDER BY seq")],
            [(ident, bytes(state)) for ident, state in db.execute("SELECT id, state FROM internal")],
            [(account, key, fingerprint, status, bytes(body), request_id, created)
             for account, key, fingerprint, status, body, request_id, created in db.execute(
                 "SELECT account, key, fingerprint, status, body, request_id, created FROM responses")])
    finally:
        db.close()  # the last connection to a WAL database folds the WAL in and removes it
