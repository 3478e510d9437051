"""Search endpoints (docs.stripe.com/search): a query, a page size and an opaque page cursor.

The query is compiled once per request and matched over the caller's objects, newest first.
The ``next_page`` cursor holds the store position of the last object returned (positions
never change, so objects created between pages never shift a page) and a digest of the
account and query (a cursor only continues the search that made it).
"""

from __future__ import annotations

import base64
import hashlib
from itertools import islice
from typing import Any, Mapping

from reference_impl import errors
from reference_impl.context import Context
from reference_impl.params import EXPAND, Field, Int, Str, parse
from reference_impl.search_query import NUMERIC, TOKEN, Predicate, SearchField, SearchQueryError, compile_query
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
    q = parse(SEARCH_PARAMS, ctx.query, required=("query",))
    matches = _compile(q["query"], fields)
    collection = ctx.collection(kind)
    scope = f"{ctx.caller.account}\n{q['query']}"
    below = _page_position(q["page"], scope, collection) if "page" in q else None
    found, has_more = _page(collection, matches, below, q.get("limit", 10))
    expand = [path for path in q.get("expand", []) if path != TOTAL_COUNT]
    result: dict[str, Any] = {
        "object": "search_result",
        "data": [ctx.render(obj, expand, prefix="data.") for obj in found],
        "has_more": has_more,
        "next_page": _cursor(scope, collection.position(found[-1]["id"])) if has_more else None,
        "url": url,
    }
    if TOTAL_COUNT in q.get("expand", []):
        result[TOTAL_COUNT] = sum(1 for obj in collection.newest_first() if matches(obj))
    return result


def _page(collection: Collection, matches: Predicate, below: int | None, limit: int) -> tuple[list[dict], bool]:
    """Up to ``limit`` matches, newest first, from just below position ``below``; and whether more follow."""
    found = list(islice((obj for obj in collection.newest_first(below=below) if matches(obj)), limit + 1))
    return found[:limit], len(found) > limit


def _compile(query: str, fields: Mapping[str, SearchField]) -> Predicate:
    try:
        return compile_query(query, fields)
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
