"""The official stripe library as a client of the reference server."""

from __future__ import annotations

import pytest
import stripe


def test_create_confirm_capture(sdk):
    intent = sdk.v1.payment_intents.create(params={"amount": 2000, "currency": "usd", "capture_method": "manual",
                                                   "payment_method_types": ["card"], "metadata": {"order": "7"}})
    assert intent.status == "requires_payment_method"
    intent = sdk.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert intent.status == "requires_capture" and intent.amount_capturable == 2000
    intent = sdk.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 1500})
    assert (intent.status, intent.amount_received) == ("succeeded", 1500)
    assert sdk.v1.payment_intents.retrieve(intent.id).metadata["order"] == "7"


def test_errors_reach_the_sdk_as_typed_exceptions(sdk):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sdk.v1.payment_intents.retrieve("pi_does_not_exist")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    with pytest.raises(stripe.CardError) as declined:
        sdk.v1.payment_intents.create(params={"amount": 2000, "currency": "usd", "confirm": True,
                                              "payment_method": "pm_card_visa_chargeDeclined",
                                              "payment_method_types": ["card"]})
    assert declined.value.http_status == 402 and declined.value.code == "card_declined"
    assert declined.value.error.payment_intent.status == "requires_payment_method"
