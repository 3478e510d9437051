"""The official stripe library drives the SetupIntent lifecycle on the reference server."""

from __future__ import annotations

import pytest
import stripe


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
