"""SetupIntents, the payment methods they save and the charges PaymentIntents make, over HTTP on the
reference server: each answer checked against its schema, each refusal with Stripe's envelope and
nothing stored changed."""

from __future__ import annotations

import pytest

from conformance import schemas

BANK = {"type": "us_bank_account", "billing_details": {"name": "Jenny Rosen"},
        "us_bank_account": {"routing_number": "110000000", "account_number": "000123456789"}}
MANDATE = {"customer_acceptance": {"type": "offline"}}


def ok(exchange, schema: str | None = None) -> dict:
    assert exchange.status == 200, exchange.describe()
    if schema:
        assert schemas.errors(schema, exchange.body) == [], exchange.describe()
    return exchange.body


def refused(exchange, status: int = 400, code: str | None = None, param: str | None = None) -> dict:
    assert exchange.status == status, exchange.describe()
    assert schemas.errors("error", exchange.body) == []
    error = exchange.body["error"]
    assert error["type"] and error["message"]
    if code:
        assert error.get("code") == code, exchange.describe()
    if param:
        assert error.get("param") == param, exchange.describe()
    return error


@pytest.fixture
def customer(client):
    return ok(client.send("POST", "/v1/customers"))["id"]


def _setup(client, **form) -> dict:
    return ok(client.send("POST", "/v1/setup_intents", form=form), "setup_intent")


def _bank_setup(client, customer: str) -> dict:
    return _setup(client, customer=customer, payment_method_types=["us_bank_account"], confirm="true",
                  payment_method_data=BANK, mandate_data=MANDATE)


def _get(client, path: str, schema: str | None = None, **query) -> dict:
    return ok(client.send("GET", path, query=query or None), schema)


def test_a_successful_setup_saves_the_payment_method_and_records_the_attempt(client, customer):
    si = _setup(client, customer=customer, payment_method="pm_card_visa", confirm="true",
                expand=["latest_attempt", "payment_method"])
    assert si["status"] == "succeeded" and si["last_setup_error"] is None
    assert si["payment_method"]["customer"] == customer
    assert (si["latest_attempt"]["status"], si["latest_attempt"]["setup_intent"]) == ("succeeded", si["id"])
    pm = _get(client, f"/v1/payment_methods/{si['payment_method']['id']}", "payment_method")
    assert pm["customer"] == customer
    listed = _get(client, f"/v1/customers/{customer}/payment_methods", "payment_method_list")
    assert [p["id"] for p in listed["data"]] == [pm["id"]]
    one = _get(client, f"/v1/customers/{customer}/payment_methods/{pm['id']}", "payment_method")
    assert one["id"] == pm["id"]
    attempts = _get(client, "/v1/setup_attempts", "setup_attempt_list", setup_intent=si["id"])
    assert [a["id"] for a in attempts["data"]] == [si["latest_attempt"]["id"]]


def test_a_decline_is_a_failed_attempt_and_saves_nothing(client, customer):
    si = _setup(client, customer=customer)
    error = refused(client.send("POST", f"/v1/setup_intents/{si['id']}/confirm",
                                form={"payment_method": "pm_card_chargeDeclinedInsufficientFunds"}), 402,
                    "card_declined")
    assert error["decline_code"] == "insufficient_funds"
    after = _get(client, f"/v1/setup_intents/{si['id']}", "setup_intent", expand=["latest_attempt"])
    assert after["status"] == "requires_payment_method" and after["last_setup_error"]["code"] == "card_declined"
    assert after["latest_attempt"]["status"] == "failed"
    assert after["latest_attempt"]["setup_error"]["decline_code"] == "insufficient_funds"
    assert _get(client, f"/v1/customers/{customer}/payment_methods")["data"] == []
    retried = ok(client.send("POST", f"/v1/setup_intents/{si['id']}/confirm", form={"payment_method": "pm_card_visa"}))
    assert retried["status"] == "succeeded" and retried["last_setup_error"] is None
    attempts = _get(client, "/v1/setup_attempts", setup_intent=si["id"], limit=1)
    assert attempts["has_more"] and attempts["data"][0]["id"] == retried["latest_attempt"]


def test_customer_payment_methods_page_and_filter_by_type(client, customer):
    made = [_setup(client, customer=customer, payment_method="pm_card_visa", confirm="true")["payment_method"]
            for _ in range(3)]
    first = _get(client, f"/v1/customers/{customer}/payment_methods", limit=2, type="card")
    assert [p["id"] for p in first["data"]] == made[:0:-1] and first["has_more"]
    rest = _get(client, f"/v1/customers/{customer}/payment_methods", starting_after=made[1])
    assert [p["id"] for p in rest["data"]] == [made[0]] and not rest["has_more"]
    assert _get(client, f"/v1/customers/{customer}/payment_methods", type="sepa_debit")["data"] == []
    refused(client.send("GET", f"/v1/customers/{customer}/payment_methods", query={"type": "bogus"}), param="type")
    refused(client.send("GET", "/v1/customers/cus_missing/payment_methods"), 404, "resource_missing")


def test_setup_intent_lists_filter_by_customer_and_attach_to_self(client, customer):
    mine = _setup(client, customer=customer)
    own = _setup(client, attach_to_self="true")
    by_customer = _get(client, "/v1/setup_intents", "setup_intent_list", customer=customer)
    assert [si["id"] for si in by_customer["data"]] == [mine["id"]]
    attached = _get(client, "/v1/setup_intents", attach_to_self="true", limit=100)
    assert own["id"] in {si["id"] for si in attached["data"]} and mine["id"] not in {si["id"] for si in attached["data"]}
    created = _get(client, "/v1/setup_intents", customer=customer, created={"gte": mine["created"]})
    assert [si["id"] for si in created["data"]] == [mine["id"]]


def test_a_bank_account_setup_is_verified_with_microdeposits(client, customer):
    si = _bank_setup(client, customer)
    assert si["status"] == "requires_action" and si["next_action"]["type"] == "verify_with_microdeposits"
    path = f"/v1/setup_intents/{si['id']}/verify_microdeposits"
    refused(client.send("POST", path, form={"descriptor_code": "SM11AA", "amounts": [32, 45]}), code="parameters_exclusive")
    refused(client.send("POST", path, form={"descriptor_code": "SM99ZZ"}),
            code="payment_method_microdeposit_verification_descriptor_code_mismatch")
    assert _get(client, f"/v1/setup_intents/{si['id']}")["status"] == "requires_action"
    pk = client.keys.publishable
    refused(client.send("POST", path, form={"descriptor_code": "SM11AA"}, key=pk), 404, "resource_missing")
    done = ok(client.send("POST", path, form={"descriptor_code": "SM11AA", "client_secret": si["client_secret"]},
                          key=pk))
    assert done["status"] == "succeeded" and "customer" not in done
    after = _get(client, f"/v1/setup_intents/{si['id']}", "setup_intent", expand=["latest_attempt"])
    assert after["mandate"] and after["latest_attempt"]["status"] == "succeeded"
    assert [p["type"] for p in _get(client, f"/v1/customers/{customer}/payment_methods")["data"]] == ["us_bank_account"]
    refused(client.send("POST", path, form={"descriptor_code": "SM11AA"}), code="setup_intent_unexpected_state")


def test_too_many_microdeposit_failures_end_the_setup(client, customer):
    si = _bank_setup(client, customer)
    refused(client.send("POST", f"/v1/setup_intents/{si['id']}/verify_microdeposits", form={"descriptor_code": "SM33CC"}),
            code="payment_method_microdeposit_verification_attempts_exceeded")
    after = _get(client, f"/v1/setup_intents/{si['id']}", "setup_intent")
    assert after["status"] == "requires_payment_method"
    assert after["last_setup_error"]["code"] == "payment_method_microdeposit_verification_attempts_exceeded"


def test_a_bank_account_setup_needs_a_mandate(client, customer):
    si = _setup(client, customer=customer, payment_method_types=["us_bank_account"], payment_method_data=BANK)
    refused(client.send("POST", f"/v1/setup_intents/{si['id']}/confirm"))
    assert _get(client, f"/v1/setup_intents/{si['id']}")["status"] == "requires_confirmation"


def test_authentication_then_cancel_from_each_cancelable_status(client):
    action = _setup(client, payment_method="pm_card_authenticationRequired", confirm="true")
    assert action["status"] == "requires_action" and action["next_action"]["type"] == "use_stripe_sdk"
    confirmation = _setup(client, payment_method="pm_card_visa")
    assert confirmation["status"] == "requires_confirmation"
    fresh = _setup(client)
    for si, reason in ((action, "abandoned"), (confirmation, "duplicate"), (fresh, "requested_by_customer")):
        refused(client.send("POST", f"/v1/setup_intents/{si['id']}/cancel", form={"cancellation_reason": "fraudulent"}),
                param="cancellation_reason")
        canceled = ok(client.send("POST", f"/v1/setup_intents/{si['id']}/cancel", form={"cancellation_reason": reason}))
        assert (canceled["status"], canceled["cancellation_reason"]) == ("canceled", reason)
        for path, form in (("", {"description": "late"}), ("/confirm", {}), ("/cancel", {})):
            refused(client.send("POST", f"/v1/setup_intents/{si['id']}{path}", form=form or None),
                    code="setup_intent_unexpected_state")


def test_create_refusals_store_nothing(client, customer):
    before = _get(client, "/v1/setup_intents", customer=customer)["data"]
    refused(client.send("POST", "/v1/setup_intents", form={"customer": customer, "return_url": "https://x.test"}),
            param="return_url")
    refused(client.send("POST", "/v1/setup_intents", form={"customer": customer, "attach_to_self": "true"}),
            param="attach_to_self")
    refused(client.send("POST", "/v1/setup_intents", form={"customer": customer, "confirm": "true"}),
            code="setup_intent_unexpected_state")
    refused(client.send("POST", "/v1/setup_intents", form={"customer": customer, "single_use": {"amount": "100"}}),
            code="parameter_missing", param="single_use[currency]")
    assert _get(client, "/v1/setup_intents", customer=customer)["data"] == before


def test_another_customer_s_payment_method_is_refused(client, customer):
    other = ok(client.send("POST", "/v1/customers"))["id"]
    saved = _setup(client, customer=other, payment_method="pm_card_visa", confirm="true")["payment_method"]
    si = _setup(client, customer=customer)
    refused(client.send("POST", f"/v1/setup_intents/{si['id']}", form={"payment_method": saved}), param="payment_method")
    assert _get(client, f"/v1/setup_intents/{si['id']}")["payment_method"] is None
    reused = _setup(client, customer=other, payment_method=saved, confirm="true")
    assert reused["status"] == "succeeded"


def test_update_sets_and_unsets(client, customer):
    si = _setup(client, payment_method="pm_card_visa", metadata={"a": "1"})
    updated = ok(client.send("POST", f"/v1/setup_intents/{si['id']}", form={
        "customer": customer, "description": "for later", "metadata": {"a": "", "b": "2"}, "payment_method": ""}),
        "setup_intent")
    assert (updated["customer"], updated["description"], updated["metadata"]) == (customer, "for later", {"b": "2"})
    assert (updated["payment_method"], updated["status"]) == (None, "requires_payment_method")


def test_a_publishable_key_confirms_and_sees_a_subset(client):
    si = _setup(client, customer=ok(client.send("POST", "/v1/customers"))["id"])
    pk = client.keys.publishable
    path = f"/v1/setup_intents/{si['id']}/confirm"
    refused(client.send("POST", path, form={"payment_method": "pm_card_visa", "client_secret": "seti_x_secret_y"},
                        key=pk), 404)
    done = ok(client.send("POST", path, form={"payment_method": "pm_card_visa", "client_secret": si["client_secret"]},
                          key=pk))
    assert done["status"] == "succeeded" and "customer" not in done and "metadata" not in done
    refused(client.send("GET", "/v1/setup_attempts", query={"setup_intent": si["id"]}, key=pk), 401)


def test_setup_attempts_need_a_setup_intent(client):
    refused(client.send("GET", "/v1/setup_attempts"), code="parameter_missing", param="setup_intent")


def test_setup_future_usage_saves_the_payment_method(client, customer):
    pi = ok(client.send("POST", "/v1/payment_intents", form={
        "amount": "2000", "currency": "usd", "customer": customer, "payment_method": "pm_card_visa",
        "setup_future_usage": "off_session", "confirm": "true", "payment_method_types": ["card"]}), "payment_intent")
    assert _get(client, f"/v1/payment_methods/{pi['payment_method']}")["customer"] == customer
    plain = ok(client.send("POST", "/v1/payment_intents", form={
        "amount": "2000", "currency": "usd", "customer": customer, "payment_method": "pm_card_visa",
        "confirm": "true", "payment_method_types": ["card"]}))
    assert _get(client, f"/v1/payment_methods/{plain['payment_method']}")["customer"] is None


def test_the_charge_follows_capture_and_cancel(client):
    form = {"amount": "5000", "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true",
            "capture_method": "manual", "payment_method_types": ["card"]}
    captured = ok(client.send("POST", "/v1/payment_intents", form=form))
    charge = _get(client, f"/v1/charges/{captured['latest_charge']}", "charge")
    assert (charge["captured"], charge["amount_captured"], charge["status"]) == (False, 0, "succeeded")
    ok(client.send("POST", f"/v1/payment_intents/{captured['id']}/capture", form={"amount_to_capture": "3000"}))
    charge = _get(client, f"/v1/charges/{captured['latest_charge']}", "charge")
    assert (charge["captured"], charge["amount_captured"]) == (True, 3000)
    released = ok(client.send("POST", "/v1/payment_intents", form=form))
    ok(client.send("POST", f"/v1/payment_intents/{released['id']}/cancel"))
    charge = _get(client, f"/v1/payment_intents/{released['id']}", expand=["latest_charge"])["latest_charge"]
    assert (charge["refunded"], charge["amount_refunded"]) == (True, 5000)
    refused(client.send("GET", "/v1/charges/ch_missing"), 404, "resource_missing")


def test_a_declined_payment_leaves_a_failed_charge(client):
    error = refused(client.send("POST", "/v1/payment_intents", form={
        "amount": "5000", "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": "true",
        "payment_method_types": ["card"]}), 402, "card_declined")
    charge = _get(client, f"/v1/charges/{error['charge']}", "charge")
    assert (charge["status"], charge["paid"], charge["failure_code"]) == ("failed", False, "card_declined")


def test_a_saved_payment_method_pays_off_session_for_its_customer_only(client, customer):
    saved = _setup(client, customer=customer, payment_method="pm_card_visa", confirm="true")["payment_method"]
    form = {"amount": "1200", "currency": "usd", "payment_method": saved, "off_session": "true", "confirm": "true",
            "payment_method_types": ["card"]}
    paid = ok(client.send("POST", "/v1/payment_intents", form={**form, "customer": customer}), "payment_intent")
    assert (paid["status"], paid["payment_method"]) == ("succeeded", saved)
    other = ok(client.send("POST", "/v1/customers"))["id"]
    refused(client.send("POST", "/v1/payment_intents", form={**form, "customer": other}), param="payment_method")


def test_a_single_use_bank_account_setup_makes_a_single_use_mandate(client, customer):
    si = _setup(client, customer=customer, payment_method_types=["us_bank_account"], confirm="true",
                payment_method_data=BANK, mandate_data=MANDATE, single_use={"amount": "1000", "currency": "usd"})
    done = ok(client.send("POST", f"/v1/setup_intents/{si['id']}/verify_microdeposits",
                          form={"descriptor_code": "SM11AA"}), "setup_intent")
    assert done["status"] == "succeeded" and done["single_use_mandate"] and done["mandate"] is None


def test_a_microdeposit_timeout_needs_a_new_payment_method(client, customer):
    si = _bank_setup(client, customer)
    late = ok(client.send("POST", f"/v1/setup_intents/{si['id']}/verify_microdeposits",
                          form={"descriptor_code": "SM44DD"}), "setup_intent")
    assert late["status"] == "requires_payment_method"
    assert late["last_setup_error"]["code"] == "payment_method_microdeposit_verification_timeout"
    assert _get(client, f"/v1/customers/{customer}/payment_methods")["data"] == []


@pytest.mark.parametrize(("path", "query"), [("/v1/payment_intents", None), ("/v1/setup_intents", None),
                                             ("/v1/payment_intents/search", {"query": "status:'succeeded'"})])
def test_a_publishable_key_lists_and_searches_nothing(client, path, query):
    refused(client.send("GET", path, query=query, key=client.keys.publishable), 401, "secret_key_required")


@pytest.mark.parametrize(("payment_method", "cancelable"), [
    ({"payment_method": "pm_usBankAccount_processing"}, True),
    ({"payment_method_data": {**BANK, "us_bank_account": {"routing_number": "110000000",
                                                         "account_number": "000000000009"}}}, True),
    ({"payment_method_data": BANK}, False),
])
def test_only_the_documented_test_account_cancels_while_processing(client, payment_method, cancelable):
    pi = ok(client.send("POST", "/v1/payment_intents", form={
        "amount": "1500", "currency": "usd", "payment_method_types": ["us_bank_account"], "confirm": "true",
        "mandate_data": MANDATE, **payment_method}))
    assert pi["status"] == "requires_action"
    pi = ok(client.send("POST", f"/v1/payment_intents/{pi['id']}/verify_microdeposits", form={"descriptor_code": "SM11AA"}))
    assert pi["status"] == "processing"
    answer = client.send("POST", f"/v1/payment_intents/{pi['id']}/cancel")
    if cancelable:
        assert ok(answer, "payment_intent")["status"] == "canceled"
    else:
        refused(answer, code="payment_intent_unexpected_state")
        assert _get(client, f"/v1/payment_intents/{pi['id']}")["status"] == "processing"


# payment_method_options: what the SetupIntent object models is shown, checked value by value


def test_payment_method_options_given_on_update_are_shown_and_kept(client):
    si = _setup(client)
    updated = ok(client.send("POST", f"/v1/setup_intents/{si['id']}", form={"payment_method_options": {
        "card": {"request_three_d_secure": "any", "network": "visa"},
        "us_bank_account": {"verification_method": "microdeposits"},
        "sepa_debit": {"mandate_options": {"reference_prefix": "ACME"}}}}), "setup_intent")
    options = updated["payment_method_options"]
    assert options["card"] == {"mandate_options": None, "network": "visa", "request_three_d_secure": "any"}
    assert options["us_bank_account"] == {"verification_method": "microdeposits"}
    assert "sepa_debit" not in options  # accepted, and not a setting the object models
    assert _get(client, f"/v1/setup_intents/{si['id']}", "setup_intent")["payment_method_options"] == options


def test_payment_method_options_given_on_create_and_confirm_are_shown(client):
    si = _setup(client, payment_method_options={"card": {"request_three_d_secure": "challenge"}})
    assert si["payment_method_options"]["card"]["request_three_d_secure"] == "challenge"
    confirmed = ok(client.send("POST", f"/v1/setup_intents/{si['id']}/confirm", form={
        "payment_method": "pm_card_visa", "payment_method_options": {"card": {"network": "mastercard"}}}),
        "setup_intent")
    assert confirmed["payment_method_options"]["card"] == {"mandate_options": None, "network": "mastercard",
                                                          "request_three_d_secure": "challenge"}


@pytest.mark.parametrize("options, param, code", [
    ({"card": {"request_three_d_secure": "sometimes"}}, "payment_method_options[card][request_three_d_secure]", None),
    ({"card": {"network": "nope"}}, "payment_method_options[card][network]", None),
    ({"card": {"colour": "red"}}, "payment_method_options[card][colour]", "parameter_unknown"),
    ({"bitcoin": {"x": "y"}}, "payment_method_options[bitcoin]", "parameter_unknown"),
], ids=["bad-3ds", "bad-network", "unknown-setting", "unknown-method"])
def test_a_bad_payment_method_option_is_refused_and_nothing_changes(client, options, param, code):
    si = _setup(client)
    refused(client.send("POST", f"/v1/setup_intents/{si['id']}", form={"payment_method_options": options,
                                                                     "description": "changed"}),
            code=code, param=param)
    assert _get(client, f"/v1/setup_intents/{si['id']}", "setup_intent") == si
