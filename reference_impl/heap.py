"""Keeping Python's cycle collector away from the stored objects.

The store only grows, and every stored object is a few containers (dicts, lists) the
cycle collector tracks. Its full collections walk every tracked object, so with a million
intents stored they paused the server for seconds and creates slowed as the store grew.
Once a second, the server collects what was made since the last time (a small walk) and
freezes the survivors: frozen objects are never walked again. They are still freed by
reference counting; only a reference cycle formed among them later would stay, and stored
objects form none.
"""

from __future__ import annotations

import asyncio
import gc

INTERVAL_S = 1.0


def settle_periodically(loop: asyncio.AbstractEventLoop, interval_s: float = INTERVAL_S) -> None:
    def settle() -> None:
        gc.collect()
        gc.freeze()
        loop.call_later(interval_s, settle)

    loop.call_later(interval_s, settle)
