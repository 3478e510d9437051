"""The JSON of recently listed objects, kept so that the next list need not encode them again.

Encoding was over 40% of a list of 100's time. A collection keeps the JSON of the last
:data:`LIMIT` objects its lists showed and forgets an object's JSON when the object is handed
out (``Collection.get``: whoever gets an object may change it in place, the rule the search index
follows too) or removed. A page is then the stored JSON of each object, put in the answer as is
(``orjson.Fragment``): the same bytes the object's encoding gives.
"""

from __future__ import annotations

from typing import Any

import orjson

LIMIT = 1024  # a few pages of 100 per collection: ~1.5 MB


class EncodedCache:
    __slots__ = ("_json",)

    def __init__(self) -> None:
        self._json: dict[str, bytes] = {}

    def forget(self, ident: str) -> None:
        self._json.pop(ident, None)

    def fragments(self, objects: list[dict]) -> list[Any]:
        """``objects`` as JSON fragments; the objects themselves when one is not orjson's to encode."""
        cache, shown = self._json, []
        for obj in objects:
            ident = obj["id"]
            encoded = cache.get(ident)
            if encoded is None:
                try:
                    encoded = orjson.dumps(obj)
                except TypeError:  # integers past 64 bits, lone surrogates: the answer's fallback encoder writes them
                    return objects
                cache[ident] = encoded
                if len(cache) > LIMIT:
                    del cache[next(iter(cache))]  # the oldest entry
            shown.append(orjson.Fragment(encoded))
        return shown
