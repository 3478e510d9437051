"""Which objects a bounded store forgets (``serve --max-objects N``): per account, past N objects,
the oldest object in a final state first, then the oldest of all.

Final means nothing more will happen to it: an intent, charge or refund whose status is one its
lifecycle ends in, or an object with no lifecycle at all (a customer, a payment method, a
balance transaction). So a long run keeps the payments still in flight (waiting for a capture,
a confirmation, an authentication) for as long as finished ones can go instead. The objects the
request being answered touched are never evicted by it: its client has just been shown them.

Bookkeeping happens only at the end of mutating requests, for the objects they touched: an
object that became final is noted then. It costs nothing when the store is unbounded (no
ledger is made).
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from typing import Container, Iterator

# The statuses Stripe's lifecycles end in (PaymentIntent and SetupIntent: succeeded, canceled;
# Charge: succeeded, failed; Refund: succeeded, failed, canceled).
FINAL_STATUSES = frozenset({"succeeded", "canceled", "failed"})

Key = tuple[str, str]  # (kind, id)


def is_final(obj: dict) -> bool:
    return "status" not in obj or obj["status"] in FINAL_STATUSES


class _Account:
    __slots__ = ("created", "final", "finals", "next")

    def __init__(self) -> None:
        self.created: OrderedDict[Key, int] = OrderedDict()  # every object, oldest first: its creation number
        self.final: set[str] = set()  # ids already known final
        self.finals: list[tuple[int, str, str]] = []  # heap of (creation number, kind, id) of final objects
        self.next = 0


class Ledger:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a store holds at least one object per account")
        self.limit = limit
        self._accounts: dict[str, _Account] = {}

    def note(self, account: str, kind: str, obj: dict) -> None:
        """``obj`` was added or touched by a mutating request."""
        entry = self._accounts.get(account)
        if entry is None:
            entry = self._accounts[account] = _Account()
        key = (kind, obj["id"])
        number = entry.created.get(key)
        if number is None:
            number = entry.created[key] = entry.next
            entry.next += 1
        if obj["id"] not in entry.final and is_final(obj):
            entry.final.add(obj["id"])
            heapq.heappush(entry.finals, (number, kind, obj["id"]))

    def overflow(self, account: str, spare: Container[str] = ()) -> Iterator[Key]:
        """The objects to evict now, so that ``account`` holds at most ``limit``; each is forgotten here.

        ``spare``: ids the request being answered touched. Its client has just been told of them,
        so they stay, past the bound if need be, until a later request.
        """
        entry = self._accounts.get(account)
        while entry is not None and len(entry.created) > self.limit:
            evicted = self._evict_one(entry, spare)
            if evicted is None:
                return
            yield evicted

    @staticmethod
    def _evict_one(entry: _Account, spare: Container[str]) -> Key | None:
        held = []
        try:
            while entry.finals:
                final = heapq.heappop(entry.finals)
                if final[2] in spare:
                    held.append(final)
                    continue
                key = final[1], final[2]
                break
            else:  # nothing final: the oldest of all
                key = next((key for key in entry.created if key[1] not in spare), None)
                if key is None:
                    return None
        finally:
            for final in held:
                heapq.heappush(entry.finals, final)
        del entry.created[key]
        entry.final.discard(key[1])
        return key

    def forget(self, account: str | None = None) -> None:
        """After a reset: every account, or one."""
        if account is None:
            self._accounts.clear()
        else:
            self._accounts.pop(account, None)
