"""Search endpoints (docs.stripe.com/search): a query, a page size and an opaque page cursor.

The query is compiled once per request and matched over the caller's objects, newest first:
the candidates come from the collection's search index when that is cheaper than walking
the store (:mod:`reference_impl.search_index`).
The ``next_page`` cursor holds the store position of the last object returned (positions
never change, so objects created between pages never shift a page) and a digest of the
account and query (a cursor only continues the search that made it).
"""

from __future__ import annotations

import base64
import hashlib
from itertools import islice
from typing import Any, Iterable, Iterator, Mapping

from reference_impl import errors
from reference_impl.context import Context
from reference_impl.params import EXPAND, Field, Int, Str, parse
from reference_impl.search_index import index_is_cheaper, newest_first
from reference_impl.search_query import (
    NUMERIC, TOKEN, Predicate, Query, SearchField, SearchQueryError, predicate,
)
from reference_impl.search_query import parse as parse_query
from reference_impl.store import Collection

SEARCH_PARAMS: dict[str, Field] = {
    "query": Str(max_length=10_000),
    "limit": Int(minimum=1, maximum=100),
    "page": Str(),
    "expand": EXPAND,
}
TOTAL_COUNT = "total_count"  # an expand[] value: the response gains the number of matches

# docs.stripe.com/search#query-fields-for-payment-intents
PAYMENT_INTENT_FIELDS: Mapping[str, SearchField] = {
    "amount": SearchField(NUMERIC),
    "created": SearchField(NUMERIC),
    "currency": SearchField(TOKEN),
    "customer": SearchField(TOKEN),
    "metadata": SearchField(TOKEN, keyed=True),
    "status": SearchField(TOKEN),
}


def search(ctx: Context, kind: str, fields: Mapping[str, SearchField], url: str) -> dict[str, Any]:
    ctx.require_secret()
    q = parse(SEARCH_PARAMS, ctx.query, required=("query",))
    query, matches = _compile(q["query"], fields)
    collection = ctx.collection(kind)
    scope = f"{ctx.caller.account}\n{q['query']}"
    below = _page_position(q["page"], scope, collection) if "page" in q else None
    limit = q.get("limit", 10)
    found = list(islice(_matching(collection, fields, query, matches, below, limit + 1), limit + 1))
    has_more = len(found) > limit
    found = found[:limit]
    expand = [path for path in q.get("expand", []) if path != TOTAL_COUNT]
    result: dict[str, Any] = {
        "object": "search_result",
        "data": [ctx.render(obj, expand, prefix="data.") for _, obj in found],
        "has_more": has_more,
        "next_page": _cursor(scope, found[-1][0]) if has_more else None,
        "url": url,
    }
    if TOTAL_COUNT in q.get("expand", []):
        result[TOTAL_COUNT] = sum(1 for _ in _matching(collection, fields, query, matches, None, len(collection)))
    return result


def _matching(collection: Collection, fields: Mapping[str, SearchField], query: Query, matches: Predicate,
              below: int | None, wanted: int) -> Iterator[tuple[int, dict]]:
    """(position, object) of each match, newest first, from just below position ``below``.

    Through the index when it names the candidates more cheaply than walking the store finds
    ``wanted`` matches (see :mod:`reference_impl.search_index`); every candidate is checked.
    """
    index = collection.search_index(fields)
    lists = index.candidates(query)
    if lists is not None and index_is_cheaper(lists, len(collection), wanted):
        positions: Iterable[int] = newest_first(lists, below)
    else:
        positions = range((len(collection) if below is None else below) - 1, -1, -1)
    for position in positions:
        obj = collection.at(position)
        if matches(obj):
            yield position, obj


def _compile(text: str, fields: Mapping[str, SearchField]) -> tuple[Query, Predicate]:
    try:
        query = parse_query(text)
        return query, predicate(query, fields)
    except SearchQueryError as exc:
        raise errors.parameter_invalid("query", str(exc)) from None


def _digest(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def _cursor(scope: str, position: int) -> str:
    raw = f"{position}:{_digest(scope)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _page_position(page: str, scope: str, collection: Collection) -> int:
    try:
        text = base64.urlsafe_b64decode(page + "=" * (-len(page) % 4)).decode()
        position, digest = text.split(":")
        index = int(position)
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors too
        index, digest = -1, ""
    if digest != _digest(scope) or not 0 <= index < len(collection):
        raise errors.parameter_invalid("page", "Invalid page: use the next_page of a previous search with the same "
                                       "query, unchanged.")
    return index


def search_payment_intents(ctx: Context) -> dict[str, Any]:
    return search(ctx, "payment_intent", PAYMENT_INTENT_FIELDS, "/v1/payment_intents/search")


ROUTES = [
    ("GET", "/v1/payment_intents/search", search_payment_intents),
]
