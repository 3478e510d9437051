"""``serve --db PATH`` keeps what SetupIntents make: attempts, saved payment methods, mandates-in-waiting,
and the charges of PaymentIntents."""

from __future__ import annotations

import pytest
import requests

from conformance.launcher import BundledServer

pytestmark = pytest.mark.slow  # servers restarted

A = {"Authorization": "Bearer sk_test_durable_setup"}
BANK = {"payment_method_types[]": "us_bank_account", "confirm": "true",
        "payment_method_data[type]": "us_bank_account", "payment_method_data[billing_details][name]": "Jenny Rosen",
        "payment_method_data[us_bank_account][routing_number]": "110000000",
        "payment_method_data[us_bank_account][account_number]": "000123456789",
        "mandate_data[customer_acceptance][type]": "offline"}


def post(server, path, form):
    answer = requests.post(server.base_url + path, data=form, headers=A, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def get(server, path, **query):
    answer = requests.get(server.base_url + path, params=query, headers=A, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_restart_keeps_setups_saved_payment_methods_and_charges(tmp_path):
    db = str(tmp_path / "stripe.db")
    with BundledServer(extra_args=("--db", db)) as before:
        customer = post(before, "/v1/customers", {})["id"]
        card = post(before, "/v1/setup_intents", {"customer": customer, "payment_method": "pm_card_visa",
                                                  "confirm": "true"})
        bank = post(before, "/v1/setup_intents", {"customer": customer, **BANK})
        pi = post(before, "/v1/payment_intents", {"amount": 900, "currency": "usd", "payment_method": "pm_card_visa",
                                                  "payment_method_types[]": "card", "confirm": "true"})
        seen = {path: get(before, path) for path in (
            f"/v1/setup_intents/{card['id']}", f"/v1/customers/{customer}/payment_methods",
            f"/v1/charges/{pi['latest_charge']}", f"/v1/payment_methods/{card['payment_method']}")}
        attempts = get(before, "/v1/setup_attempts", setup_intent=card["id"])
    with BundledServer(extra_args=("--db", db)) as after:
        assert {path: get(after, path) for path in seen} == seen
        assert get(after, "/v1/setup_attempts", setup_intent=card["id"]) == attempts
        verified = post(after, f"/v1/setup_intents/{bank['id']}/verify_microdeposits", {"descriptor_code": "SM11AA"})
        assert verified["status"] == "succeeded" and verified["mandate"]
        saved = get(after, f"/v1/customers/{customer}/payment_methods")["data"]
        assert [pm["type"] for pm in saved] == ["us_bank_account", "card"]
