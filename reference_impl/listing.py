"""Stripe's list endpoints: newest first, cursors, ``limit`` and the ``created`` filter."""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Iterator

from reference_impl import errors
from reference_impl.params import EXPAND, Field, Int, Obj, Str
from reference_impl.store import Collection

if TYPE_CHECKING:
    from reference_impl.context import Context

CREATED_RANGE = Obj({op: Int(minimum=None) for op in ("gt", "gte", "lt", "lte")})


class Created(Field):
    """``created``: an exact timestamp or a ``{gt, gte, lt, lte}`` hash."""

    def coerce(self, value, name):
        if isinstance(value, dict):
            return CREATED_RANGE.coerce(value, name)
        return {"eq": Int(minimum=None).coerce(value, name)}


LIST_PARAMS: dict[str, Field] = {
    "limit": Int(minimum=1, maximum=100),
    "starting_after": Str(),
    "ending_before": Str(),
    "created": Created(),
    "expand": EXPAND,
}

_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "eq": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def created_matches(created: int, bounds: dict[str, int] | None) -> bool:
    return not bounds or all(_COMPARE[op](created, bound) for op, bound in bounds.items())


def page(
    collection: Collection,
    query: dict[str, Any],
    url: str,
    kind: str,
    keep: Callable[[dict], bool] | None = None,
) -> dict[str, Any]:
    """One page of a list, as Stripe's list envelope."""
    if "starting_after" in query and "ending_before" in query:
        raise errors.StripeError(400, "You may only specify one of these parameters: ending_before, starting_after.",
                                 code="parameters_exclusive", param="ending_before")
    limit = query.get("limit", 10)
    bounds = query.get("created")
    wanted = _ordered(collection, query, kind)
    # Most lists filter nothing: then a page is the first objects in order, with no test per object
    # (the tests were a quarter of a list of 100's time).
    if bounds:
        wanted = (obj for obj in wanted if created_matches(obj["created"], bounds))
    if keep is not None:
        wanted = (obj for obj in wanted if keep(obj))
    data = list(islice(wanted, limit + 1))
    has_more = len(data) > limit
    data = data[:limit]
    if "ending_before" in query:
        data.reverse()  # walked oldest-first from the cursor; a page is always newest first
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def list_answer(ctx: "Context", kind: str, url: str, query: dict[str, Any], filters: tuple[str, ...]) -> dict[str, Any]:
    """A list endpoint's answer: one page of ``kind`` whose ``filters`` equal the query's values (those
    given), each object rendered with the query's expansions."""
    wanted = {name: query[name] for name in filters if name in query}
    collection = ctx.collection(kind)
    result = page(collection, query, url, kind,
                  keep=(lambda obj: all(obj[name] == value for name, value in wanted.items())) if wanted else None)
    expand = query.get("expand")
    if expand:
        result["data"] = [ctx.render(obj, expand, prefix="data.") for obj in result["data"]]
    else:
        result["data"] = collection.encoded.fragments(result["data"])
    return result


def _ordered(collection: Collection, query: dict[str, Any], kind: str) -> Iterator[dict]:
    for cursor in ("starting_after", "ending_before"):
        if cursor in query:
            position = collection.position(query[cursor])
            if position is None:
                raise errors.resource_missing(kind, query[cursor], cursor)
            if cursor == "starting_after":
                return collection.newest_first(below=position)
            return collection.oldest_first(above=position)
    return collection.newest_first()
