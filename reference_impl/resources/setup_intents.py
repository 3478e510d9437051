"""SetupIntents: create, retrieve, update, confirm, cancel, list, verify_microdeposits.

Behaviour follows Stripe's API reference (docs.stripe.com/api/setup_intents): confirm
moves to ``succeeded`` when the payment method needs nothing more, to ``requires_action``
when it needs authentication (or, for a bank account, microdeposit verification), and back to
``requires_payment_method`` when setup fails. Each confirmation is a SetupAttempt
(:mod:`setup_attempts`); a successful setup saves the payment method to the SetupIntent's
Customer (:mod:`saved_payment_methods`).
"""

from __future__ import annotations

import time
from typing import Any

from reference_impl import errors, ids
from reference_impl.card_outcomes import authentication_action, card_error
from reference_impl.context import Context
from reference_impl.listing import LIST_PARAMS, list_answer
from reference_impl.params import (
    EXPAND, UNSET, AnyHash, Array, Bool, Enum, Field, Int, Metadata, Obj, Str, apply_metadata, parse,
)
from reference_impl.resources import bank_accounts, charging, saved_payment_methods, setup_attempts
from reference_impl.resources.payment_intents import AUTOMATIC_PAYMENT_METHODS, Currency

KIND = "setup_intent"

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = CONFIRMABLE
UPDATABLE = CONFIRMABLE

# payment_method_options, as the spec gives them to create, update and confirm alike: card's and
# us_bank_account's settings checked one by one, every other method's taken as a hash. The
# SetupIntent shows the settings its object models (SHOWN_OPTIONS); the rest (mandate details,
# externally performed 3D Secure, Financial Connections) are accepted and kept off it.
CARD_NETWORKS = ("amex", "cartes_bancaires", "diners", "discover", "eftpos_au", "girocard", "interac", "jcb", "link",
                 "mastercard", "unionpay", "unknown", "visa")
OTHER_OPTION_METHODS = ("acss_debit", "amazon_pay", "bacs_debit", "bizum", "card_present", "klarna", "link", "paypal",
                        "payto", "pix", "sepa_debit", "upi")
PAYMENT_METHOD_OPTIONS = Obj({
    "card": Obj({"mandate_options": AnyHash(), "network": Enum(*CARD_NETWORKS),
                 "request_three_d_secure": Enum("any", "automatic", "challenge"), "three_d_secure": AnyHash()}),
    "us_bank_account": Obj({"financial_connections": AnyHash(), "networks": AnyHash(),
                            "mandate_options": Obj({"collection_method": Enum("paper", unsettable=True)}),
                            "verification_method": Enum("automatic", "instant", "microdeposits")}),
    **{method: AnyHash() for method in OTHER_OPTION_METHODS},
})
SHOWN_OPTIONS = {"card": ("network", "request_three_d_secure"), "us_bank_account": ("verification_method",)}
FLOW_DIRECTIONS = Array(Enum("inbound", "outbound"))
EXCLUDED_TYPES = Array(Enum(*saved_payment_methods.EXCLUDABLE_TYPES))
SHARED: dict[str, Field] = {
    "customer": Str(max_length=5000),
    "description": Str(max_length=1000),
    "metadata": Metadata(),
    "payment_method": Str(max_length=5000),
    "payment_method_types": Array(Str(max_length=100)),
    "payment_method_data": AnyHash(),
    "payment_method_options": PAYMENT_METHOD_OPTIONS,
    "flow_directions": FLOW_DIRECTIONS,
    "attach_to_self": Bool(),
    "expand": EXPAND,
}
CREATE_PARAMS: dict[str, Field] = {
    **SHARED,
    "metadata": Metadata(unsettable=False),  # the spec gives create's metadata no empty value
    "excluded_payment_method_types": EXCLUDED_TYPES,
    "confirm": Bool(),
    "usage": Enum("off_session", "on_session"),
    "return_url": Str(max_length=5000),
    "on_behalf_of": Str(),
    "automatic_payment_methods": AUTOMATIC_PAYMENT_METHODS,
    "mandate_data": AnyHash(),
    "single_use": Obj({"amount": Int(minimum=1), "currency": Currency()}, required=("amount", "currency")),
    "use_stripe_sdk": Bool(),
}
UPDATE_PARAMS: dict[str, Field] = {
    **SHARED,
    # "To unset this field to null, pass in an empty string." (the spec's update payment_method)
    "payment_method": Str(max_length=5000, unsettable=True),
    "excluded_payment_method_types": Array(Enum(*saved_payment_methods.EXCLUDABLE_TYPES), unsettable=True),
}
CONFIRM_PARAMS: dict[str, Field] = {
    "payment_method": SHARED["payment_method"],
    "payment_method_data": AnyHash(),
    "payment_method_options": PAYMENT_METHOD_OPTIONS,
    "return_url": Str(max_length=5000),
    "mandate_data": AnyHash(),
    "client_secret": Str(),
    "use_stripe_sdk": Bool(),
    "expand": EXPAND,
}
# The create parameters the spec says "can only be used with confirm=true".
NEEDS_CONFIRM = ("mandate_data", "return_url")
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
# "Single-use mandates are only valid for the following payment methods" (the spec's single_use).
SINGLE_USE_TYPES = frozenset(("acss_debit", "alipay", "au_becs_debit", "bacs_debit", "bancontact", "boleto", "ideal",
                              "link", "sepa_debit", "us_bank_account"))


def _new(p: dict[str, Any]) -> dict[str, Any]:
    sid = ids.new_id("seti")
    types = p.get("payment_method_types")
    return {
        "id": sid, "object": "setup_intent", "application": None, "attach_to_self": p.get("attach_to_self", False),
        "automatic_payment_methods": None if types else {"enabled": True, "allow_redirects": "always"},
        "cancellation_reason": None, "client_secret": ids.client_secret(sid), "created": int(time.time()),
        "customer": None, "customer_account": None, "description": None,
        "excluded_payment_method_types": p.get("excluded_payment_method_types"),
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
    if "attach_to_self" in p:
        si["attach_to_self"] = p["attach_to_self"]
    if "excluded_payment_method_types" in p:
        si["excluded_payment_method_types"] = _value(p["excluded_payment_method_types"])
    if "payment_method_options" in p:
        _show_options(si, p["payment_method_options"])
    if "payment_method_types" in p:
        si["payment_method_types"] = p["payment_method_types"] or ["card"]
        si["automatic_payment_methods"] = None
    if "customer" in p:
        si["customer"] = ctx.require(p["customer"], "customer", "customer", status=400)["id"]
    if "payment_method_data" in p:
        si["payment_method"] = charging.payment_method_from_data(ctx, p["payment_method_data"])["id"]
    if "payment_method" in p:
        chosen = _value(p["payment_method"])
        si["payment_method"] = chosen and charging.resolve_payment_method(ctx, chosen)["id"]
    _refuse_attach_to_self_with_customer(si)
    if {"payment_method", "payment_method_data", "customer"} & set(p):
        saved_payment_methods.refuse_other_customers(ctx, si, "SetupIntent")


def _show_options(si: dict, given: dict[str, Any]) -> None:
    # Into a copy: the object held before (an update is staged) must not change.
    shown = {method: dict(held) for method, held in (si["payment_method_options"] or {}).items()}
    for method, names in SHOWN_OPTIONS.items():
        for name in names:
            if name in given.get(method, {}):
                shown.setdefault(method, {})[name] = given[method][name]
    si["payment_method_options"] = shown


def _value(v: Any) -> Any:
    return None if v is UNSET else v


def _refuse_attach_to_self_with_customer(si: dict) -> None:
    """attach_to_self "cannot be set to true when setting up a PaymentMethod for a Customer" (the spec)."""
    if si["attach_to_self"] and si["customer"]:
        raise errors.StripeError(400, "attach_to_self cannot be true when the SetupIntent has a customer: it "
                                 "cannot be set to true when setting up a PaymentMethod for a Customer.",
                                 param="attach_to_self")


def create(ctx: Context) -> dict:
    ctx.require_secret()
    p = parse(CREATE_PARAMS, ctx.params)
    for name in NEEDS_CONFIRM:
        if name in p and not p.get("confirm"):
            raise errors.StripeError(400, f"The parameter {name} can only be used with confirm=true.", param=name)
    si = _new(p)
    _apply(ctx, si, p)
    if p.get("confirm"):
        _require_confirmable(ctx, si, p)
    elif si["payment_method"]:
        si["status"] = "requires_confirmation"
    if "single_use" in p:
        ctx.internal(si["id"])["single_use"] = p["single_use"]
    ctx.collection(KIND).add(si)
    if p.get("confirm"):
        return _confirm(ctx, si, p)
    return ctx.render(si, p.get("expand"))


def retrieve(ctx: Context, intent: str) -> dict:
    q = parse(RETRIEVE_QUERY, ctx.query)
    si = ctx.require(intent, KIND, "intent")
    if ctx.caller.publishable:
        if q.get("client_secret") != si["client_secret"]:
            raise errors.resource_missing(KIND, intent, "intent")
        return _publishable(si)
    return ctx.render(si, q.get("expand"))


def _publishable(si: dict) -> dict:
    """"When retrieved with a publishable key, only a subset of properties will be returned." (the spec)"""
    return {k: si[k] for k in PUBLISHABLE_FIELDS}


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
        ctx.internal(si["id"]).pop("microdeposits", None)
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
    _require_confirmable(ctx, staged, p)
    si.update(staged)
    return _confirm(ctx, si, p)


def _require_confirmable(ctx: Context, si: dict, p: dict[str, Any]) -> None:
    """Refuse, before anything changes, a confirmation that cannot start."""
    if not si["payment_method"]:
        raise errors.StripeError(
            400, "You cannot confirm this SetupIntent because it's missing a payment method. Update the "
            "SetupIntent with a payment method and then confirm it again.",
            code="setup_intent_unexpected_state", setup_intent=si)
    pm = ctx.collection("payment_method").get(si["payment_method"])
    if pm["type"] == bank_accounts.TYPE:
        bank_accounts.require_mandate(p, setup_intent=si)
    elif ctx.internal(pm["id"]).get("card") is None:
        raise errors.StripeError(400, f"This SetupIntent cannot be confirmed with a {pm['type']} PaymentMethod.",
                                 code="setup_intent_unexpected_state", param="payment_method")


def _confirm(ctx: Context, si: dict, p: dict[str, Any]) -> dict:
    """One confirmation of ``si`` (a SetupAttempt) with its payment method; ``p`` are the request's parameters."""
    pm = ctx.collection("payment_method").get(si["payment_method"])
    ctx.internal(si["id"]).pop("microdeposits", None)
    si.update(last_setup_error=None, next_action=None)
    attempt = setup_attempts.start(ctx, si, pm)
    if pm["type"] == bank_accounts.TYPE:
        ctx.internal(si["id"])["mandate_accepted"] = True
        bank_accounts.send_microdeposits(ctx, si)
        attempt["status"] = "requires_action"
    else:
        card = ctx.internal(pm["id"])["card"]
        if card.authenticate and not ctx.internal(si["id"]).get("authenticated"):
            si.update(status="requires_action", next_action=authentication_action(si, p.get("return_url")))
            attempt["status"] = "requires_action"
        elif card.decline:
            _fail(ctx, si, attempt, card_error(card.decline, pm))
        else:
            _succeed(ctx, si, attempt)
    return _answer(ctx, si, p.get("expand"))


def _answer(ctx: Context, si: dict, expand: list[str] | None) -> dict:
    return _publishable(si) if ctx.caller.publishable else ctx.render(si, expand)


def _succeed(ctx: Context, si: dict, attempt: dict) -> None:
    """Setup done: "it automatically attaches the resulting payment method to that Customer after
    successful setup" (seed 002), and a bank debit's mandate is generated."""
    si.update(status="succeeded", next_action=None, last_setup_error=None)
    attempt["status"] = "succeeded"
    saved_payment_methods.attach(ctx, si["payment_method"], si["customer"])
    pm = ctx.collection("payment_method").get(si["payment_method"])
    state = ctx.internal(si["id"])
    if state.get("single_use") and pm["type"] in SINGLE_USE_TYPES:
        si["single_use_mandate"] = ids.new_id("mandate")
    elif state.get("mandate_accepted"):
        si["mandate"] = ids.new_id("mandate")


def _fail(ctx: Context, si: dict, attempt: dict, error: dict, status: int = 402) -> None:
    """Setup failed: back to requires_payment_method, the error kept on the SetupIntent and its attempt, and raised."""
    attempt.update(status="failed", setup_error=error)
    si.update(status="requires_payment_method", payment_method=None, next_action=None, last_setup_error=error)
    raise errors.StripeError(status, error["message"], type=error["type"], code=error["code"],
                             decline_code=error.get("decline_code"), payment_method=error.get("payment_method"),
                             setup_intent=si)


def verify_microdeposits(ctx: Context, intent: str) -> dict:
    p = parse(bank_accounts.VERIFY_PARAMS, ctx.params)
    si = ctx.require(intent, KIND, "intent")
    if ctx.caller.publishable and p.get("client_secret") != si["client_secret"]:
        raise errors.resource_missing(KIND, intent, "intent")
    outcome = bank_accounts.verification_outcome(ctx, si, KIND, p)
    attempt = setup_attempts.latest(ctx, si)
    if outcome == "verified":
        _succeed(ctx, si, attempt)
        return _answer(ctx, si, p.get("expand"))
    error = bank_accounts.failure(ctx, si, outcome)
    if outcome == "timeout":
        attempt.update(status="failed", setup_error=error)
        si.update(status="requires_payment_method", payment_method=None, next_action=None, last_setup_error=error)
        return _answer(ctx, si, p.get("expand"))
    _fail(ctx, si, attempt, error, status=400)
    raise AssertionError("unreachable")  # _fail raises


def cancel(ctx: Context, intent: str) -> dict:
    ctx.require_secret()
    p = parse(CANCEL_PARAMS, ctx.params)
    si = ctx.require(intent, KIND, "intent")
    if si["status"] not in CANCELABLE:
        raise errors.unexpected_state(KIND, si, "canceled", CANCELABLE)
    ctx.internal(si["id"]).pop("microdeposits", None)
    si.update(status="canceled", next_action=None, cancellation_reason=p.get("cancellation_reason"))
    return ctx.render(si, p.get("expand"))


def list_all(ctx: Context) -> dict:
    ctx.require_secret()
    return list_answer(ctx, KIND, "/v1/setup_intents", parse(LIST_QUERY, ctx.query),
                       filters=("customer", "payment_method", "attach_to_self"))


ROUTES = [
    ("GET", "/v1/setup_intents", list_all),
    ("POST", "/v1/setup_intents", create),
    ("GET", "/v1/setup_intents/{intent}", retrieve),
    ("POST", "/v1/setup_intents/{intent}", update),
    ("POST", "/v1/setup_intents/{intent}/confirm", confirm),
    ("POST", "/v1/setup_intents/{intent}/cancel", cancel),
    ("POST", "/v1/setup_intents/{intent}/verify_microdeposits", verify_microdeposits),
]
