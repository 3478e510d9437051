"""Races, with real concurrent HTTP clients against the served reference server (uvicorn, one process).

Each test uses an account of its own (a fresh ``sk_test_...`` key), so its counts are exact
whatever else the shared server holds. The durable store runs the same races: its writes
happen inside the request, so they must not open a window between read and write either.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conformance.launcher import BundledServer


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory):
    with BundledServer(extra_args=("--db", str(tmp_path_factory.mktemp("race") / "race.db"))) as server:
        yield server


@pytest.fixture(params=["memory", "sqlite"])
def server(request, reference_server):
    return reference_server if request.param == "memory" else request.getfixturevalue("sqlite_server")


def new_account() -> dict[str, str]:
    return {"Authorization": f"Bearer sk_test_race{secrets.token_hex(8)}"}


def concurrently(base_url: str, calls: list[tuple[str, str, dict, dict]], threads: int = 200) -> list[requests.Response]:
    """Send every (method, path, form, headers), from many threads released at once; answers in call order.

    Threads rather than an async client: httpx's connection pool slows down sharply with
    hundreds of queued requests, which would measure the client instead of the server.
    """
    threads = min(threads, len(calls))
    start = threading.Barrier(threads)

    def worker(share: list[tuple[str, str, dict, dict]]) -> list[requests.Response]:
        with requests.Session() as session:
            start.wait()
            return [session.request(method, base_url + path, data=form, headers=headers, timeout=60)
                    for method, path, form, headers in share]

    with ThreadPoolExecutor(threads) as pool:
        shares = list(pool.map(worker, [calls[index::threads] for index in range(threads)]))
    return [shares[index % threads][index // threads] for index in range(len(calls))]


def authorized_intent(base_url: str, headers: dict, amount: int = 2000) -> dict:
    response = requests.post(base_url + "/v1/payment_intents", headers=headers, data={
        "amount": amount, "currency": "usd", "capture_method": "manual", "payment_method": "pm_card_visa",
        "confirm": "true", "payment_method_types[]": "card"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "requires_capture"
    return response.json()


def list_ids(base_url: str, headers: dict) -> list[str]:
    ids, query = [], {"limit": 100}
    while True:
        page = requests.get(base_url + "/v1/payment_intents", params=query, headers=headers).json()
        ids += [obj["id"] for obj in page["data"]]
        if not page["has_more"]:
            return ids
        query["starting_after"] = ids[-1]


def test_100_concurrent_captures_of_one_intent_capture_it_once(server):
    headers = new_account()
    pi = authorized_intent(server.base_url, headers)
    answers = concurrently(server.base_url, [("POST", f"/v1/payment_intents/{pi['id']}/capture", {}, headers)] * 100)
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {200: 1, 400: 99}
    refusals = {answer.json()["error"]["code"] for answer in answers if answer.status_code == 400}
    assert refusals == {"payment_intent_unexpected_state"}
    final = requests.get(f"{server.base_url}/v1/payment_intents/{pi['id']}", headers=headers).json()
    assert (final["status"], final["amount_received"]) == ("succeeded", 2000)


def test_racing_captures_and_cancels_leave_one_winner_and_its_state(server):
    headers = new_account()
    pi = authorized_intent(server.base_url, headers)
    actions = ["capture", "cancel"] * 50
    answers = concurrently(server.base_url, [("POST", f"/v1/payment_intents/{pi['id']}/{action}", {}, headers)
                                             for action in actions])
    winners = [action for action, answer in zip(actions, answers) if answer.status_code == 200]
    assert len(winners) == 1
    assert all(answer.json()["error"]["code"] == "payment_intent_unexpected_state"
               for answer in answers if answer.status_code != 200)
    final = requests.get(f"{server.base_url}/v1/payment_intents/{pi['id']}", headers=headers).json()
    assert final["status"] == {"capture": "succeeded", "cancel": "canceled"}[winners[0]]


@pytest.mark.slow
def test_1000_concurrent_creates_get_1000_distinct_ids_all_listed_newest_first(server):
    headers = new_account()
    answers = concurrently(server.base_url, [
        ("POST", "/v1/payment_intents", {"amount": 1000 + n, "currency": "usd"}, headers) for n in range(1000)])
    assert {answer.status_code for answer in answers} == {200}
    created = {answer.json()["id"]: answer.json()["created"] for answer in answers}
    assert len(created) == 1000
    listed = list_ids(server.base_url, headers)
    assert len(listed) == 1000 and set(listed) == set(created)
    timestamps = [created[ident] for ident in listed]
    assert timestamps == sorted(timestamps, reverse=True)


def test_50_concurrent_requests_with_one_idempotency_key_create_one_object(server):
    headers = {**new_account(), "Idempotency-Key": f"race-{secrets.token_hex(8)}"}
    answers = concurrently(server.base_url, [
        ("POST", "/v1/payment_intents", {"amount": 4242, "currency": "usd"}, headers)] * 50)
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1  # every answer is the first one, byte for byte
    assert sum(answer.headers.get("Idempotent-Replayed") == "true" for answer in answers) == 49
    account = {"Authorization": headers["Authorization"]}
    assert list_ids(server.base_url, account) == [answers[0].json()["id"]]
