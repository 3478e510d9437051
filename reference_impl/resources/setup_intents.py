"""SetupIntents: create, retrieve, update, confirm, cancel, list.

Behaviour follows Stripe's API reference (docs.stripe.com/api/setup_intents): confirm
moves to ``succeeded`` when the payment method needs nothing more, to ``requires_action``
when it needs authentication, and back to ``requires_payment_method`` when setup fails.
"""

from __future__ import annotations

import time
from typing import Any

from reference_impl import errors, ids
from reference_impl.card_outcomes import authentication_action, card_error
from reference_impl.context import Context
from reference_impl.listing import LIST_PARAMS, list_answer
from reference_impl.params import (
    EXPAND, AnyHash, Array, Bool, Enum, Field, Metadata, Str, apply_metadata, parse,
)
from reference_impl.resources import charging
from reference_impl.resources.payment_intents import AUTOMATIC_PAYMENT_METHODS

KIND = "setup_intent"

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = CONFIRMABLE
UPDATABLE = CONFIRMABLE

FLOW_DIRECTIONS = Array(Enum("inbound", "outbound"))
SHARED: dict[str, Field] = {
    "customer": Str(max_length=5000),
    "description": Str(max_length=1000),
    "metadata": Metadata(),
    "payment_method": Str(max_length=5000),
    "payment_method_types": Array(Str(max_length=100)),
    "payment_method_data": AnyHash(),
    "payment_method_options": AnyHash(),
    "flow_directions": FLOW_DIRECTIONS,
    "attach_to_self": Bool(),
    "expand": EXPAND,
}
CREATE_PARAMS: dict[str, Field] = {
    **SHARED,
    "metadata": Metadata(unsettable=False),  # the spec gives create's metadata no empty value
    "confirm": Bool(),
    "usage": Enum("off_session", "on_session"),
    "return_url": Str(max_length=5000),
    "on_behalf_of": Str(),
    "automatic_payment_methods": AUTOMATIC_PAYMENT_METHODS,
    "mandate_data": AnyHash(),
    "use_stripe_sdk": Bool(),
}
UPDATE_PARAMS = SHARED
CONFIRM_PARAMS: dict[str, Field] = {
    "payment_method": SHARED["payment_method"],
    "payment_method_data": AnyHash(),
    "payment_method_options": AnyHash(),
    "return_url": Str(max_length=5000),
    "mandate_data": AnyHash(),
    "client_secret": Str(),
    "use_stripe_sdk": Bool(),
    "expand": EXPAND,
}
CANCEL_PARAMS: dict[str, Field] = {
    "cancellation_reason": Enum("abandoned", "duplicate", "requested_by_customer"),
    "expand": EXPAND,
}
LIST_QUERY: dict[str, Field] = {**LIST_PARAMS, "customer": Str(), "payment_method": Str(), "attach_to_self": Bool()}
RETRIEVE_QUERY: dict[str, Field] = {"client_secret": Str(), "expand": EXPAND}

# The attributes the SetupIntent object reference marks as retrievable with a publishable key.
PUBLISHABLE_FIELDS = (
    "id", "object", "cancellation_reason", "client_secret", "created", "description", "last_setup_error",
    "livemode", "next_action", "payment_method", "payment_method_types", "status", "usage",
)


def _new(p: dict[str, Any]) -> dict[str, Any]:
    sid = ids.new_id("seti")
    types = p.get("payment_method_types")
    return {
        "id": sid, "object": "setup_intent", "application": None, "attach_to_self": p.get("attach_to_self", False),
        "automatic_payment_methods": None if types else {"enabled": True, "allow_redirects": "always"},
        "cancellation_reason": None, "client_secret": ids.client_secret(sid), "created": int(time.time()),
        "customer": None, "customer_account": None, "description": None, "excluded_payment_method_types": None,
        "flow_directions": p.get("flow_directions"), "last_setup_error": None, "latest_attempt": None,
        "livemode": False, "mandate": None, "metadata": {}, "next_action": None, "on_behalf_of": p.get("on_behalf_of"),
        "payment_method": None, "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"mandate_options": None, "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_method_types": types or ["card"], "single_use_mandate": None,
        "status": "requires_payment_method", "usage": p.get("usage", "off_session"),
    }


def _apply(ctx: Context, si: dict, p: dict[str, Any]) -> None:
    if "description" in p:
        si["description"] = p["description"]
    if "metadata" in p:
        si["metadata"] = apply_metadata(si["metadata"], p["metadata"])
    if "flow_directions" in p:
        si["flow_directions"] = p["flow_directions"] or None
    if "payment_method_types" in p:
        si["payment_method_types"] = p["payment_method_types"] or ["card"]
        si["automatic_payment_methods"] = None
    if "customer" in p:
        si["customer"] = ctx.require(p["customer"], "customer", "customer", status=400)["id"]
    if "payment_method_data" in p:
        si["payment_method"] = charging.payment_method_from_data(ctx, p["payment_method_data"])["id"]
    if "payment_method" in p:
        si["payment_method"] = charging.resolve_payment_method(ctx, p["payment_method"])["id"]


def create(ctx: Context) -> dict:
    ctx.require_secret()
    p = parse(CREATE_PARAMS, ctx.params)
    si = _new(p)
    _apply(ctx, si, p)
    if si["payment_method"]:
        si["status"] = "requires_confirmation"
    ctx.collection(KIND).add(si)
    if p.get("confirm"):
        return _confirm(ctx, si, p.get("return_url"), p.get("expand"))
    return ctx.render(si, p.get("expand"))


def retrieve(ctx: Context, intent: str) -> dict:
    q = parse(RETRIEVE_QUERY, ctx.query)
    si = ctx.require(intent, KIND, "intent")
    if ctx.caller.publishable:
        if q.get("client_secret") != si["client_secret"]:
            raise errors.resource_missing(KIND, intent, "intent")
        return {k: si[k] for k in PUBLISHABLE_FIELDS}
    return ctx.render(si, q.get("expand"))


def update(ctx: Context, intent: str) -> dict:
    ctx.require_secret()
    p = parse(UPDATE_PARAMS, ctx.params)
    si = ctx.require(intent, KIND, "intent")
    if si["status"] not in UPDATABLE:
        raise errors.unexpected_state(KIND, si, "updated", UPDATABLE)
    staged = dict(si)
    _apply(ctx, staged, p)
    if staged["payment_method"] != si["payment_method"]:
        staged["status"] = "requires_confirmation" if staged["payment_method"] else "requires_payment_method"
        staged["next_action"] = None
    si.update(staged)
    return ctx.render(si, p.get("expand"))


def confirm(ctx: Context, intent: str) -> dict:
    p = parse(CONFIRM_PARAMS, ctx.params)
    si = ctx.require(intent, KIND, "intent")
    if ctx.caller.publishable and p.get("client_secret") != si["client_secret"]:
        raise errors.resource_missing(KIND, intent, "intent")
    if si["status"] not in CONFIRMABLE:
        raise errors.unexpected_state(KIND, si, "confirmed", CONFIRMABLE)
    staged = dict(si)
    _apply(ctx, staged, p)
    si.update(staged)
    return _confirm(ctx, si, p.get("return_url"), p.get("expand"))


def _confirm(ctx: Context, si: dict, return_url: str | None, expand: list[str] | None) -> dict:
    if not si["payment_method"]:
        raise errors.StripeError(
            400, "You cannot confirm this SetupIntent because it's missing a payment method. Update the "
            "SetupIntent with a payment method and then confirm it again.",
            code="setup_intent_unexpected_state", setup_intent=si)
    pm = ctx.collection("payment_method").get(si["payment_method"])
    card = ctx.internal(pm["id"]).get("card")
    if card is None:
        raise errors.StripeError(400, f"This SetupIntent cannot be confirmed with a {pm['type']} PaymentMethod.",
                                 code="setup_intent_unexpected_state", param="payment_method")
    si["latest_attempt"] = ids.new_id("setatt")
    if card.authenticate and not ctx.internal(si["id"]).get("authenticated"):
        si.update(status="requires_action", next_action=authentication_action(si, return_url))
    elif card.decline:
        _decline(si, pm, card.decline)
    else:
        si.update(status="succeeded", next_action=None, last_setup_error=None)
    return ctx.render(si, expand)


def _decline(si: dict, pm: dict, reason: str) -> None:
    """Setup failed: back to requires_payment_method, with the error kept and raised as a 402."""
    error = card_error(reason, pm)
    si.update(status="requires_payment_method", payment_method=None, next_action=None, last_setup_error=error)
    raise errors.StripeError(402, error["message"], type="card_error", code=error["code"],
                             decline_code=error.get("decline_code"), payment_method=pm, setup_intent=si)


def cancel(ctx: Context, intent: str) -> dict:
    ctx.require_secret()
    p = parse(CANCEL_PARAMS, ctx.params)
    si = ctx.require(intent, KIND, "intent")
    if si["status"] not in CANCELABLE:
        raise errors.unexpected_state(KIND, si, "canceled", CANCELABLE)
    si.update(status="canceled", next_action=None, cancellation_reason=p.get("cancellation_reason"))
    return ctx.render(si, p.get("expand"))


def list_all(ctx: Context) -> dict:
    return list_answer(ctx, KIND, "/v1/setup_intents", parse(LIST_QUERY, ctx.query),
                       filters=("customer", "payment_method", "attach_to_self"))


ROUTES = [
    ("GET", "/v1/setup_intents", list_all),
    ("POST", "/v1/setup_intents", create),
    ("GET", "/v1/setup_intents/{intent}", retrieve),
    ("POST", "/v1/setup_intents/{intent}", update),
    ("POST", "/v1/setup_intents/{intent}/confirm", confirm),
    ("POST", "/v1/setup_intents/{intent}/cancel", cancel),
]
