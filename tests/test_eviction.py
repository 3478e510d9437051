"""``serve --max-objects N``: per account, the oldest objects in a final state go first, and an
evicted id answers like any id the server never made."""

from __future__ import annotations

import pytest
import requests

from reference_impl.app import create_app
from reference_impl.eviction import Ledger
from reference_impl.durable_store import DurableStore
from reference_impl.store import Store
from served import Served, assert_like_an_unknown_id, exchange

A = {"Authorization": "Bearer sk_test_evict_a"}
B = {"Authorization": "Bearer sk_test_evict_b"}
PI = {"amount": "1000", "currency": "usd", "payment_method_types[]": "card"}


def test_the_oldest_final_object_goes_first_then_the_oldest_of_all():
    ledger = Ledger(limit=3)
    for ident, status in (("pi_1", "requires_payment_method"), ("pi_2", "requires_capture"),
                          ("pi_3", "succeeded"), ("pi_4", "requires_confirmation")):
        ledger.note("acct", "payment_intent", {"id": ident, "status": status})
    assert list(ledger.overflow("acct")) == [("payment_intent", "pi_3")]
    ledger.note("acct", "payment_intent", {"id": "pi_2", "status": "canceled"})  # final later: noted when touched
    ledger.note("acct", "payment_intent", {"id": "pi_5", "status": "requires_payment_method"})
    assert list(ledger.overflow("acct")) == [("payment_intent", "pi_2")]
    ledger.note("acct", "payment_intent", {"id": "pi_6", "status": "requires_payment_method"})
    assert list(ledger.overflow("acct")) == [("payment_intent", "pi_1")]  # nothing final: the oldest


def test_objects_without_a_lifecycle_count_as_final():
    ledger = Ledger(limit=1)
    ledger.note("acct", "payment_intent", {"id": "pi_1", "status": "requires_action"})
    ledger.note("acct", "customer", {"id": "cus_1"})
    assert list(ledger.overflow("acct")) == [("customer", "cus_1")]


def test_a_bound_below_one_is_refused():
    with pytest.raises(ValueError):
        Store(max_objects=0)


def create(app, headers=A, **extra):
    [made] = exchange(app, ("POST", "/v1/payment_intents", headers, {**PI, **extra}))
    assert made.status_code == 200, made.text
    return made.json()


def test_an_evicted_intent_answers_like_an_unknown_id_and_leaves_lists_and_search():
    app = create_app(Store(max_objects=3))
    waiting = create(app)
    done = create(app)
    exchange(app, ("POST", f"/v1/payment_intents/{done['id']}/cancel", A, None))
    newer = create(app)
    newest = create(app)  # the fourth: the canceled one goes, though the first is older
    evicted, unknown, kept = exchange(app, ("GET", f"/v1/payment_intents/{done['id']}", A, None),
                                      ("GET", "/v1/payment_intents/pi_never_made", A, None),
                                      ("GET", f"/v1/payment_intents/{waiting['id']}", A, None))
    assert_like_an_unknown_id(evicted, unknown, done["id"])
    assert kept.status_code == 200
    [listed] = exchange(app, ("GET", "/v1/payment_intents?limit=10", A, None))
    assert [pi["id"] for pi in listed.json()["data"]] == [newest["id"], newer["id"], waiting["id"]]
    [paged] = exchange(app, ("GET", f"/v1/payment_intents?starting_after={newer['id']}", A, None))
    assert [pi["id"] for pi in paged.json()["data"]] == [waiting["id"]]
    [found] = exchange(app, ("GET", "/v1/payment_intents/search?query=amount:1000", A, None))
    assert [pi["id"] for pi in found.json()["data"]] == [newest["id"], newer["id"], waiting["id"]]


def test_the_bound_is_per_account():
    app = create_app(Store(max_objects=2))
    other = create(app, headers=B)
    for _ in range(3):
        create(app)
    [kept] = exchange(app, ("GET", f"/v1/payment_intents/{other['id']}", B, None))
    assert kept.status_code == 200
    [listed] = exchange(app, ("GET", "/v1/payment_intents", A, None))
    assert len(listed.json()["data"]) == 2


def test_search_pages_after_eviction_still_cover_every_kept_match():
    app = create_app(Store(max_objects=5))
    made = [create(app) for _ in range(5)]
    exchange(app, ("GET", "/v1/payment_intents/search?query=amount:1000", A, None))  # builds the index
    exchange(app, ("POST", f"/v1/payment_intents/{made[1]['id']}/cancel", A, None))
    made.append(create(app))  # evicts the canceled one
    seen, page = [], None
    while True:
        query = "/v1/payment_intents/search?query=amount:1000&limit=2" + (f"&page={page}" if page else "")
        [answer] = exchange(app, ("GET", query, A, None))
        seen += [pi["id"] for pi in answer.json()["data"]]
        page = answer.json()["next_page"]
        if not page:
            break
    assert seen == [pi["id"] for pi in reversed(made) if pi["id"] != made[1]["id"]]


def test_evictions_reach_the_db_file_and_a_smaller_bound_trims_it_at_start(tmp_path):
    db = str(tmp_path / "stripe.db")
    store = DurableStore(db, max_objects=2)
    app = create_app(store)
    made = [create(app) for _ in range(3)]
    store.close()
    unbounded = create_app(DurableStore(db))
    [listed] = exchange(unbounded, ("GET", "/v1/payment_intents", A, None))
    assert [pi["id"] for pi in listed.json()["data"]] == [made[2]["id"], made[1]["id"]]
    unbounded.store.close()
    trimmed = create_app(DurableStore(db, max_objects=1))
    [listed] = exchange(trimmed, ("GET", "/v1/payment_intents", A, None))
    assert [pi["id"] for pi in listed.json()["data"]] == [made[2]["id"]]
    trimmed.store.close()
    [listed] = exchange(create_app(DurableStore(db)), ("GET", "/v1/payment_intents", A, None))
    assert len(listed.json()["data"]) == 1


def test_serve_max_objects_bounds_a_running_server():
    with Served("--port", "0", "--max-objects", "2") as served:
        ids = [requests.post(f"{served.http}/v1/payment_intents", data=PI, headers=A, timeout=5).json()["id"]
               for _ in range(3)]
        first = requests.get(f"{served.http}/v1/payment_intents/{ids[0]}", headers=A, timeout=5)
        assert first.status_code == 404 and first.json()["error"]["code"] == "resource_missing"
        assert requests.get(f"{served.http}/v1/payment_intents/{ids[2]}", headers=A, timeout=5).status_code == 200


def test_what_the_request_touched_is_spared_even_when_final_and_oldest():
    ledger = Ledger(limit=2)
    ledger.note("acct", "payment_intent", {"id": "pi_old", "status": "requires_payment_method"})
    ledger.note("acct", "payment_intent", {"id": "pi_2", "status": "requires_payment_method"})
    # a request confirms pi_old (now final, the oldest final) and makes a payment method
    ledger.note("acct", "payment_intent", {"id": "pi_old", "status": "succeeded"})
    ledger.note("acct", "payment_method", {"id": "pm_new"})
    assert list(ledger.overflow("acct", spare={"pi_old", "pm_new"})) == [("payment_intent", "pi_2")]
    # only spared objects left over the bound: they stay, until a later request
    ledger.note("acct", "customer", {"id": "cus_1"})
    assert list(ledger.overflow("acct", spare={"pi_old", "pm_new", "cus_1"})) == []
    assert list(ledger.overflow("acct")) == [("payment_intent", "pi_old")]


def test_a_confirmed_intent_is_still_there_after_the_confirm_that_finished_it():
    app = create_app(Store(max_objects=3))
    first = create(app)
    create(app)
    create(app)
    [confirmed] = exchange(app, ("POST", f"/v1/payment_intents/{first['id']}/confirm", A,
                                 {"payment_method": "pm_card_visa"}))
    assert confirmed.json()["status"] == "succeeded"
    [again] = exchange(app, ("GET", f"/v1/payment_intents/{first['id']}", A, None))
    assert again.status_code == 200
