"""The reference server's idempotency beyond what the scenarios can assert of every target."""

from __future__ import annotations

import secrets

from conformance.target import Client

FORM = {"amount": 1234, "currency": "usd"}


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{secrets.token_hex(8)}"}


def header(exchange, name: str) -> str | None:
    return {k.lower(): v for k, v in exchange.response_headers.items()}.get(name.lower())


def test_keys_belong_to_an_account_another_account_reusing_one_gets_its_own_object(client: Client):
    headers = key()
    mine = client.send("POST", "/v1/payment_intents", form=FORM, headers=headers)
    theirs = client.send("POST", "/v1/payment_intents", form=FORM, headers=headers, key=client.keys.other_secret)
    assert (mine.status, theirs.status) == (200, 200)
    assert theirs.body["id"] != mine.body["id"]
    assert header(theirs, "Idempotent-Replayed") is None
    assert client.send("GET", f"/v1/payment_intents/{mine.body['id']}", key=client.keys.other_secret).status == 404


def test_a_replay_is_the_first_answer_not_the_object_as_it_is_now(client: Client):
    headers = key()
    first = client.send("POST", "/v1/payment_intents", form=FORM, headers=headers)
    client.send("POST", f"/v1/payment_intents/{first.body['id']}", form={"description": "changed later"})
    replay = client.send("POST", "/v1/payment_intents", form=FORM, headers=headers)
    assert replay.response_text == first.response_text
    assert replay.body["description"] is None
    assert header(replay, "Original-Request") == header(first, "Request-Id")
    assert header(replay, "Request-Id") != header(first, "Request-Id")


def test_a_refused_key_is_not_used_up_by_an_authentication_failure(client: Client):
    headers = key()
    assert client.send("POST", "/v1/payment_intents", form=FORM, headers=headers, key="sk_nonsense").status == 401
    created = client.send("POST", "/v1/payment_intents", form={**FORM, "amount": 4321}, headers=headers)
    assert created.status == 200 and created.body["amount"] == 4321


def test_an_empty_key_is_no_key(client: Client):
    first = client.send("POST", "/v1/payment_intents", form=FORM, headers={"Idempotency-Key": ""})
    second = client.send("POST", "/v1/payment_intents", form=FORM, headers={"Idempotency-Key": ""})
    assert first.body["id"] != second.body["id"]


def test_the_publishable_key_shares_its_accounts_keys(client: Client):
    headers = key()
    created = client.send("POST", "/v1/payment_intents", form={**FORM, "payment_method_types": ["card"]},
                          headers=headers)
    confirm = {"client_secret": created.body["client_secret"], "payment_method": "pm_card_visa"}
    path = f"/v1/payment_intents/{created.body['id']}/confirm"
    refused = client.send("POST", path, form=confirm, headers=headers, key=client.keys.publishable)
    assert refused.status == 400 and refused.body["error"]["type"] == "idempotency_error"
