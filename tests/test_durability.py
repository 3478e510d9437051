"""``serve --db PATH``: every object survives a restart, and every answered write survives SIGKILL."""

from __future__ import annotations

import asyncio
import io
import socket
import subprocess
import sys
import threading
import time

import httpx
import orjson
import pytest
import requests

from conformance.launcher import BundledServer
from reference_impl.app import create_app
from reference_impl import change_log
from reference_impl.durable_store import DurableStore, read

pytestmark = pytest.mark.slow  # servers restarted and killed mid-load

A = {"Authorization": "Bearer sk_test_durable"}
B = {"Authorization": "Bearer sk_test_durable_other"}


def post(server, path, form, headers=A):
    return requests.post(server.base_url + path, data=form, headers=headers, timeout=30)


def get(server, path, headers=A, **query):
    return requests.get(server.base_url + path, params=query, headers=headers, timeout=30)


def make_history(server) -> dict[str, dict]:
    """PaymentIntents in every state, across two accounts; returns what a restart must keep."""
    card = {"currency": "usd", "payment_method_types[]": "card"}
    kept = {}
    kept["plain"] = post(server, "/v1/payment_intents", {**card, "amount": 1000, "metadata[k]": "v",
                                                         "description": "plain"}).json()
    kept["capturable"] = post(server, "/v1/payment_intents", {
        **card, "amount": 2000, "capture_method": "manual", "payment_method": "pm_card_visa", "confirm": "true",
        "payment_method_options[card][request_incremental_authorization]": "if_available"}).json()
    kept["succeeded"] = post(server, "/v1/payment_intents", {**card, "amount": 3000, "payment_method": "pm_card_visa",
                                                             "confirm": "true"}).json()
    declined = post(server, "/v1/payment_intents", {**card, "amount": 4000, "confirm": "true",
                                                    "payment_method": "pm_card_visa_chargeDeclined"})
    assert declined.status_code == 402
    kept["declined"] = declined.json()["error"]["payment_intent"]
    kept["needs_action"] = post(server, "/v1/payment_intents", {**card, "amount": 5000, "confirm": "true",
                                                                "payment_method": "pm_card_authenticationRequired"}).json()
    canceled = post(server, "/v1/payment_intents", {**card, "amount": 6000}).json()
    kept["canceled"] = post(server, f"/v1/payment_intents/{canceled['id']}/cancel", {}).json()
    kept["other_account"] = post(server, "/v1/payment_intents", {**card, "amount": 7000}, headers=B).json()
    kept["idempotent"] = post(server, "/v1/payment_intents", {**card, "amount": 8000},
                              headers={**A, "Idempotency-Key": "durable-1"}).json()
    customer = post(server, "/v1/customers", {"email": "durable@example.com"}).json()
    funded = post(server, f"/v1/test_helpers/customers/{customer['id']}/fund_cash_balance",
                  {"amount": 500, "currency": "usd"})
    assert funded.status_code == 200
    kept["customer_balance"] = post(server, "/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "customer": customer["id"], "confirm": "true",
        "payment_method_data[type]": "customer_balance", "payment_method_types[]": "customer_balance",
        "payment_method_options[customer_balance][funding_type]": "bank_transfer",
        "payment_method_options[customer_balance][bank_transfer][type]": "us_bank_transfer"}).json()
    assert [kept[name]["status"] for name in ("capturable", "succeeded", "declined", "needs_action", "canceled")] == [
        "requires_capture", "succeeded", "requires_payment_method", "requires_action", "canceled"]
    assert kept["customer_balance"]["next_action"]["display_bank_transfer_instructions"]["amount_remaining"] == 1500
    return kept


def everything(server, headers) -> list[dict]:
    return get(server, "/v1/payment_intents", headers, limit=100).json()["data"]


def test_a_restart_finds_every_object_as_it_was(tmp_path):
    db = str(tmp_path / "stripe.db")
    with BundledServer(extra_args=("--db", db)) as before:
        kept = make_history(before)
        lists = {"A": everything(before, A), "B": everything(before, B)}
    with BundledServer(extra_args=("--db", db)) as after:
        for name, obj in kept.items():
            headers = B if name == "other_account" else A
            assert get(after, f"/v1/payment_intents/{obj['id']}", headers).json() == obj, name
        assert {"A": everything(after, A), "B": everything(after, B)} == lists
        # the payment method a confirm created is kept too
        expanded = get(after, f"/v1/payment_intents/{kept['succeeded']['id']}", **{"expand[]": "payment_method"})
        assert expanded.json()["payment_method"]["card"]["last4"] == "4242"
        # hidden state: the authorization can still be incremented
        increment = post(after, f"/v1/payment_intents/{kept['capturable']['id']}/increment_authorization",
                         {"amount": 2500})
        assert increment.status_code == 200 and increment.json()["amount"] == 2500
        # the customer's cash balance and the waiting bank transfer carry on where they were
        topped_up = post(after, f"/v1/test_helpers/customers/{kept['customer_balance']['customer']}/fund_cash_balance",
                         {"amount": 1500, "currency": "usd"})
        assert topped_up.status_code == 200
        assert get(after, f"/v1/payment_intents/{kept['customer_balance']['id']}").json()["status"] == "succeeded"
        # and an idempotency key still replays its first answer
        replay = post(after, "/v1/payment_intents", {"currency": "usd", "payment_method_types[]": "card",
                                                     "amount": 8000}, headers={**A, "Idempotency-Key": "durable-1"})
        assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == kept["idempotent"]


def test_sigkill_mid_load_loses_no_acknowledged_object(tmp_path):
    db = str(tmp_path / "stripe.db")
    acknowledged: dict[str, int] = {}
    lock = threading.Lock()
    with BundledServer(extra_args=("--db", db)) as server:
        def load(worker: int) -> None:
            with requests.Session() as session:
                for n in range(2000):  # bounded; the kill ends it much sooner
                    amount = 1000 + worker * 10_000 + n
                    try:
                        answer = session.post(server.base_url + "/v1/payment_intents", headers=A, timeout=5,
                                              data={"amount": amount, "currency": "usd"})
                    except requests.RequestException:
                        return
                    if answer.status_code == 200:
                        with lock:
                            acknowledged[answer.json()["id"]] = amount

        workers = [threading.Thread(target=load, args=(w,)) for w in range(8)]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.process.kill()  # SIGKILL: no shutdown, no flushing
        for worker in workers:
            worker.join(timeout=30)
    assert len(acknowledged) >= 300
    with BundledServer(extra_args=("--db", db)) as restarted, requests.Session() as session:
        for ident, amount in acknowledged.items():
            found = session.get(f"{restarted.base_url}/v1/payment_intents/{ident}", headers=A, timeout=30)
            assert found.status_code == 200 and found.json()["amount"] == amount


def appends_of(store: DurableStore) -> list[bytes]:
    """What the store appends to its file from now on, one entry per ``write()``."""
    appended: list[bytes] = []
    append = store._append

    def recorded(parts: list[bytes]) -> None:
        appended.append(b"".join(parts))
        append(parts)

    store._append = recorded
    return appended


def decoded(data: bytes) -> list[tuple]:
    return [record for record, _ in change_log.records(io.BytesIO(data), len(data))]


def test_a_write_costs_the_same_however_many_objects_are_stored(tmp_path):
    """Write-through, not rewrite-all: one request appends the same rows with 10 or 2,000 objects stored."""

    store = DurableStore(str(tmp_path / "stripe.db"))
    appended = appends_of(store)
    app = create_app(store)

    async def confirmed_create() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as client:
            return await client.post("/v1/payment_intents", headers=A, data={
                "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true",
                "payment_method_types[]": "card"})

    def rows_of_one_confirmed_create() -> list[tuple]:
        appended.clear()
        assert asyncio.run(confirmed_create()).status_code == 200
        assert len(appended) == 1  # one write()
        [(kind, objects, states, responses, deleted)] = decoded(appended[0])
        return [kind, sorted(row[2] for row in objects), len(states), len(responses), deleted]

    for _ in range(10):
        rows_of_one_confirmed_create()
    few = rows_of_one_confirmed_create()
    with store.transaction():
        for n in range(2000):
            store.collection("durable", "payment_intent").add({"id": f"pi_filler{n}", "created": 0})
    many = rows_of_one_confirmed_create()
    # one record: the intent and the payment method and charge its confirm made, and their hidden state
    assert few == many == ["w", ["charge", "payment_intent", "payment_method"], few[2], 0, []]
    assert 1 <= few[2] <= 3


def test_writes_handled_together_share_one_commit_and_none_is_answered_before_it(tmp_path):
    """Group commit: concurrent writes share one write(), and each answer finds its object in the file."""
    db = str(tmp_path / "stripe.db")
    store = DurableStore(db)
    appended = appends_of(store)
    found: list[bool] = []

    async def create(client: httpx.AsyncClient) -> None:
        answer = await client.post("/v1/payment_intents", headers=A, data={"amount": 1000, "currency": "usd"})
        on_disk, _ = read(db)  # the file as another process would read it now
        found.append(on_disk.objects[answer.json()["id"]][2] == orjson.dumps(answer.json()))

    async def burst() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(create_app(store)), base_url="http://t") as client:
            await asyncio.gather(*(create(client) for _ in range(8)))

    asyncio.run(burst())
    assert found == [True] * 8
    assert 1 <= len(appended) < 8


def test_stripe_conformance_serve_takes_db_too(tmp_path):
    db = str(tmp_path / "stripe.db")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"

    def serve() -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "--port", str(port),
                                    "--db", db, "--log-level", "warning"], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                requests.get(base + "/v1/payment_intents", timeout=1)
                return process
            except requests.RequestException:
                time.sleep(0.1)
        process.kill()
        pytest.fail("stripe-conformance serve did not start")

    first = serve()
    try:
        created = requests.post(base + "/v1/payment_intents", data={"amount": 999, "currency": "usd"}, headers=A).json()
    finally:
        first.terminate()
        _, log = first.communicate(timeout=10)
    assert f"objects in file {db}" in log
    second = serve()
    try:
        assert requests.get(f"{base}/v1/payment_intents/{created['id']}", headers=A).json() == created
    finally:
        second.terminate()
        second.communicate(timeout=10)


def test_a_bank_transfer_settled_by_funding_is_still_settled_after_a_restart(tmp_path):
    """fund_cash_balance settles the intents waiting for funds: those changes are written too."""
    db = str(tmp_path / "stripe.db")

    async def requests_in(store, *calls):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(create_app(store)), base_url="http://t") as client:
            return [await client.request(method, path, headers=A, data=form) for method, path, form in calls]

    store = DurableStore(db)
    [customer] = asyncio.run(requests_in(store, ("POST", "/v1/customers", {})))
    customer_id = customer.json()["id"]
    [waiting, funded] = asyncio.run(requests_in(
        store,
        ("POST", "/v1/payment_intents", {
            "amount": 2000, "currency": "usd", "customer": customer_id, "confirm": "true",
            "payment_method_data[type]": "customer_balance", "payment_method_types[]": "customer_balance",
            "payment_method_options[customer_balance][funding_type]": "bank_transfer",
            "payment_method_options[customer_balance][bank_transfer][type]": "us_bank_transfer"}),
        ("POST", f"/v1/test_helpers/customers/{customer_id}/fund_cash_balance", {"amount": 2000, "currency": "usd"})))
    assert waiting.json()["status"] == "requires_action" and funded.status_code == 200
    store.close()
    [after] = asyncio.run(requests_in(DurableStore(db), ("GET", f"/v1/payment_intents/{waiting.json()['id']}", None)))
    assert after.json()["status"] == "succeeded"
