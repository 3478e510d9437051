"""Customers, as far as PaymentIntents need them: create and retrieve (docs.stripe.com/api/customers).

A customer's cash balance (``expand[]=cash_balance``) is kept by
:mod:`reference_impl.resources.customer_balance`.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from reference_impl import ids
from reference_impl.context import Context
from reference_impl.params import EXPAND, Enum, Field, Metadata, Obj, Str, apply_metadata, parse
from reference_impl.resources import customer_balance

KIND = "customer"

CREATE_PARAMS: dict[str, Field] = {
    "email": Str(max_length=512),  # "This may be up to 512 characters."
    "name": Str(max_length=256),
    "description": Str(max_length=5000),
    "phone": Str(max_length=20),
    "metadata": Metadata(),
    "cash_balance": Obj({"settings": Obj({
        "reconciliation_mode": Enum("automatic", "manual", "merchant_default"),
    })}),
    "expand": EXPAND,
}
RETRIEVE_QUERY: dict[str, Field] = {"expand": EXPAND}


def _new(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ids.new_id("cus"), "object": "customer",
        "address": None, "balance": 0, "created": int(time.time()), "currency": None, "default_source": None,
        "delinquent": False, "description": p.get("description"), "discount": None, "email": p.get("email"),
        "invoice_prefix": secrets.token_hex(4).upper(),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                             "rendering_options": None},
        "livemode": False, "metadata": apply_metadata({}, p.get("metadata", {})), "name": p.get("name"),
        "next_invoice_sequence": 1, "phone": p.get("phone"), "preferred_locales": [], "shipping": None,
        "tax_exempt": "none", "test_clock": None,
    }


def create(ctx: Context) -> dict:
    ctx.require_secret()
    p = parse(CREATE_PARAMS, ctx.params)
    customer = _new(p)
    mode = p.get("cash_balance", {}).get("settings", {}).get("reconciliation_mode", "merchant_default")
    customer_balance.open_cash_balance(ctx, customer["id"], mode)
    ctx.collection(KIND).add(customer)
    return _render(ctx, customer, p.get("expand"))


def retrieve(ctx: Context, customer: str) -> dict:
    ctx.require_secret()
    q = parse(RETRIEVE_QUERY, ctx.query)
    return _render(ctx, ctx.require(customer, KIND, "id"), q.get("expand"))


def _render(ctx: Context, customer: dict, expand: list[str] | None) -> dict:
    """``cash_balance`` is shown only when expanded, as Stripe does."""
    others = [path for path in expand or [] if path != "cash_balance"]
    if len(others) == len(expand or []):
        return ctx.render(customer, others)
    return {**ctx.render(customer, others), "cash_balance": customer_balance.cash_balance(ctx, customer["id"])}


ROUTES = [
    ("POST", "/v1/customers", create),
    ("GET", "/v1/customers/{customer}", retrieve),
]
