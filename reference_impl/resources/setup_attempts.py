"""SetupAttempts: "one attempted confirmation of a SetupIntent, whether that confirmation is successful
or unsuccessful" (the spec's setup_attempt), and ``GET /v1/setup_attempts?setup_intent=...``."""

from __future__ import annotations

import time
from typing import Any

from reference_impl import ids
from reference_impl.context import Context
from reference_impl.listing import LIST_PARAMS, page
from reference_impl.params import Field, Str, parse

KIND = "setup_attempt"

LIST_QUERY: dict[str, Field] = {**LIST_PARAMS, "setup_intent": Str()}
# The SetupIntent's values "at the time of this confirmation" (the spec's setup_attempt attributes).
COPIED = ("application", "attach_to_self", "customer", "customer_account", "flow_directions", "on_behalf_of", "usage")


def start(ctx: Context, si: dict, pm: dict) -> dict:
    """A new attempt of ``si`` with ``pm``, which becomes its latest_attempt."""
    attempt: dict[str, Any] = {
        "id": ids.new_id("setatt"), "object": KIND, "created": int(time.time()), "livemode": False,
        **{name: si.get(name) for name in COPIED},
        "payment_method": pm["id"], "payment_method_details": _details(pm), "setup_error": None,
        "setup_intent": si["id"], "status": "requires_confirmation",
    }
    ctx.collection(KIND).add(attempt)
    si["latest_attempt"] = attempt["id"]
    return attempt


def _details(pm: dict) -> dict[str, Any]:
    kind = pm["type"]
    if kind == "card":
        card = pm["card"]
        return {"type": kind, kind: {key: card.get(key) for key in ("brand", "country", "exp_month", "exp_year",
                                                                     "funding", "last4")}}
    return {"type": kind, kind: {}}


def latest(ctx: Context, si: dict) -> dict | None:
    return ctx.collection(KIND).get(si["latest_attempt"]) if si.get("latest_attempt") else None


def list_all(ctx: Context) -> dict:
    ctx.require_secret()
    q = parse(LIST_QUERY, ctx.query, required=("setup_intent",))
    ctx.check_expand(q.get("expand"), prefix="data.")
    result = page(ctx.collection(KIND), q, "/v1/setup_attempts", KIND,
                  keep=lambda attempt: attempt["setup_intent"] == q["setup_intent"])
    result["data"] = [ctx.render(attempt, q.get("expand"), prefix="data.") for attempt in result["data"]]
    return result


ROUTES = [
    ("GET", "/v1/setup_attempts", list_all),
]
