"""The official stripe library drives the SetupIntent lifecycle on the reference server."""

from __future__ import annotations

import pytest
import stripe

BANK_ACCOUNT = {"type": "us_bank_account",
                "us_bank_account": {"routing_number": "110000000", "account_number": "000123456789",
                                    "account_holder_type": "individual"},
                "billing_details": {"name": "Jenny Rosen"}}
MANDATE = {"customer_acceptance": {"type": "online", "online": {"ip_address": "127.0.0.1", "user_agent": "pytest"}}}


def test_create_confirm_and_list_by_payment_method(sdk):
    intent = sdk.v1.setup_intents.create(params={"payment_method_types": ["card"], "usage": "on_session"})
    assert (intent.status, intent.usage) == ("requires_payment_method", "on_session")
    intent = sdk.v1.setup_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert intent.status == "succeeded"
    listed = sdk.v1.setup_intents.list(params={"payment_method": intent.payment_method})
    assert [si.id for si in listed.data] == [intent.id]


def test_decline_and_cancel(sdk):
    intent = sdk.v1.setup_intents.create(params={"payment_method_types": ["card"]})
    with pytest.raises(stripe.CardError) as declined:
        sdk.v1.setup_intents.confirm(intent.id, params={"payment_method": "pm_card_visa_chargeDeclined"})
    assert declined.value.http_status == 402
    assert sdk.v1.setup_intents.retrieve(intent.id).last_setup_error.code == "card_declined"
    canceled = sdk.v1.setup_intents.cancel(intent.id, params={"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.setup_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert refused.value.code == "setup_intent_unexpected_state"


def test_setup_with_a_customer_saves_the_payment_method_to_it(sdk):
    customer = sdk.v1.customers.create()
    intent = sdk.v1.setup_intents.create(params={"customer": customer.id, "payment_method_types": ["card"]})
    intent = sdk.v1.setup_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert intent.status == "succeeded"
    saved = sdk.v1.payment_methods.retrieve(intent.payment_method)
    assert (saved.customer, saved.card.last4) == (customer.id, "4242")
    listed = sdk.v1.customers.payment_methods.list(customer.id, params={"type": "card"})
    assert [pm.id for pm in listed.data] == [saved.id]
    assert sdk.v1.customers.payment_methods.list(customer.id, params={"type": "us_bank_account"}).data == []
    assert [si.id for si in sdk.v1.setup_intents.list(params={"customer": customer.id}).data] == [intent.id]
    attempts = sdk.v1.setup_attempts.list(params={"setup_intent": intent.id})
    assert [(a.id, a.status, a.payment_method) for a in attempts.data] == [
        (intent.latest_attempt, "succeeded", saved.id)]


def test_a_setup_that_needs_authentication_then_is_canceled(sdk):
    customer = sdk.v1.customers.create()
    intent = sdk.v1.setup_intents.create(params={"customer": customer.id, "payment_method": "pm_card_threeDSecure2Required",
                                                 "confirm": True, "return_url": "https://example.com/back"})
    assert (intent.status, intent.next_action.type) == ("requires_action", "redirect_to_url")
    assert sdk.v1.payment_methods.retrieve(intent.payment_method).customer is None
    canceled = sdk.v1.setup_intents.cancel(intent.id, params={"cancellation_reason": "requested_by_customer"})
    assert (canceled.status, canceled.next_action) == ("canceled", None)
    assert sdk.v1.customers.payment_methods.list(customer.id).data == []


def test_a_bank_account_set_up_and_verified_with_microdeposits(sdk):
    customer = sdk.v1.customers.create()
    intent = sdk.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method_types": ["us_bank_account"], "confirm": True,
        "payment_method_data": BANK_ACCOUNT, "mandate_data": MANDATE})
    assert (intent.status, intent.next_action.type) == ("requires_action", "verify_with_microdeposits")
    kind = intent.next_action.verify_with_microdeposits.microdeposit_type
    answer = {"descriptor_code": "SM11AA"} if kind == "descriptor_code" else {"amounts": [32, 45]}
    with pytest.raises(stripe.InvalidRequestError) as both:
        sdk.v1.setup_intents.verify_microdeposits(intent.id, params={"descriptor_code": "SM11AA", "amounts": [32, 45]})
    assert both.value.http_status == 400
    verified = sdk.v1.setup_intents.verify_microdeposits(intent.id, params=answer)
    assert (verified.status, verified.next_action) == ("succeeded", None)
    assert verified.mandate
    listed = sdk.v1.customers.payment_methods.list(customer.id, params={"type": "us_bank_account"})
    assert [pm.id for pm in listed.data] == [verified.payment_method]


def test_the_charge_of_a_payment_intent(sdk):
    intent = sdk.v1.payment_intents.create(params={"amount": 1500, "currency": "jpy", "payment_method": "pm_card_visa",
                                                   "payment_method_types": ["card"], "confirm": True,
                                                   "expand": ["latest_charge"]})
    assert intent.latest_charge.object == "charge"
    charge = sdk.v1.charges.retrieve(intent.latest_charge.id)
    assert (charge.amount, charge.currency, charge.payment_intent, charge.paid) == (1500, "jpy", intent.id, True)
