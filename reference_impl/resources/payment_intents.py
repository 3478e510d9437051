"""PaymentIntents: create, retrieve, update, confirm, capture, cancel, list, increment.

Behaviour follows Stripe's API reference (docs.stripe.com/api/payment_intents); the
statuses each action accepts are the ones the reference names.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Callable

from reference_impl import errors, ids
from reference_impl.frozen import EMPTY, FrozenDict
from reference_impl.context import Context
from reference_impl.listing import LIST_PARAMS, list_answer
from reference_impl.params import (
    EXPAND, UNSET, AnyHash, Array, Bool, BoolOr, Enum, Field, Int, Metadata, Obj, Str, apply_metadata, parse,
)
from reference_impl.resources import charges, charging, saved_payment_methods

KIND = "payment_intent"

MIN_AMOUNT = 50  # "The minimum amount is $0.50 US or equivalent in charge currency."
MAX_AMOUNT = 99_999_999  # "The amount value supports up to eight digits"

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action")
FREELY_UPDATABLE = CONFIRMABLE
LATE_UPDATABLE = {"metadata", "description", "receipt_email", "shipping", "expand"}
MAX_INCREMENT_ATTEMPTS = 10
# "in rare cases, processing" (seed 000): which ones is the payment method's to say (bank_accounts sets it).
CANCELABLE_WHILE_PROCESSING: Callable[[Context, dict], bool] = lambda ctx, pi: False


class Amount(Int):
    def __init__(self) -> None:
        super().__init__(minimum=None)

    def coerce(self, value, name):
        number = super().coerce(value, name)
        if number < MIN_AMOUNT:
            raise errors.StripeError(400, "Amount must be at least $0.50 usd", code="amount_too_small", param=name)
        if number > MAX_AMOUNT:
            raise errors.StripeError(400, "Amount must be no more than $999,999.99", code="amount_too_large",
                                     param=name)
        return number


class Currency(Str):
    def __init__(self) -> None:
        super().__init__(max_length=3)

    def coerce(self, value, name):
        text = super().coerce(value, name).lower()
        if text not in charging.CURRENCIES:
            raise errors.StripeError(400, f"Invalid currency: {text}. Stripe currently supports these currencies: "
                                     + ", ".join(sorted(charging.CURRENCIES)), code="parameter_invalid_string",
                                     param=name)
        return text


class StatementDescriptor(Str):
    """1-22 characters with at least one letter, and none of ``< > \\ ' " *``."""

    def __init__(self) -> None:
        super().__init__(max_length=22)

    def coerce(self, value, name):
        text = super().coerce(value, name)
        if not any(ch.isalpha() for ch in text) or any(ch in "<>\\'\"*" for ch in text):
            raise errors.parameter_invalid(
                name, "The statement descriptor must contain at least one letter and none of these characters: "
                "< > \\ ' \" *", code="parameter_invalid_string")
        return text


ADDRESS = Obj({k: Str(max_length=5000) for k in ("city", "country", "line1", "line2", "postal_code", "state")})
SHIPPING = Obj({"address": ADDRESS, "name": Str(), "carrier": Str(), "phone": Str(), "tracking_number": Str()},
               unsettable=True, required=("address", "name"))
CARD_OPTIONS = Obj({
    "request_incremental_authorization": Enum("if_available", "never"),
    "request_three_d_secure": Enum("any", "automatic", "challenge"),
    "capture_method": Enum("manual", unsettable=True),
    "setup_future_usage": Enum("none", "off_session", "on_session", unsettable=True),
})
US_BANK_OPTIONS = Obj({
    "verification_method": Enum("automatic", "instant", "microdeposits"),
    "setup_future_usage": Enum("none", "off_session", "on_session", unsettable=True),
})
CUSTOMER_BALANCE_OPTIONS = Obj({
    "funding_type": Enum("bank_transfer"),
    "bank_transfer": Obj({
        "type": Enum("eu_bank_transfer", "gb_bank_transfer", "jp_bank_transfer", "mx_bank_transfer",
                     "us_bank_transfer"),
        "eu_bank_transfer": Obj({"country": Str()}, required=("country",)),
        "requested_address_types": Array(Enum("aba", "iban", "sepa", "sort_code", "spei", "swift", "zengin")),
    }, required=("type",)),
})
PAYMENT_METHOD_OPTIONS = Obj({"card": CARD_OPTIONS, "us_bank_account": US_BANK_OPTIONS,
                              "customer_balance": CUSTOMER_BALANCE_OPTIONS})
AUTOMATIC_PAYMENT_METHODS = Obj({"enabled": Bool(), "allow_redirects": Enum("always", "never")},
                                required=("enabled",))
PAYMENT_METHOD_TYPES = Array(Str(max_length=100))
SETUP_FUTURE_USAGE = Enum("off_session", "on_session")
CAPTURE_METHOD = Enum("automatic", "automatic_async", "manual")

SHARED: dict[str, Field] = {
    "description": Str(max_length=1000),
    "metadata": Metadata(),
    "receipt_email": Str(max_length=800, unsettable=True),
    "setup_future_usage": SETUP_FUTURE_USAGE,
    "shipping": SHIPPING,
    "statement_descriptor": StatementDescriptor(),
    "statement_descriptor_suffix": Str(max_length=22),
    "payment_method": Str(max_length=5000),
    "payment_method_options": PAYMENT_METHOD_OPTIONS,
    "payment_method_types": PAYMENT_METHOD_TYPES,
    "payment_method_data": AnyHash(),
    "capture_method": CAPTURE_METHOD,
    "customer": Str(max_length=5000),
    "application_fee_amount": Int(unsettable=True),
    "transfer_data": AnyHash(),
    "transfer_group": Str(),
    "expand": EXPAND,
}

CONFIRM_ONLY: dict[str, Field] = {
    "error_on_requires_action": Bool(),
    "off_session": BoolOr(choices=("one_off", "recurring")),
    "return_url": Str(max_length=5000),
    "mandate": Str(),
    "mandate_data": AnyHash(),
    "use_stripe_sdk": Bool(),
    "radar_options": AnyHash(),
}

# The create parameters the API reference says "can only be used with confirm=true".
NEEDS_CONFIRM = ("error_on_requires_action", "mandate", "mandate_data", "off_session", "return_url")

# What create and increment_authorization cannot unset: the spec gives these no empty value there.
SET_ONLY: dict[str, Field] = {name: replace(SHARED[name], unsettable=False)
                              for name in ("metadata", "receipt_email", "shipping")}

CREATE_PARAMS: dict[str, Field] = {
    **SHARED, **CONFIRM_ONLY, **SET_ONLY,
    "amount": Amount(),
    "currency": Currency(),
    "confirm": Bool(),
    "confirmation_method": Enum("automatic", "manual"),
    "automatic_payment_methods": AUTOMATIC_PAYMENT_METHODS,
    "on_behalf_of": Str(),
}
UPDATE_PARAMS: dict[str, Field] = {**SHARED, "amount": Amount(), "currency": Currency()}
CONFIRM_PARAMS: dict[str, Field] = {
    **{k: SHARED[k] for k in ("payment_method", "payment_method_options", "payment_method_types",
                              "payment_method_data", "receipt_email", "setup_future_usage", "shipping",
                              "capture_method", "expand")},
    **CONFIRM_ONLY,
    "client_secret": Str(),
    "amount_to_confirm": Int(minimum=1),
}
CAPTURE_PARAMS: dict[str, Field] = {
    "amount_to_capture": Int(minimum=0),
    "metadata": Metadata(),
    "statement_descriptor": StatementDescriptor(),
    "statement_descriptor_suffix": Str(max_length=22),
    "final_capture": Bool(),
    "application_fee_amount": Int(),
    "transfer_data": AnyHash(),
    "expand": EXPAND,
}
CANCEL_PARAMS: dict[str, Field] = {
    "cancellation_reason": Enum("abandoned", "duplicate", "fraudulent", "requested_by_customer"),
    "expand": EXPAND,
}
INCREMENT_PARAMS: dict[str, Field] = {
    "amount": Amount(),
    "description": Str(max_length=1000),
    "metadata": SET_ONLY["metadata"],
    "statement_descriptor": StatementDescriptor(),
    "application_fee_amount": Int(),
    "transfer_data": AnyHash(),
    "expand": EXPAND,
}
LIST_QUERY: dict[str, Field] = {**LIST_PARAMS, "customer": Str()}
RETRIEVE_QUERY: dict[str, Field] = {"client_secret": Str(), "expand": EXPAND}

# docs.stripe.com/api/payment_intents/object: the attributes marked as returned to a
# publishable key holding the client secret.
PUBLISHABLE_FIELDS = (
    "id", "object", "amount", "automatic_payment_methods", "canceled_at", "cancellation_reason", "capture_method",
    "client_secret", "confirmation_method", "created", "currency", "description", "last_payment_error", "livemode",
    "next_action", "payment_method", "payment_method_types", "processing", "receipt_email", "setup_future_usage",
    "shipping", "status",
)
# The confirm parameters the API reference marks "secret key only".
SECRET_ONLY_CONFIRM = ("capture_method", "mandate", "off_session", "payment_method_options", "payment_method_types",
                       "radar_options")


# ---------------------------------------------------------------- the object


# What every new intent holds until a request changes it: one shared, read-only copy (memory).
AMOUNT_DETAILS = FrozenDict({"tip": EMPTY})
PAYMENT_METHOD_OPTIONS_DEFAULT = FrozenDict({"card": FrozenDict({
    "installments": None, "mandate_options": None, "network": None, "request_three_d_secure": "automatic"})})


def _new(ctx: Context, p: dict[str, Any]) -> dict[str, Any]:
    pid = ids.new_id("pi")
    types = p.get("payment_method_types")
    automatic = p.get("automatic_payment_methods")
    if automatic is None and not types:
        automatic = {"enabled": True, "allow_redirects": "always"}
    return {
        "id": pid, "object": "payment_intent",
        "amount": p["amount"], "amount_capturable": 0, "amount_details": AMOUNT_DETAILS, "amount_received": 0,
        "application": None, "application_fee_amount": _value(p.get("application_fee_amount")),
        "automatic_payment_methods": automatic, "canceled_at": None, "cancellation_reason": None,
        "capture_method": p.get("capture_method", "automatic_async"),
        "client_secret": ids.client_secret(pid),
        "confirmation_method": p.get("confirmation_method", "automatic"),
        "created": int(time.time()), "currency": p["currency"], "customer": None, "customer_account": None,
        "description": None, "excluded_payment_method_types": None, "last_payment_error": None,
        "latest_charge": None, "livemode": False, "metadata": EMPTY, "next_action": None,
        "on_behalf_of": p.get("on_behalf_of"), "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": PAYMENT_METHOD_OPTIONS_DEFAULT,
        "payment_method_types": types or ["card"], "processing": None, "receipt_email": None, "review": None,
        "setup_future_usage": None, "shipping": None, "statement_descriptor": None,
        "statement_descriptor_suffix": None, "status": "requires_payment_method", "transfer_data": None,
        "transfer_group": None,
    }


def _value(v: Any) -> Any:
    return None if v is UNSET else v


SIMPLE_FIELDS = ("description", "receipt_email", "setup_future_usage", "statement_descriptor",
                 "statement_descriptor_suffix", "application_fee_amount", "transfer_group", "capture_method",
                 "amount", "currency")


def _apply(ctx: Context, pi: dict, p: dict[str, Any]) -> None:
    """Store the parameters that create, update and confirm share."""
    for name in SIMPLE_FIELDS:
        if name in p:
            pi[name] = _value(p[name])
    if "metadata" in p:
        pi["metadata"] = apply_metadata(pi["metadata"], p["metadata"])
    if "shipping" in p:
        pi["shipping"] = _shipping(p["shipping"])
    if "transfer_data" in p:
        pi["transfer_data"] = _value(p["transfer_data"]) or None
    if "customer" in p:
        # A body parameter naming a missing object is a bad request, not a missing resource.
        pi["customer"] = ctx.require(p["customer"], "customer", "customer", status=400)["id"]
    if "payment_method_types" in p:
        pi["payment_method_types"] = p["payment_method_types"] or ["card"]
        pi["automatic_payment_methods"] = None
    if "payment_method_options" in p:
        _merge_options(pi, p["payment_method_options"])
    if "payment_method_data" in p:
        pi["payment_method"] = charging.payment_method_from_data(ctx, p["payment_method_data"])["id"]
    if "payment_method" in p:
        pi["payment_method"] = charging.resolve_payment_method(ctx, p["payment_method"])["id"]
    if {"payment_method", "customer"} & set(p):
        saved_payment_methods.refuse_other_customers(ctx, pi, "PaymentIntent")
    _refuse_card_statement_descriptor(pi, p)


def _refuse_card_statement_descriptor(pi: dict, p: dict[str, Any]) -> None:
    """statement_descriptor: "Setting this value for a card charge returns an error. For card
    charges, set the statement_descriptor_suffix instead." (create, update and capture)."""
    if p.get("statement_descriptor") not in (None, UNSET) and "card" in pi["payment_method_types"]:
        raise errors.StripeError(
            400, "The statement_descriptor parameter is not supported for the payment_method_type `card`. "
            "Use statement_descriptor_suffix instead.", param="statement_descriptor")


def _shipping(value: Any) -> dict | None:
    if value is UNSET:
        return None
    address = {k: None for k in ("city", "country", "line1", "line2", "postal_code", "state")}
    address.update(value.get("address", {}))
    return {"address": address, "carrier": value.get("carrier"), "name": value.get("name"),
            "phone": value.get("phone"), "tracking_number": value.get("tracking_number")}


def _merge_options(pi: dict, options: dict) -> None:
    # Into a copy: the value may be the shared default.
    merged = pi["payment_method_options"] = {method: dict(held) for method, held in pi["payment_method_options"].items()}
    for method, settings in options.items():
        current = merged.setdefault(method, {})
        for key, value in settings.items():
            if value is UNSET:  # an unset option is not shown, as when it was never set
                current.pop(key, None)
            else:
                current[key] = value


# ---------------------------------------------------------------- handlers


def create(ctx: Context) -> dict:
    ctx.require_secret()
    p = parse(CREATE_PARAMS, ctx.params, required=("amount", "currency"))
    for name in NEEDS_CONFIRM:
        if name in p and not p.get("confirm"):
            raise errors.StripeError(400, f"The parameter {name} can only be used with confirm=true.", param=name)
    pi = _new(ctx, p)
    _apply(ctx, pi, p)
    if p.get("confirm"):
        _require_payment_method(pi)
    elif pi["payment_method"]:
        pi["status"] = "requires_confirmation"
    ctx.collection(KIND).add(pi)
    if p.get("confirm"):
        return _attempt(ctx, pi, p)
    return ctx.render(pi, p.get("expand"))


def retrieve(ctx: Context, intent: str) -> dict:
    q = parse(RETRIEVE_QUERY, ctx.query)
    pi = ctx.require(intent, KIND, "intent")
    if ctx.caller.publishable:
        if q.get("client_secret") != pi["client_secret"]:
            raise errors.resource_missing(KIND, intent, "intent")
        return {k: pi[k] for k in PUBLISHABLE_FIELDS if k in pi}
    return ctx.render(pi, q.get("expand"))


def update(ctx: Context, intent: str) -> dict:
    ctx.require_secret()
    p = parse(UPDATE_PARAMS, ctx.params)
    pi = ctx.require(intent, KIND, "intent")
    if pi["status"] not in FREELY_UPDATABLE and not set(p) <= LATE_UPDATABLE:
        raise errors.unexpected_state(KIND, pi, "updated", FREELY_UPDATABLE)
    before = pi["payment_method"]
    # last_payment_error "will be cleared if the PaymentIntent is later updated for any reason."
    staged = dict(pi, last_payment_error=None)
    _apply(ctx, staged, p)
    if staged["payment_method"] != before and staged["status"] in CONFIRMABLE:
        # "updating the payment_method always requires you to confirm the PaymentIntent again"
        staged["status"] = "requires_confirmation" if staged["payment_method"] else "requires_payment_method"
        staged["next_action"] = None
    pi.update(staged)
    return ctx.render(pi, p.get("expand"))


def confirm(ctx: Context, intent: str) -> dict:
    p = parse(CONFIRM_PARAMS, ctx.params)
    pi = ctx.require(intent, KIND, "intent")
    if ctx.caller.publishable:
        _check_client_confirmation(pi, p)
    _check_amount_to_confirm(pi, p.pop("amount_to_confirm", None))
    return _confirm(ctx, pi, p)


def _check_amount_to_confirm(pi: dict, wanted: int | None) -> None:
    """amount_to_confirm "Defaults to amount if not provided" (the spec), which is all the docs say of it: the
    amount itself confirms as the default does; what another amount does is undocumented, so it is refused here
    rather than guessed."""
    if wanted is not None and wanted != pi["amount"]:
        raise errors.StripeError(400, f"This server confirms only the PaymentIntent's whole amount ({pi['amount']}); "
                                 "confirming another amount is not implemented.", param="amount_to_confirm")


def _check_client_confirmation(pi: dict, p: dict[str, Any]) -> None:
    """What a publishable key may confirm: its own intent (by client secret), with client-side parameters,
    and only when "confirmation_method is automatic" ("If the confirmation_method is manual, all payment
    attempts must be initiated using a secret key.")."""
    if p.get("client_secret") != pi["client_secret"]:
        raise errors.resource_missing(KIND, pi["id"], "intent")
    for name in SECRET_ONLY_CONFIRM:
        if name in p:
            raise errors.StripeError(400, f"The parameter {name} can only be used with a secret API key.",
                                     code="secret_key_required", param=name)
    if pi["confirmation_method"] == "manual":
        raise errors.StripeError(400, "This PaymentIntent has confirmation_method=manual: it can only be confirmed "
                                 "with a secret API key.", code="secret_key_required")


def _confirm(ctx: Context, pi: dict, p: dict[str, Any]) -> dict:
    if pi["status"] not in CONFIRMABLE:
        raise errors.unexpected_state(KIND, pi, "confirmed", CONFIRMABLE)
    staged = dict(pi)
    _apply(ctx, staged, {k: v for k, v in p.items() if k in CONFIRM_PARAMS})
    _require_payment_method(staged)
    pi.update(staged)
    return _attempt(ctx, pi, p)


def _require_payment_method(pi: dict) -> None:
    if not pi["payment_method"]:
        raise errors.StripeError(
            400, "You cannot confirm this PaymentIntent because it's missing a payment method. Update the "
            "PaymentIntent with a payment method and then confirm it again.",
            code="payment_intent_unexpected_state", payment_intent=pi)


def _attempt(ctx: Context, pi: dict, p: dict[str, Any]) -> dict:
    """Attempt the payment with the PaymentIntent's payment method; ``p`` are the confirmation's parameters."""
    pi["status"] = "requires_confirmation"
    charging.attempt(ctx, pi, p)
    return ctx.render(pi, p.get("expand"))


def capture(ctx: Context, intent: str) -> dict:
    ctx.require_secret()
    p = parse(CAPTURE_PARAMS, ctx.params)
    pi = ctx.require(intent, KIND, "intent")
    if pi["status"] != "requires_capture":
        raise errors.unexpected_state(KIND, pi, "captured", ("requires_capture",))
    _refuse_card_statement_descriptor(pi, p)
    amount = p.get("amount_to_capture", pi["amount_capturable"])
    if amount > pi["amount_capturable"]:
        raise errors.StripeError(
            400, f"The amount to capture ({amount}) must be less than or equal to the amount capturable "
            f"({pi['amount_capturable']}).", code="amount_too_large", param="amount_to_capture")
    metadata = apply_metadata(pi["metadata"], p.get("metadata"))
    pi.update(metadata=metadata, amount_received=amount, amount_capturable=0, status="succeeded")
    charges.captured(ctx, pi, amount)
    for name in ("statement_descriptor", "statement_descriptor_suffix", "application_fee_amount"):
        if name in p:
            pi[name] = p[name]
    return ctx.render(pi, p.get("expand"))


def cancel(ctx: Context, intent: str) -> dict:
    ctx.require_secret()
    p = parse(CANCEL_PARAMS, ctx.params)
    pi = ctx.require(intent, KIND, "intent")
    if pi["status"] not in CANCELABLE and not (pi["status"] == "processing" and CANCELABLE_WHILE_PROCESSING(ctx, pi)):
        raise errors.unexpected_state(KIND, pi, "canceled", CANCELABLE)
    if pi["status"] == "requires_capture":
        charges.released(ctx, pi)
    pi.update(status="canceled", canceled_at=int(time.time()), amount_capturable=0, next_action=None,
              cancellation_reason=p.get("cancellation_reason"))
    return ctx.render(pi, p.get("expand"))


def increment_authorization(ctx: Context, intent: str) -> dict:
    ctx.require_secret()
    p = parse(INCREMENT_PARAMS, ctx.params, required=("amount",))
    pi = ctx.require(intent, KIND, "intent")
    if pi["status"] != "requires_capture":
        raise errors.unexpected_state(KIND, pi, "incremented", ("requires_capture",))
    state = ctx.internal(pi["id"])
    if not state.get("incremental_authorization_supported"):
        raise errors.StripeError(
            400, "This PaymentIntent is not eligible for incremental authorization: request it with "
            "payment_method_options[card][request_incremental_authorization]=if_available.",
            code="payment_intent_unexpected_state", payment_intent=pi)
    if state.get("increment_attempts", 0) >= MAX_INCREMENT_ATTEMPTS:
        raise errors.StripeError(
            400, f"This PaymentIntent has reached the maximum of {MAX_INCREMENT_ATTEMPTS} incremental "
            "authorization attempts.", code="payment_intent_unexpected_state", payment_intent=pi)
    if p["amount"] <= pi["amount"]:
        raise errors.StripeError(
            400, f"The amount ({p['amount']}) must be greater than the currently authorized amount "
            f"({pi['amount']}).", code="parameter_invalid_integer", param="amount")
    metadata = apply_metadata(pi["metadata"], p.get("metadata"))
    state["increment_attempts"] = state.get("increment_attempts", 0) + 1
    # "If the incremental authorization fails, ... no other fields on the PaymentIntent or Charge update."
    charging.authorize_increment(ctx, pi, p["amount"])
    pi.update(amount=p["amount"], amount_capturable=p["amount"], metadata=metadata)
    charges.amount_changed(ctx, pi)
    for name in ("description", "statement_descriptor", "application_fee_amount"):
        if name in p:
            pi[name] = p[name]
    return ctx.render(pi, p.get("expand"))


def list_all(ctx: Context) -> dict:
    ctx.require_secret()  # a publishable key reaches one intent, by its client secret, never a list
    return list_answer(ctx, KIND, "/v1/payment_intents", parse(LIST_QUERY, ctx.query), filters=("customer",))


ROUTES = [
    ("GET", "/v1/payment_intents", list_all),
    ("POST", "/v1/payment_intents", create),
    ("GET", "/v1/payment_intents/{intent}", retrieve),
    ("POST", "/v1/payment_intents/{intent}", update),
    ("POST", "/v1/payment_intents/{intent}/confirm", confirm),
    ("POST", "/v1/payment_intents/{intent}/capture", capture),
    ("POST", "/v1/payment_intents/{intent}/cancel", cancel),
    ("POST", "/v1/payment_intents/{intent}/increment_authorization", increment_authorization),
]
