"""US bank accounts (ACH Direct Debit): the PaymentMethod, the payment attempt, microdeposit verification.

Follows docs.stripe.com/payments/ach-direct-debit/accept-a-payment: a bank account entered by
number is verified with microdeposits, so confirming leaves the PaymentIntent in
``requires_action`` with ``next_action.type = verify_with_microdeposits`` until
``POST /v1/payment_intents/{intent}/verify_microdeposits`` succeeds ("Stripe returns the
PaymentIntent object with a status of processing") or fails too often ("status is
requires_payment_method, and last_payment_error is set"). The test values and limits are data
in ``test_payment_methods.json``.
"""

from __future__ import annotations

import re
import time
from typing import Any

from reference_impl import errors, ids
from reference_impl.context import Context
from reference_impl.params import EXPAND, AnyHash, Array, Enum, Field, Int, Metadata, Obj, Str, parse, parse_fields
from reference_impl.payment_methods import MICRODEPOSITS, TEST_BANK_ACCOUNTS
from reference_impl.resources import charges, charging, payment_intents, saved_payment_methods
from reference_impl.resources.charging import HIDDEN
from reference_impl.resources.payment_intents import ADDRESS, KIND

TYPE = "us_bank_account"
VERIFICATION_DAYS = 10  # "microdeposit verifications have a timeout of 10 days"
ARRIVAL_DAYS = 2  # "These deposits take 1-2 business days to appear on the customer's online statement."

PAYMENT_METHOD_DATA: dict[str, Field] = {
    "type": Enum(TYPE),
    "us_bank_account": Obj({
        "account_number": Str(max_length=5000),
        "routing_number": Str(max_length=5000),
        "account_holder_type": Enum("company", "individual"),
        "account_type": Enum("checking", "savings"),
    }),
    "billing_details": Obj({"address": ADDRESS, "email": Str(), "name": Str(), "phone": Str()}),
    "metadata": Metadata(),
}
VERIFY_PARAMS: dict[str, Field] = {
    "amounts": Array(Int(minimum=1)),
    "descriptor_code": Str(max_length=5000),
    "client_secret": Str(),
    "expand": EXPAND,
}
ACCEPTANCE = Obj({"type": Enum("offline", "online"), "accepted_at": Int(), "offline": AnyHash(),
                  "online": Obj({"ip_address": Str(), "user_agent": Str()})})
MANDATE_DATA: dict[str, Field] = {"customer_acceptance": ACCEPTANCE}

MISMATCH = {
    "descriptor_code": "payment_method_microdeposit_verification_descriptor_code_mismatch",
    "amounts": "payment_method_microdeposit_verification_amounts_mismatch",
}
FAILURES = {
    "attempts_exceeded": ("payment_method_microdeposit_verification_attempts_exceeded",
                          "You have exceeded the number of allowed verification attempts."),
    "timeout": ("payment_method_microdeposit_verification_timeout",
                "Payment method should be verified with microdeposits within the required period."),
}


# ---------------------------------------------------------------- the PaymentMethod


def build_payment_method(ctx: Context, data: dict) -> dict:
    """``payment_method_data[type]=us_bank_account``: a bank account entered by its numbers."""
    p = parse_fields(PAYMENT_METHOD_DATA, data, prefix="payment_method_data")
    account = p.get("us_bank_account") or {}
    for name in ("routing_number", "account_number"):
        if not account.get(name):
            raise errors.parameter_missing(f"payment_method_data[us_bank_account][{name}]")
    if not re.fullmatch(r"\d{9}", account["routing_number"]):
        raise errors.parameter_invalid("payment_method_data[us_bank_account][routing_number]",
                                       "Routing number must have 9 digits.")
    if not re.fullmatch(r"\d{4,17}", account["account_number"]):
        raise errors.parameter_invalid("payment_method_data[us_bank_account][account_number]",
                                       "Account number must have between 4 and 17 digits.")
    billing = p.get("billing_details") or {}
    # "Including the account holder's name in the billing_details parameter is required to create
    # an ACH Direct Debit PaymentMethod."
    if not billing.get("name"):
        raise errors.parameter_missing("payment_method_data[billing_details][name]")
    return _bank_account(account, billing)


def _bank_account(account: dict, billing: dict) -> dict:
    test_account = TEST_BANK_ACCOUNTS.get(account["account_number"])
    return {
        HIDDEN: {"test_account": account["account_number"]} if test_account else {},
        "billing_details": {"address": billing.get("address"), "email": billing.get("email"),
                            "name": billing.get("name"), "phone": billing.get("phone")},
        "us_bank_account": {
            "account_holder_type": account.get("account_holder_type", "individual"),
            "account_type": account.get("account_type", "checking"), "bank_name": "STRIPE TEST BANK",
            "financial_connections_account": None, "fingerprint": ids.token(16),
            "last4": account["account_number"][-4:], "networks": {"preferred": "ach", "supported": ["ach"]},
            "routing_number": account["routing_number"], "status_details": None,
        },
    }


# ---------------------------------------------------------------- confirming


def attempt(ctx: Context, pi: dict, how: dict[str, Any]) -> None:
    """A bank account entered by number cannot be verified instantly: microdeposits are sent."""
    require_mandate(how, payment_intent=pi)
    options = pi["payment_method_options"].get(TYPE, {})
    if options.get("verification_method") == "instant":
        error = {"type": "invalid_request_error", "payment_method": how["pm"],
                 "message": "This bank account could not be verified instantly; collect it with Financial "
                            "Connections or allow microdeposit verification."}
        charging.fail_attempt(pi, error)
        raise errors.StripeError(400, error["message"], param=f"payment_method_options[{TYPE}][verification_method]",
                                 payment_intent=pi)
    send_microdeposits(ctx, pi)


def send_microdeposits(ctx: Context, intent: dict) -> None:
    """Either intent waits in requires_action until the customer reports the microdeposits."""
    now = int(time.time())
    kind = MICRODEPOSITS["type"]
    ctx.internal(intent["id"])["microdeposits"] = {"type": kind, "failures": 0,
                                                  "expires": now + VERIFICATION_DAYS * 86400}
    intent["status"] = "requires_action"
    intent["next_action"] = {"type": "verify_with_microdeposits", "verify_with_microdeposits": {
        "arrival_date": now + ARRIVAL_DAYS * 86400, "microdeposit_type": kind,
        "hosted_verification_url": f"https://payments.stripe.com/microdeposit/pacs_test_{ids.token()}"}}


def require_mandate(how: dict[str, Any], **intent: dict) -> None:
    """A bank debit needs the customer's mandate: an existing one, or its acceptance in ``mandate_data``."""
    if how.get("mandate"):
        return
    label = "PaymentIntent" if "payment_intent" in intent else "SetupIntent"
    if not how.get("mandate_data"):
        raise errors.StripeError(
            400, f"This {label} requires a mandate, but no existing mandate was found. Collect mandate "
            "acceptance from the customer and try again, providing acceptance data in the mandate_data parameter.",
            **intent)
    acceptance = parse_fields(MANDATE_DATA, how["mandate_data"], prefix="mandate_data").get("customer_acceptance")
    if not acceptance or not acceptance.get("type"):
        raise errors.parameter_missing("mandate_data[customer_acceptance][type]")


# ---------------------------------------------------------------- verifying (both kinds of intent)


def verify_microdeposits(ctx: Context, intent: str) -> dict:
    p = parse(VERIFY_PARAMS, ctx.params)
    pi = ctx.require(intent, KIND, "intent")
    if ctx.caller.publishable and p.get("client_secret") != pi["client_secret"]:
        raise errors.resource_missing(KIND, intent, "intent")
    outcome = verification_outcome(ctx, pi, KIND, p)
    if outcome == "verified":
        pi.update(status="processing", next_action=None)
        charges.record(ctx, pi, status="pending", prefix="py")
        saved_payment_methods.save_for_future_usage(ctx, pi)
        return ctx.render(pi, p.get("expand"))
    error = failure(ctx, pi, outcome)
    charging.fail_attempt(pi, error)
    if outcome == "timeout":
        return ctx.render(pi, p.get("expand"))
    raise errors.StripeError(400, error["message"], code=error["code"], payment_intent=pi)


def verification_outcome(ctx: Context, intent: dict, kind: str, p: dict[str, Any]) -> str:
    """What the submitted microdeposits do: "verified", or verification over ("timeout",
    "attempts_exceeded"); a mismatch that leaves attempts is raised as its 400."""
    pending = ctx.internal(intent["id"]).get("microdeposits")
    if intent["status"] != "requires_action" or pending is None:
        raise errors.unexpected_state(kind, intent, "verified", ("requires_action",))
    submitted, value = _submitted(p, pending["type"])
    outcome = next((name for name, values in MICRODEPOSITS["outcomes"].items() if values[submitted] == value), None)
    if outcome == "verified":
        ctx.internal(intent["id"]).pop("microdeposits")
        return outcome
    if outcome == "timeout" or int(time.time()) > pending["expires"]:
        return "timeout"
    pending["failures"] += 1
    if outcome == "attempts_exceeded" or pending["failures"] >= MICRODEPOSITS["failure_limits"][submitted]:
        return "attempts_exceeded"
    remaining = MICRODEPOSITS["failure_limits"][submitted] - pending["failures"]
    raise errors.StripeError(400, f"The {submitted.replace('_', ' ')} provided does not match the one sent to the "
                             f"bank account. You have {remaining} verification attempts remaining.",
                             code=MISMATCH[submitted])


def _submitted(p: dict[str, Any], expected: str) -> tuple[str, Any]:
    """Which verification the caller sent, and its value: exactly one of amounts or descriptor_code."""
    given = [name for name in ("amounts", "descriptor_code") if name in p]
    if len(given) == 2:
        raise errors.StripeError(400, "Provide either amounts or descriptor_code, not both.",
                                 code="parameters_exclusive", param="amounts")
    if not given:
        raise errors.StripeError(400, f"Missing required param: {expected}.", code="parameter_missing",
                                 param=expected)
    kind = given[0]
    if kind == "amounts" and len(p["amounts"]) != 2:
        raise errors.StripeError(400, "You must provide exactly two microdeposit amounts.",
                                 code="payment_method_microdeposit_verification_amounts_invalid", param="amounts")
    if kind != expected:
        raise errors.StripeError(400, f"This bank account is verified with a {expected.replace('_', ' ')}; "
                                 f"provide {expected} instead.", param=kind)
    return kind, p[kind]


def failure(ctx: Context, intent: dict, outcome: str) -> dict:
    """The error of a verification that can no longer succeed: the intent needs a new payment method."""
    code, message = FAILURES[outcome]
    ctx.internal(intent["id"]).pop("microdeposits", None)
    return {"type": "invalid_request_error", "code": code, "message": message,
            "doc_url": errors.DOC_URL + code.replace("_", "-"),
            "payment_method": ctx.collection("payment_method").get(intent["payment_method"])}


def _test_payment_method(number: str, spec: dict):
    """``pm_usBankAccount_processing`` and the like: a fresh bank account PaymentMethod with that test account."""
    def build(ctx: Context) -> dict:
        data = {"type": TYPE, "us_bank_account": {"account_number": number, "routing_number": spec["routing_number"]}}
        return charging.payment_method_from_data(ctx, data, _bank_account(data["us_bank_account"], {}))
    return build


def cancelable_while_processing(ctx: Context, pi: dict) -> bool:
    """Cancel "in rare cases, processing" (seed 000): the test account documented as "Useful for testing
    PaymentIntent cancellation"."""
    number = ctx.internal(pi["payment_method"]).get("test_account") if pi.get("payment_method") else None
    return bool(number and TEST_BANK_ACCOUNTS[number].get("cancelable_while_processing"))


charging.ATTEMPTS[TYPE] = attempt
charging.PAYMENT_METHOD_BUILDERS[TYPE] = build_payment_method
payment_intents.CANCELABLE_WHILE_PROCESSING = cancelable_while_processing
charging.TEST_PAYMENT_METHODS.update({spec["pm"]: _test_payment_method(number, spec)
                                      for number, spec in TEST_BANK_ACCOUNTS.items()})

ROUTES = [
    ("POST", "/v1/payment_intents/{intent}/verify_microdeposits", verify_microdeposits),
]
