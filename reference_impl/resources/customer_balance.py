"""The ``customer_balance`` payment method: bank transfers into a customer's cash balance.

Per docs.stripe.com/payments/bank-transfers/accept-a-payment: confirming applies what the
customer's cash balance holds at once; a balance that covers the amount makes the payment
succeed, otherwise the PaymentIntent waits in ``requires_action`` with bank transfer
instructions for the ``amount_remaining``. Funds arrive with the test helper
``fund_cash_balance``; customers in automatic reconciliation (the default) have them applied to
their waiting PaymentIntents (the one whose reference the transfer quotes first, then oldest
first), and ``apply_customer_balance`` applies them by hand.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from typing import Any

from reference_impl import errors, ids
from reference_impl.context import Context
from reference_impl.params import EXPAND, Field, Int, Str, parse
from reference_impl.resources import charges, charging
from reference_impl.resources.payment_intents import Currency

TRANSACTIONS = "customer_cash_balance_transaction"
INSTRUCTIONS = "display_bank_transfer_instructions"
APPLIED = "cash_balance_applied"  # internal state of a PaymentIntent: funds applied so far
CASH_BALANCE = "cash_balance"  # internal state of a Customer: {"available": {currency: amount}, "mode": ...}

TRANSFER_TYPES: dict[str, dict[str, Any]] = {
    kind: spec for kind, spec in
    json.loads(resources.files("reference_impl").joinpath("bank_transfers.json").read_text()).items()
    if not kind.startswith("_")
}
TYPE_FOR_CURRENCY = {spec["currency"]: kind for kind, spec in TRANSFER_TYPES.items()}

FUND_PARAMS: dict[str, Field] = {
    "amount": Int(minimum=1),
    "currency": Currency(),
    "reference": Str(),
    "expand": EXPAND,
}
APPLY_PARAMS: dict[str, Field] = {
    "amount": Int(minimum=1),
    "currency": Currency(),
    "expand": EXPAND,
}


# ---------------------------------------------------------------- the cash balance


def open_cash_balance(ctx: Context, customer_id: str, mode: str) -> None:
    _balance(ctx, customer_id)["mode"] = mode


def _balance(ctx: Context, customer_id: str) -> dict[str, Any]:
    return ctx.internal(customer_id).setdefault(CASH_BALANCE, {"available": {}, "mode": "merchant_default"})


def cash_balance(ctx: Context, customer_id: str) -> dict[str, Any]:
    """The Customer's ``cash_balance`` attribute."""
    balance = _balance(ctx, customer_id)
    merchant_default = balance["mode"] == "merchant_default"
    return {"object": "cash_balance", "available": dict(balance["available"]), "customer": customer_id,
            "customer_account": None, "livemode": False,
            "settings": {"reconciliation_mode": "automatic" if merchant_default else balance["mode"],
                         "using_merchant_default": merchant_default}}


def _record(ctx: Context, customer_id: str, currency: str, net_amount: int, kind: str, details: dict) -> dict:
    available = _balance(ctx, customer_id)["available"]
    available[currency] = available.get(currency, 0) + net_amount
    return ctx.collection(TRANSACTIONS).add({
        "id": ids.new_id("ccsbtxn"), "object": "customer_cash_balance_transaction", "created": int(time.time()),
        "currency": currency, "customer": customer_id, "customer_account": None,
        "ending_balance": available[currency], "livemode": False, "net_amount": net_amount, "type": kind,
        kind: details,
    })


# ---------------------------------------------------------------- PaymentIntents waiting for funds


def _awaiting_funds(pi: dict) -> bool:
    return pi["status"] == "requires_action" and (pi["next_action"] or {}).get("type") == INSTRUCTIONS


def _remaining(ctx: Context, pi: dict) -> int:
    return pi["amount"] - ctx.internal(pi["id"]).get(APPLIED, 0)


def _apply(ctx: Context, pi: dict, amount: int) -> None:
    """Move ``amount`` from the customer's cash balance to the PaymentIntent."""
    if amount <= 0:
        return
    _record(ctx, pi["customer"], pi["currency"], -amount, "applied_to_payment", {"payment_intent": pi["id"]})
    state = ctx.internal(pi["id"])
    state[APPLIED] = state.get(APPLIED, 0) + amount
    remaining = _remaining(ctx, pi)
    if remaining > 0:
        pi["next_action"][INSTRUCTIONS]["amount_remaining"] = remaining
        return
    pi.update(status="succeeded", amount_received=pi["amount"], next_action=None, last_payment_error=None)
    charges.record(ctx, pi, status="succeeded")


def _transfer_type(pi: dict) -> str:
    options = pi["payment_method_options"].get("customer_balance") or {}
    kind = (options.get("bank_transfer") or {}).get("type") or TYPE_FOR_CURRENCY.get(pi["currency"])
    if kind not in TRANSFER_TYPES or TRANSFER_TYPES[kind]["currency"] != pi["currency"]:
        raise errors.StripeError(
            400, f"Bank transfers in {pi['currency']} are not supported"
            + (f" by {kind}." if kind else "."), code="payment_intent_invalid_parameter",
            param="payment_method_options[customer_balance][bank_transfer][type]", payment_intent=pi)
    return kind


def _instructions(ctx: Context, pi: dict, kind: str) -> dict[str, Any]:
    state = ctx.internal(pi["id"])
    reference = state.setdefault("bank_transfer_reference", ids.token(12).upper())
    return {"type": INSTRUCTIONS, INSTRUCTIONS: {
        "type": kind, "reference": reference, "amount_remaining": _remaining(ctx, pi), "currency": pi["currency"],
        "financial_addresses": TRANSFER_TYPES[kind]["financial_addresses"],
        "hosted_instructions_url": f"https://payments.stripe.com/bank_transfers/instructions/test_{ids.token()}",
    }}


def _confirm_attempt(ctx: Context, pi: dict, how: dict[str, Any]) -> None:
    if not pi["customer"]:
        raise errors.StripeError(400, "A customer_balance PaymentIntent needs a customer to reconcile the bank "
                                 "transfer with: create it with customer.", code="payment_intent_invalid_parameter",
                                 param="customer", payment_intent=pi)
    kind = _transfer_type(pi)
    pi.update(status="requires_action", next_action=_instructions(ctx, pi, kind))
    available = _balance(ctx, pi["customer"])["available"].get(pi["currency"], 0)
    _apply(ctx, pi, min(available, _remaining(ctx, pi)))


def _payment_method(ctx: Context, data: dict) -> dict:
    return {"customer_balance": {},
            "billing_details": {"address": None, "email": None, "name": None, "phone": None}}


charging.ATTEMPTS["customer_balance"] = _confirm_attempt
charging.PAYMENT_METHOD_BUILDERS["customer_balance"] = _payment_method


# ---------------------------------------------------------------- handlers


def fund_cash_balance(ctx: Context, customer: str) -> dict:
    """Test helper: an incoming bank transfer to the customer's cash balance."""
    ctx.require_secret()
    p = parse(FUND_PARAMS, ctx.params, required=("amount", "currency"))
    customer_id = ctx.require(customer, "customer", "customer")["id"]
    currency = p["currency"]
    kind = TYPE_FOR_CURRENCY.get(currency)
    if kind is None:
        raise errors.parameter_invalid("currency", f"Cash balances can't be funded in {currency}: use one of "
                                       + ", ".join(sorted(TYPE_FOR_CURRENCY)) + ".")
    transfer = {"reference": p.get("reference"), "type": kind}
    if TRANSFER_TYPES[kind]["sender"] is not None:
        transfer[kind] = TRANSFER_TYPES[kind]["sender"]
    funded = _record(ctx, customer_id, currency, p["amount"], "funded", {"bank_transfer": transfer})
    if _balance(ctx, customer_id)["mode"] != "manual":
        _reconcile(ctx, customer_id, currency, p.get("reference"))
    return ctx.render(funded, p.get("expand"))


def _reconcile(ctx: Context, customer_id: str, currency: str, reference: str | None) -> None:
    intents = ctx.collection("payment_intent")
    # Taken through get(), as anything a handler changes: a durable store saves, and the search
    # index refiles, the objects get() handed out.
    waiting = [intents.get(pi["id"]) for pi in intents.newest_first()
               if pi["customer"] == customer_id and pi["currency"] == currency and _awaiting_funds(pi)]
    waiting.reverse()  # oldest first ...
    waiting.sort(key=lambda pi: pi["next_action"][INSTRUCTIONS]["reference"] != reference)  # ... quoted one first
    for pi in waiting:
        available = _balance(ctx, customer_id)["available"][currency]
        _apply(ctx, pi, min(available, _remaining(ctx, pi)))


def apply_customer_balance(ctx: Context, intent: str) -> dict:
    """Apply the customer's cash balance to a customer_balance PaymentIntent waiting for funds."""
    ctx.require_secret()
    p = parse(APPLY_PARAMS, ctx.params)
    pi = ctx.require(intent, "payment_intent", "intent")
    if not _awaiting_funds(pi):
        raise errors.StripeError(
            400, f"This PaymentIntent has a status of {pi['status']}: only a customer_balance PaymentIntent waiting "
            "for funds (requires_action with bank transfer instructions) can have a cash balance applied.",
            code="payment_intent_unexpected_state", payment_intent=pi)
    if p.get("currency", pi["currency"]) != pi["currency"]:
        raise errors.StripeError(400, f"The currency must be the PaymentIntent's currency, {pi['currency']}.",
                                 code="payment_intent_invalid_parameter", param="currency")
    remaining = _remaining(ctx, pi)
    amount = p.get("amount", remaining)
    if amount > remaining:
        raise errors.StripeError(400, f"The amount ({amount}) is more than the PaymentIntent still needs "
                                 f"({remaining}).", code="amount_too_large", param="amount")
    available = _balance(ctx, pi["customer"])["available"].get(pi["currency"], 0)
    if amount > available:
        raise errors.StripeError(400, f"The customer's cash balance ({available} {pi['currency']}) cannot cover "
                                 f"{amount}.", param="amount")
    _apply(ctx, pi, amount)
    return ctx.render(pi, p.get("expand"))


ROUTES = [
    ("POST", "/v1/test_helpers/customers/{customer}/fund_cash_balance", fund_cash_balance),
    ("POST", "/v1/payment_intents/{intent}/apply_customer_balance", apply_customer_balance),
]
