"""The official stripe library drives list, search, customers and customer balance on the reference server."""

from __future__ import annotations

import secrets

import pytest
import stripe

CUSTOMER_BALANCE = {
    "payment_method_types": ["customer_balance"],
    "payment_method_data": {"type": "customer_balance"},
    "payment_method_options": {"customer_balance": {"funding_type": "bank_transfer",
                                                    "bank_transfer": {"type": "us_bank_transfer"}}},
}


def _intents(sdk, count: int, **params) -> list[str]:
    """``count`` card PaymentIntents, oldest first."""
    base = {"amount": 1000, "currency": "usd", "payment_method_types": ["card"]}
    return [sdk.v1.payment_intents.create(params={**base, **params}).id for _ in range(count)]


def _waiting_for_funds(sdk, customer: str, amount: int = 1000):
    intent = sdk.v1.payment_intents.create(params={"amount": amount, "currency": "usd", "customer": customer,
                                                   "confirm": True, **CUSTOMER_BALANCE})
    assert intent.status == "requires_action"
    return intent


def _remaining(intent) -> int:
    return intent.next_action.display_bank_transfer_instructions.amount_remaining


def _available(sdk, customer: str) -> dict:
    return sdk.v1.customers.retrieve(customer, params={"expand": ["cash_balance"]}).cash_balance.available


# ---------------------------------------------------------------- list


def test_list_auto_paging_walks_every_page_newest_first(sdk):
    customer = sdk.v1.customers.create().id
    created = _intents(sdk, 7, customer=customer)
    page = sdk.v1.payment_intents.list(params={"customer": customer, "limit": 3})
    assert len(page.data) == 3 and page.has_more and page.url == "/v1/payment_intents"
    assert [pi.id for pi in page.auto_paging_iter()] == created[::-1]


def test_list_auto_paging_backwards_from_ending_before(sdk):
    customer = sdk.v1.customers.create().id
    created = _intents(sdk, 5, customer=customer)
    page = sdk.v1.payment_intents.list(params={"customer": customer, "limit": 2, "ending_before": created[0]})
    # the library walks towards the newest and yields each page oldest first
    assert [pi.id for pi in page.auto_paging_iter()] == created[1:]


def test_list_auto_paging_with_a_created_bound(sdk):
    customer = sdk.v1.customers.create().id
    created = _intents(sdk, 4, customer=customer)
    since = sdk.v1.payment_intents.retrieve(created[0]).created
    page = sdk.v1.payment_intents.list(params={"customer": customer, "limit": 1, "created": {"gte": since}})
    assert [pi.id for pi in page.auto_paging_iter()] == created[::-1]


# ---------------------------------------------------------------- search


def test_search_pages_through_every_match_once(sdk):
    run = secrets.token_hex(6)
    created = _intents(sdk, 5, metadata={"run": run})
    _intents(sdk, 2, metadata={"run": run + "-other"})
    result = sdk.v1.payment_intents.search(params={"query": f"metadata['run']:'{run}'", "limit": 2})
    assert result.object == "search_result" and result.has_more and isinstance(result.next_page, str)
    found = [pi.id for pi in result.auto_paging_iter()]
    assert sorted(found) == sorted(created)


def test_search_total_count_and_filters(sdk):
    run = secrets.token_hex(6)
    _intents(sdk, 2, metadata={"run": run}, amount=500)
    big = _intents(sdk, 1, metadata={"run": run}, amount=5000)
    result = sdk.v1.payment_intents.search(params={"query": f'metadata["run"]:"{run}" AND amount>=1000',
                                                   "expand": ["total_count"]})
    assert [pi.id for pi in result.data] == big and result.total_count == 1


def test_an_invalid_query_is_an_invalid_request_error_naming_query(sdk):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.payment_intents.search(params={"query": 'status:"succeeded" AND amount>1 OR currency:"usd"'})
    assert refused.value.http_status == 400 and refused.value.param == "query"
    assert "mutually exclusive" in refused.value.user_message


def test_a_page_cursor_only_continues_its_own_query(sdk):
    run = secrets.token_hex(6)
    _intents(sdk, 3, metadata={"run": run})
    first = sdk.v1.payment_intents.search(params={"query": f"metadata['run']:'{run}'", "limit": 1})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.payment_intents.search(params={"query": "amount>0", "page": first.next_page})
    assert refused.value.http_status == 400 and refused.value.param == "page"


# ---------------------------------------------------------------- customers


def test_customer_create_and_retrieve(sdk):
    customer = sdk.v1.customers.create(params={"email": "jenny@example.com", "name": "Jenny Rosen",
                                               "description": "a test customer", "metadata": {"k": "v"}})
    assert customer.id.startswith("cus_") and customer.object == "customer"
    again = sdk.v1.customers.retrieve(customer.id)
    assert (again.email, again.name, again.description, again.metadata.to_dict()) == (
        "jenny@example.com", "Jenny Rosen", "a test customer", {"k": "v"})


def test_unknown_customer_is_resource_missing(sdk):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sdk.v1.customers.retrieve("cus_does_not_exist")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"


def test_a_payment_intent_expands_its_customer(sdk):
    customer = sdk.v1.customers.create(params={"email": "owner@example.com"}).id
    intent = sdk.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "customer": customer,
                                                   "payment_method_types": ["card"], "expand": ["customer"]})
    assert intent.customer.id == customer and intent.customer.email == "owner@example.com"


# ---------------------------------------------------------------- customer balance


def test_fund_then_apply_customer_balance_by_hand(sdk):
    customer = sdk.v1.customers.create(params={"cash_balance": {"settings": {"reconciliation_mode": "manual"}}}).id
    intent = _waiting_for_funds(sdk, customer)
    assert intent.next_action.type == "display_bank_transfer_instructions" and _remaining(intent) == 1000
    funded = sdk.v1.test_helpers.customers.fund_cash_balance(customer, params={"amount": 1000, "currency": "usd",
                                                                                "reference": "REF-1"})
    assert (funded.object, funded.type, funded.net_amount, funded.ending_balance) == (
        "customer_cash_balance_transaction", "funded", 1000, 1000)
    assert funded.funded.bank_transfer.reference == "REF-1"
    assert sdk.v1.payment_intents.retrieve(intent.id).status == "requires_action"  # manual: nothing applied yet
    partly = sdk.v1.payment_intents.apply_customer_balance(intent.id, params={"amount": 400})
    assert partly.status == "requires_action" and _remaining(partly) == 600
    paid = sdk.v1.payment_intents.apply_customer_balance(intent.id)  # defaults to what remains
    assert (paid.status, paid.amount_received, paid.next_action) == ("succeeded", 1000, None)
    assert _available(sdk, customer).to_dict() == {"usd": 0}


def test_apply_customer_balance_refusals_change_nothing(sdk):
    customer = sdk.v1.customers.create(params={"cash_balance": {"settings": {"reconciliation_mode": "manual"}}}).id
    intent = _waiting_for_funds(sdk, customer)
    sdk.v1.test_helpers.customers.fund_cash_balance(customer, params={"amount": 500, "currency": "usd"})
    refusals = [({"amount": 1001}, "amount"),  # more than the intent needs
                ({"amount": 600}, "amount"),  # more than the cash balance holds
                ({}, "amount"),  # the default, what remains, is more than the balance too
                ({"currency": "eur"}, "currency")]
    for params, param in refusals:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            sdk.v1.payment_intents.apply_customer_balance(intent.id, params=params)
        assert refused.value.http_status == 400 and refused.value.param == param, params
    assert _remaining(sdk.v1.payment_intents.retrieve(intent.id)) == 1000
    assert _available(sdk, customer).to_dict() == {"usd": 500}
    card = sdk.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "payment_method_types": ["card"]})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.payment_intents.apply_customer_balance(card.id)
    assert refused.value.code == "payment_intent_unexpected_state"


def test_confirm_applies_what_the_balance_holds(sdk):
    customer = sdk.v1.customers.create().id
    sdk.v1.test_helpers.customers.fund_cash_balance(customer, params={"amount": 1300, "currency": "usd"})
    paid = sdk.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "customer": customer,
                                                 "confirm": True, **CUSTOMER_BALANCE})
    assert paid.status == "succeeded"
    short = _waiting_for_funds(sdk, customer)  # 300 left in the balance
    assert _remaining(short) == 700 and _available(sdk, customer).to_dict() == {"usd": 0}


def test_automatic_reconciliation_prefers_the_quoted_reference_then_the_oldest(sdk):
    customer = sdk.v1.customers.create().id
    older, newer = _waiting_for_funds(sdk, customer), _waiting_for_funds(sdk, customer)
    reference = newer.next_action.display_bank_transfer_instructions.reference
    sdk.v1.test_helpers.customers.fund_cash_balance(customer, params={"amount": 1200, "currency": "usd",
                                                                       "reference": reference})
    assert sdk.v1.payment_intents.retrieve(newer.id).status == "succeeded"
    assert _remaining(sdk.v1.payment_intents.retrieve(older.id)) == 800
    sdk.v1.test_helpers.customers.fund_cash_balance(customer, params={"amount": 800, "currency": "usd"})
    assert sdk.v1.payment_intents.retrieve(older.id).status == "succeeded"


def test_a_customer_balance_payment_needs_a_customer(sdk):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.payment_intents.create(params={"amount": 1000, "currency": "usd", "confirm": True, **CUSTOMER_BALANCE})
    assert refused.value.http_status == 400 and refused.value.param == "customer"


def test_fund_cash_balance_refuses_a_currency_without_bank_transfers(sdk):
    customer = sdk.v1.customers.create().id
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.test_helpers.customers.fund_cash_balance(customer, params={"amount": 100, "currency": "aud"})
    assert refused.value.param == "currency"
