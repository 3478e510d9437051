"""PaymentMethods saved to Customers: attaching them after a successful setup, and reading them back.

"If you use the SetupIntent with a Customer, it automatically attaches the resulting payment method
to that Customer after successful setup" (seed 002); a PaymentIntent with ``setup_future_usage``
does the same "after the PaymentIntent has been confirmed and any required actions from the user
are complete" (seed 001). "Payment methods attached to other Customers cannot be used with this
SetupIntent" (the spec's ``customer``), nor with a PaymentIntent (seed 001).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from reference_impl import errors
from reference_impl.context import Context
from reference_impl.listing import LIST_PARAMS, page
from reference_impl.params import EXPAND, Enum, Field, parse

KIND = "payment_method"

_TYPES = json.loads(resources.files("reference_impl").joinpath("payment_method_types.json").read_text())
TYPES: tuple[str, ...] = tuple(_TYPES["types"])
EXCLUDABLE_TYPES: tuple[str, ...] = tuple(_TYPES["excludable"])  # a SetupIntent's excluded_payment_method_types
RETRIEVE_QUERY: dict[str, Field] = {"expand": EXPAND}
CUSTOMER_LIST_QUERY: dict[str, Field] = {
    **{k: v for k, v in LIST_PARAMS.items() if k != "created"},  # the spec gives this list no created filter
    "type": Enum(*TYPES),
    "allow_redisplay": Enum("always", "limited", "unspecified"),
}


def attach(ctx: Context, pm_id: str | None, customer: str | None) -> None:
    """Save the PaymentMethod ``pm_id`` to ``customer`` (when both are known)."""
    if not pm_id or not customer:
        return
    pm = ctx.collection(KIND).get(pm_id)
    if pm is not None:
        pm["customer"] = customer


def save_for_future_usage(ctx: Context, pi: dict) -> None:
    """A PaymentIntent confirmed with setup_future_usage saves its payment method to its Customer."""
    if pi.get("setup_future_usage"):
        attach(ctx, pi["payment_method"], pi.get("customer"))


def refuse_other_customers(ctx: Context, intent: dict, label: str) -> None:
    """An intent's payment method may not belong to a Customer other than the intent's."""
    if not intent.get("payment_method"):
        return
    pm = ctx.collection(KIND).get(intent["payment_method"])
    if pm is not None and pm.get("customer") and pm["customer"] != intent.get("customer"):
        raise errors.StripeError(
            400, f"The provided PaymentMethod {pm['id']} is attached to another Customer: payment methods attached "
            f"to other Customers cannot be used with this {label}.", param="payment_method")


def retrieve(ctx: Context, payment_method: str) -> dict:
    ctx.require_secret()
    q = parse(RETRIEVE_QUERY, ctx.query)
    return ctx.render(ctx.require(payment_method, KIND, "payment_method"), q.get("expand"))


def list_for_customer(ctx: Context, customer: str) -> dict:
    ctx.require_secret()
    q = parse(CUSTOMER_LIST_QUERY, ctx.query)
    ctx.check_expand(q.get("expand"), prefix="data.")
    ctx.require(customer, "customer", "customer")
    wanted: dict[str, Any] = {"customer": customer, **{k: q[k] for k in ("type", "allow_redisplay") if k in q}}
    result = page(ctx.collection(KIND), q, f"/v1/customers/{customer}/payment_methods", KIND,
                  keep=lambda pm: all(pm.get(k, "unspecified" if k == "allow_redisplay" else None) == v
                                      for k, v in wanted.items()))
    result["data"] = [ctx.render(pm, q.get("expand"), prefix="data.") for pm in result["data"]]
    return result


def retrieve_for_customer(ctx: Context, customer: str, payment_method: str) -> dict:
    ctx.require_secret()
    q = parse(RETRIEVE_QUERY, ctx.query)
    ctx.require(customer, "customer", "customer")
    pm = ctx.collection(KIND).get(payment_method)
    if pm is None or pm.get("customer") != customer:
        raise errors.resource_missing(KIND, payment_method, "payment_method")
    return ctx.render(pm, q.get("expand"))


ROUTES = [
    ("GET", "/v1/payment_methods/{payment_method}", retrieve),
    ("GET", "/v1/customers/{customer}/payment_methods", list_for_customer),
    ("GET", "/v1/customers/{customer}/payment_methods/{payment_method}", retrieve_for_customer),
]
