"""What the fuzz tests found in the reference server, fixed there; each answer is Stripe's documented one."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import requests

from conformance.launcher import DEFAULT_SECRET_KEY

HEADERS = {"Authorization": f"Bearer {DEFAULT_SECRET_KEY}", "Content-Type": "application/x-www-form-urlencoded"}


def call(server, method: str, path: str, body: bytes | str = b"") -> requests.Response:
    return requests.request(method, server.base_url + path, data=body, headers=HEADERS, timeout=10)


@pytest.mark.parametrize(("method", "query", "body"), [
    ("GET", "?=", b""),                  # a query parameter without a name
    ("POST", "", b"=x&amount=100"),      # a body pair without a name
    ("POST", "", b"description=%ff%fe"),  # not UTF-8
])
def test_input_naming_no_parameter_is_refused_without_a_parameter_code(reference_server, method, query, body):
    answer = call(reference_server, method, "/v1/payment_intents" + query, body)
    error = answer.json()["error"]
    assert answer.status_code == 400
    assert error["type"] == "invalid_request_error" and error["message"]
    assert "param" not in error and not error.get("code", "").startswith("parameter_")


@pytest.mark.parametrize(("path", "body", "param"), [
    # The spec gives these create parameters no empty ("unset") alternative.
    ("/v1/payment_intents", "amount=100&currency=usd&description=", "description"),
    ("/v1/payment_intents", "amount=100&currency=usd&receipt_email=", "receipt_email"),
    ("/v1/payment_intents", "amount=100&currency=usd&shipping=", "shipping"),
    ("/v1/payment_intents", "amount=100&currency=usd&metadata=", "metadata"),
    ("/v1/setup_intents", "metadata=", "metadata"),
    ("/v1/setup_intents", "description=", "description"),
])
def test_an_empty_value_where_nothing_can_be_unset_is_parameter_invalid_empty(reference_server, path, body, param):
    answer = call(reference_server, "POST", path, body)
    assert answer.status_code == 400
    assert answer.json()["error"] | {"code": "parameter_invalid_empty", "param": param} == answer.json()["error"]


@pytest.mark.parametrize(("body", "param"), [
    ("shipping[address][line1]=1 Main St", "shipping[name]"),
    ("shipping[name]=Jenny", "shipping[address]"),
    ("automatic_payment_methods[allow_redirects]=never", "automatic_payment_methods[enabled]"),
    ("payment_method_options[customer_balance][bank_transfer][requested_address_types][]=iban",
     "payment_method_options[customer_balance][bank_transfer][type]"),
])
def test_a_missing_required_key_of_a_hash_is_parameter_missing_naming_it(reference_server, body, param):
    answer = call(reference_server, "POST", "/v1/payment_intents", f"amount=100&currency=usd&{body}")
    assert answer.status_code == 400
    assert answer.json()["error"] | {"code": "parameter_missing", "param": param} == answer.json()["error"]


def test_an_unset_payment_method_option_is_not_shown(reference_server):
    created = call(reference_server, "POST", "/v1/payment_intents",
                   "amount=100&currency=usd&payment_method_options[card][capture_method]=manual").json()
    assert created["payment_method_options"]["card"]["capture_method"] == "manual"
    updated = call(reference_server, "POST", f"/v1/payment_intents/{created['id']}",
                   "payment_method_options[card][capture_method]=").json()
    assert "capture_method" not in updated["payment_method_options"]["card"]


def test_a_customer_s_expandable_attributes_expand_even_twice(reference_server):
    customer = call(reference_server, "POST", "/v1/customers", "email=fuzz@example.com").json()
    answer = call(reference_server, "GET", f"/v1/customers/{customer['id']}?expand[]=default_source"
                  "&expand[]=cash_balance&expand[]=test_clock&expand[]=cash_balance")
    assert answer.status_code == 200, answer.text
    assert answer.json()["default_source"] is None and answer.json()["cash_balance"]["object"] == "cash_balance"


def test_a_setup_intent_s_automatic_payment_methods_needs_enabled(reference_server):
    answer = call(reference_server, "POST", "/v1/setup_intents", "automatic_payment_methods[allow_redirects]=never")
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "automatic_payment_methods[enabled]"


def test_the_closing_lines_add_up_every_process_s_counts():
    from conformance.fuzz.stats import Stats

    worker = Stats(statuses=Counter({200: 3, 400: 5}), sequences=2, reached=Counter({"succeeded": 1}),
                   positive=Counter({"sent": 4, "accepted": 2}))
    other = Stats(statuses=Counter({400: 1, 404: 2}), sequences=1, reached=Counter({"succeeded": 1, "canceled": 1}),
                  positive=Counter({"sent": 2, "accepted": 1}))
    total = Stats.merged([json.loads(json.dumps(worker.part())), json.loads(json.dumps(other.part()))])
    assert total.lines(7) == [
        "fuzz: 11 requests sent (200: 3, 400: 6, 404: 2); seed 7 (replay with --seed 7)",
        "fuzz: 3 of 6 valid generated requests accepted (50%)",
        "fuzz: 3 stateful sequences; PaymentIntent statuses reached: canceled: 1, succeeded: 2",
    ]
