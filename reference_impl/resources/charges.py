"""Charges: the record of each payment attempt a PaymentIntent makes, and ``GET /v1/charges/{charge}``.

"PaymentIntent confirmation is the most common way to create Charges" (the spec's charge object);
``latest_charge`` names the newest one. Only what the PaymentIntent knows is filled in; fields the
suite has no source for (outcome, balance transaction, receipts) stay null.
"""

from __future__ import annotations

import time
from typing import Any

from reference_impl import ids
from reference_impl.context import Context
from reference_impl.params import EXPAND, Field, parse

KIND = "charge"

RETRIEVE_QUERY: dict[str, Field] = {"expand": EXPAND}


def record(ctx: Context, pi: dict, *, status: str, prefix: str = "ch", error: dict | None = None) -> dict:
    """A new charge of ``pi`` (``status``: succeeded, pending or failed), which becomes its latest_charge."""
    pm = ctx.collection("payment_method").get(pi["payment_method"]) if pi.get("payment_method") else None
    captured = status != "failed" and pi["capture_method"] != "manual"
    charge = {
        "id": ids.new_id(prefix), "object": KIND,
        "amount": pi["amount"], "amount_captured": pi["amount"] if captured and status == "succeeded" else 0,
        "amount_refunded": 0, "application": None, "application_fee": None,
        "application_fee_amount": pi.get("application_fee_amount"), "balance_transaction": None,
        "billing_details": (pm or {}).get("billing_details") or
        {"address": None, "email": None, "name": None, "phone": None},
        "calculated_statement_descriptor": None, "captured": captured, "created": int(time.time()),
        "currency": pi["currency"], "customer": pi.get("customer"), "description": pi.get("description"),
        "disputed": False, "failure_balance_transaction": None,
        "failure_code": error["code"] if error else None, "failure_message": error["message"] if error else None,
        "fraud_details": {}, "livemode": False, "metadata": {}, "on_behalf_of": pi.get("on_behalf_of"),
        "outcome": None, "paid": status == "succeeded", "payment_intent": pi["id"],
        "payment_method": pm["id"] if pm else None, "payment_method_details": _details(pm),
        "receipt_email": pi.get("receipt_email"), "receipt_number": None, "receipt_url": None, "refunded": False,
        "review": None, "shipping": pi.get("shipping"), "source_transfer": None,
        "statement_descriptor": pi.get("statement_descriptor"),
        "statement_descriptor_suffix": pi.get("statement_descriptor_suffix"), "status": status,
        "transfer_data": None, "transfer_group": pi.get("transfer_group"),
    }
    charge["refunds"] = {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{charge['id']}/refunds"}
    ctx.collection(KIND).add(charge)
    pi["latest_charge"] = charge["id"]
    return charge


def _details(pm: dict | None) -> dict[str, Any] | None:
    if pm is None:
        return None
    return {"type": pm["type"], pm["type"]: pm.get(pm["type"])}


def latest(ctx: Context, pi: dict) -> dict | None:
    return ctx.collection(KIND).get(pi["latest_charge"]) if pi.get("latest_charge") else None


def captured(ctx: Context, pi: dict, amount: int) -> None:
    charge = latest(ctx, pi)
    if charge is not None:
        charge.update(captured=True, amount_captured=amount)


def released(ctx: Context, pi: dict) -> None:
    """An uncaptured charge whose PaymentIntent is canceled: "the remaining amount_capturable will
    automatically be refunded" (seed 000)."""
    charge = latest(ctx, pi)
    if charge is not None and not charge["captured"] and charge["status"] == "succeeded":
        charge.update(amount_refunded=charge["amount"], refunded=True)


def amount_changed(ctx: Context, pi: dict) -> None:
    charge = latest(ctx, pi)
    if charge is not None:
        charge["amount"] = pi["amount"]


def retrieve(ctx: Context, charge: str) -> dict:
    ctx.require_secret()
    q = parse(RETRIEVE_QUERY, ctx.query)
    return ctx.render(ctx.require(charge, KIND, "charge"), q.get("expand"))


ROUTES = [
    ("GET", "/v1/charges/{charge}", retrieve),
]
