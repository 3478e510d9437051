"""The server's own endpoints: health for readiness checks, reset of everything or of one account."""

from __future__ import annotations

import requests

from reference_impl.app import create_app
from reference_impl.durable_store import DurableStore
from reference_impl.store import Store
from served import Served, assert_like_an_unknown_id, exchange

A = {"Authorization": "Bearer sk_test_reset_a"}
B = {"Authorization": "Bearer sk_test_reset_b"}
PI = {"amount": "1000", "currency": "usd"}


def test_health_answers_200_without_a_key():
    [health] = exchange(create_app(), ("GET", "/_conformance/health", {}, None))
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_resetting_one_account_forgets_its_objects_and_keys_and_nothing_else():
    app = create_app()
    a, b, keyed = exchange(app, ("POST", "/v1/payment_intents", A, PI), ("POST", "/v1/payment_intents", B, PI),
                           ("POST", "/v1/payment_intents", {**A, "Idempotency-Key": "k1"}, PI))
    [reset] = exchange(app, ("POST", "/_conformance/reset/account", A, None))
    assert reset.status_code == 200 and reset.json()["deleted_objects"] == 2
    gone, unknown, kept, listed, reused = exchange(
        app, ("GET", f"/v1/payment_intents/{a.json()['id']}", A, None),
        ("GET", "/v1/payment_intents/pi_never_made", A, None),
        ("GET", f"/v1/payment_intents/{b.json()['id']}", B, None),
        ("GET", "/v1/payment_intents", A, None),
        # the key's first answer is forgotten too: other parameters under it are no idempotency_error
        ("POST", "/v1/payment_intents", {**A, "Idempotency-Key": "k1"}, {**PI, "amount": "2000"}))
    assert_like_an_unknown_id(gone, unknown, a.json()["id"])
    assert kept.status_code == 200
    assert listed.json()["data"] == []
    assert reused.status_code == 200 and reused.json()["id"] != keyed.json()["id"]


def test_resetting_everything_forgets_every_account():
    app = create_app()
    a, b = exchange(app, ("POST", "/v1/payment_intents", A, PI), ("POST", "/v1/payment_intents", B, PI))
    [reset] = exchange(app, ("POST", "/_conformance/reset", {}, None))
    assert reset.json()["deleted_objects"] == 2
    after_a, after_b = exchange(app, ("GET", f"/v1/payment_intents/{a.json()['id']}", A, None),
                                ("GET", f"/v1/payment_intents/{b.json()['id']}", B, None))
    assert after_a.status_code == after_b.status_code == 404


def test_an_account_reset_needs_the_accounts_secret_key():
    app = create_app()
    no_key, publishable = exchange(app, ("POST", "/_conformance/reset/account", {}, None),
                                   ("POST", "/_conformance/reset/account", {"Authorization": "Bearer pk_test_reset_a"}, None))
    assert no_key.status_code == 401 and "did not provide an API key" in no_key.json()["error"]["message"]
    assert publishable.status_code == 401 and publishable.json()["error"]["code"] == "secret_key_required"


def test_reset_takes_post_only_and_other_admin_paths_are_unknown():
    wrong_method, unknown = exchange(create_app(), ("GET", "/_conformance/reset", {}, None),
                                     ("POST", "/_conformance/nothing", {}, None))
    for answer in (wrong_method, unknown):
        assert answer.status_code == 404 and "Unrecognized request URL" in answer.json()["error"]["message"]


def test_reset_is_refused_on_a_server_started_with_no_reset():
    with Served("--port", "0", "--no-reset") as served:
        made = requests.post(f"{served.http}/v1/payment_intents", data=PI, headers=A, timeout=5).json()
        for path, headers in (("/_conformance/reset", {}), ("/_conformance/reset/account", A)):
            refused = requests.post(served.http + path, headers=headers, timeout=5)
            assert refused.status_code == 403
            assert "--no-reset" in refused.json()["error"]["message"]
        assert requests.get(f"{served.http}/v1/payment_intents/{made['id']}", headers=A, timeout=5).status_code == 200


def test_a_reset_reaches_the_db_file(tmp_path):
    db = str(tmp_path / "stripe.db")
    store = DurableStore(db)
    app = create_app(store)
    a, b = exchange(app, ("POST", "/v1/payment_intents", A, PI), ("POST", "/v1/payment_intents", B, PI))
    customer, _ = exchange(app, ("POST", "/v1/customers", A, {"email": "a@example.com"}),
                           ("POST", "/_conformance/reset/account", A, None))
    store.close()
    reopened = create_app(DurableStore(db))
    after_a, after_b, customers = exchange(reopened, ("GET", f"/v1/payment_intents/{a.json()['id']}", A, None),
                                           ("GET", f"/v1/payment_intents/{b.json()['id']}", B, None),
                                           ("GET", f"/v1/customers/{customer.json()['id']}", A, None))
    assert after_a.status_code == 404 and after_b.status_code == 200
    assert customers.status_code == 404
    exchange(reopened, ("POST", "/_conformance/reset", {}, None))
    reopened.store.close()
    [after] = exchange(create_app(DurableStore(db)), ("GET", f"/v1/payment_intents/{b.json()['id']}", B, None))
    assert after.status_code == 404


def test_store_reset_counts_what_it_forgot():
    store = Store()
    store.collection("acct", "customer").add({"id": "cus_1"})
    store.collection("acct", "payment_intent").add({"id": "pi_1"})
    store.collection("other", "payment_intent").add({"id": "pi_2"})
    assert store.reset("acct") == 2
    assert store.find("other", "payment_intent", "pi_2") is not None
