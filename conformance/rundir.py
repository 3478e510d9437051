"""A directory shared by every process of one run (pytest-xdist's workers and their controller).

It holds what must hold across processes: the rate ceiling's clock (:mod:`conformance.transport`),
each process's counts (retries, cleanup) and each process's part of a recording, merged by the
controller at the end. Keyed by the run's id, which the controller hands to its workers.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Iterator

try:
    import fcntl
except ImportError:  # not POSIX: one process at a time is all a run can pace
    fcntl = None  # type: ignore[assignment]

PREFIX = "stripe-conformance-run-"


def new_id() -> str:
    return uuid.uuid4().hex[:16]


class RunDir:
    def __init__(self, run_id: str):
        self.run_id = run_id
        self.path = Path(tempfile.gettempdir()) / (PREFIX + run_id)
        self.path.mkdir(exist_ok=True)

    @contextlib.contextmanager
    def locked(self, name: str) -> Iterator[Any]:
        """The file ``name``, open for reading and writing, held by this process alone."""
        with open(self.path / name, "a+", encoding="utf-8") as handle:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(0)
                yield handle
            finally:
                if fcntl is not None:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def write_part(self, kind: str, process: str, data: Any) -> None:
        (self.path / f"{kind}-{process}.json").write_text(json.dumps(data), encoding="utf-8")

    def parts(self, kind: str) -> list[Any]:
        return [json.loads(part.read_text(encoding="utf-8")) for part in sorted(self.path.glob(f"{kind}-*.json"))]

    def counts(self) -> dict[str, int]:
        """Every process's counts, summed."""
        total: dict[str, int] = {}
        for part in self.parts("counts"):
            for name, number in part.items():
                total[name] = total.get(name, 0) + number
        return total

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
