"""Payment attempts: what confirming with a test PaymentMethod does to a PaymentIntent."""

from __future__ import annotations

import time
from typing import Any, Callable

from reference_impl import errors, ids, payment_methods
from reference_impl.card_outcomes import authentication_action, card_error
from reference_impl.context import Context
from reference_impl.resources import charges, saved_payment_methods

# docs.stripe.com/currencies: a representative subset of the presentment currencies.
CURRENCIES = frozenset(
    "usd aed aud bgn brl cad chf cny czk dkk eur gbp hkd huf idr ils inr jpy krw mxn myr nok nzd php pln ron "
    "sek sgd thb try twd zar".split()
)

PaymentAttempt = Callable[[Context, dict, dict[str, Any]], None]
ATTEMPTS: dict[str, PaymentAttempt] = {}
"""Per payment-method type (``card``, ``us_bank_account``, ...): how confirming it proceeds."""


def resolve_payment_method(ctx: Context, pm_id: str) -> dict:
    """A stored PaymentMethod, or a new one made from a test PaymentMethod id like ``pm_card_visa``.

    As in Stripe's test mode, a test id stands for a fresh PaymentMethod with its own id.
    """
    card = payment_methods.lookup(pm_id)
    if card is not None:
        pm = card.payment_method(int(time.time()))
        pm["id"] = ids.new_id("pm")
        ctx.internal(pm["id"])["card"] = card
        return ctx.collection("payment_method").add(pm)
    builder = TEST_PAYMENT_METHODS.get(pm_id)
    if builder is not None:
        return builder(ctx)
    return ctx.require(pm_id, "payment_method", "payment_method", status=400)


TEST_PAYMENT_METHODS: dict[str, Callable[[Context], dict]] = {}
"""Test PaymentMethod ids other than cards' (``pm_usBankAccount_processing``): how to make a fresh one."""


def payment_method_from_data(ctx: Context, data: Any, built: dict | None = None) -> dict:
    """A new PaymentMethod from ``payment_method_data`` (or from ``built``, its type's fields already made)."""
    kind = data.get("type") if isinstance(data, dict) else None
    builder = PAYMENT_METHOD_BUILDERS.get(kind)
    if builder is None:
        raise errors.StripeError(400, "Invalid payment_method_data[type]: must be one of "
                                 + ", ".join(sorted(PAYMENT_METHOD_BUILDERS)), param="payment_method_data[type]")
    pm = built if built is not None else builder(ctx, data)
    hidden = pm.pop(HIDDEN, None)
    pm.update(id=ids.new_id("pm"), object="payment_method", type=kind, created=int(time.time()), livemode=False,
              customer=None, allow_redisplay="unspecified", metadata={})
    if hidden:
        ctx.internal(pm["id"]).update(hidden)
    return ctx.collection("payment_method").add(pm)


HIDDEN = "_hidden"
"""A builder may return, under this key, state the PaymentMethod keeps but does not show (its test account)."""

PAYMENT_METHOD_BUILDERS: dict[str, Callable[[Context, dict], dict]] = {}


def attempt(ctx: Context, pi: dict, params: dict[str, Any]) -> None:
    """Confirm ``pi`` with its payment method; ``params`` are the confirmation's parameters."""
    pm = ctx.collection("payment_method").get(pi["payment_method"])
    handler = ATTEMPTS.get(pm["type"]) if pm else None
    if handler is None:
        raise errors.StripeError(400, f"This PaymentIntent cannot be confirmed with a {pm and pm['type']} "
                                 "PaymentMethod.", code="payment_intent_incompatible_payment_method",
                                 param="payment_method")
    handler(ctx, pi, {**params, "pm": pm})


def _card_attempt(ctx: Context, pi: dict, how: dict[str, Any]) -> None:
    pm = how["pm"]
    card = ctx.internal(pm["id"])["card"]
    state = ctx.internal(pi["id"])
    off_session = how.get("off_session")
    needs_auth = card.authenticate == "always" or (card.authenticate == "on_session" and not off_session)
    if needs_auth and not state.get("authenticated"):
        if off_session or how.get("error_on_requires_action"):
            decline(ctx, pi, pm, "authentication_required")
        pi["status"] = "requires_action"
        pi["next_action"] = authentication_action(pi, how.get("return_url"))
        return
    if card.decline:
        decline(ctx, pi, pm, card.decline)
    _authorized(ctx, pi)
    options = pi["payment_method_options"].get("card", {})
    state["incremental_authorization_supported"] = (
        pi["status"] == "requires_capture" and options.get("request_incremental_authorization") == "if_available")


def _authorized(ctx: Context, pi: dict) -> None:
    """A successful authorization: held for manual capture, otherwise captured at once."""
    charges.record(ctx, pi, status="succeeded")
    pi["next_action"] = None
    pi["last_payment_error"] = None
    if pi["capture_method"] == "manual":
        pi.update(status="requires_capture", amount_capturable=pi["amount"])
    else:
        pi.update(status="succeeded", amount_received=pi["amount"])
    saved_payment_methods.save_for_future_usage(ctx, pi)


def decline(ctx: Context, pi: dict, pm: dict, reason: str) -> None:
    """Fail the attempt: the PaymentIntent returns to requires_payment_method and a 402 is raised."""
    error = card_error(reason, pm)
    error["charge"] = charges.record(ctx, pi, status="failed", error=error)["id"]
    fail_attempt(pi, error)
    raise errors.StripeError(402, error["message"], type="card_error", code=error["code"],
                             decline_code=error.get("decline_code"), charge=error["charge"], payment_method=pm,
                             payment_intent=pi)


def fail_attempt(pi: dict, error: dict[str, Any]) -> None:
    """A failed attempt: "the PaymentIntent's status returns to requires_payment_method so that the
    payment can be retried", keeping the error in ``last_payment_error``."""
    pi.update(status="requires_payment_method", payment_method=None, next_action=None, last_payment_error=error)


def authorize_increment(ctx: Context, pi: dict, amount: int) -> None:
    """Incremental authorizations can be declined; a declined one changes nothing on the intent."""
    pm = ctx.collection("payment_method").get(pi["payment_method"])
    card = ctx.internal(pm["id"]).get("card") if pm else None
    if card is not None and card.decline_increments:
        spec = payment_methods.DECLINES["generic_decline"]
        raise errors.StripeError(402, spec["message"], type="card_error", code="card_declined",
                                 decline_code="generic_decline", payment_intent=pi)


ATTEMPTS["card"] = _card_attempt
