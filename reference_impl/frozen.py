"""Read-only dicts, for the default values every new object holds the same copy of.

A new PaymentIntent holds ``amount_details``, ``payment_method_options`` and ``metadata``
values that are the same for every intent until a request changes them; sharing one copy
saves ~300 bytes an intent (a tenth of a million intents' memory). Handlers replace these
values rather than change them in place; one that tried would get a TypeError (a 500 the
tests would see), never a change to every intent at once. Copies (``copy``, ``pickle``) are
plain dicts.
"""

from __future__ import annotations

import copy
from typing import Any, NoReturn


class FrozenDict(dict):
    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a shared default value is read-only: replace it with a copy")

    __setitem__ = __delitem__ = __ior__ = setdefault = update = pop = popitem = clear = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple:
        return dict, (dict(self),)

    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, memo: dict) -> dict:
        return copy.deepcopy(dict(self), memo)


EMPTY = FrozenDict()
