"""``serve --log-format json``: one JSON object per request, for log shippers; plain text by default."""

from __future__ import annotations

import json

import pytest
import requests

from served import Served

pytestmark = pytest.mark.slow  # each test starts `serve` as its own process

A = {"Authorization": "Bearer sk_test_logs"}


def test_json_logs_one_object_per_request_with_what_shippers_index():
    with Served("--port", "0", "--log-format", "json") as served:
        made = requests.post(f"{served.http}/v1/payment_intents", data={"amount": 500, "currency": "usd"},
                             headers=A, timeout=5)
        refused = requests.get(f"{served.http}/v1/payment_intents/pi_missing", headers=A, timeout=5)
        anonymous = requests.get(f"{served.http}/v1/payment_intents", timeout=5)
        requests.get(f"{served.http}/_conformance/health", timeout=5)
    records = [json.loads(line) for line in served.lines]  # every line is JSON, the announcement included
    requests_logged = [record for record in records if "request_id" in record]
    assert [(r["method"], r["path"], r["status"]) for r in requests_logged] == [
        ("POST", "/v1/payment_intents", 200), ("GET", "/v1/payment_intents/pi_missing", 404),
        ("GET", "/v1/payment_intents", 401)]  # health checks are left out
    assert [r["request_id"] for r in requests_logged] == [
        answer.headers["Request-Id"] for answer in (made, refused, anonymous)]
    assert [r["account"] for r in requests_logged] == ["logs", "logs", None]
    assert all(isinstance(r["duration_ms"], float) and r["duration_ms"] >= 0 for r in requests_logged)
    assert requests_logged[1]["error"]["code"] == "resource_missing"


def test_plain_text_stays_the_default():
    with Served("--port", "0") as served:
        answer = requests.get(f"{served.http}/v1/payment_intents", headers=A, timeout=5)
    line = next(line for line in served.lines if answer.headers["Request-Id"] in line)
    assert line.endswith(f"GET /v1/payment_intents 200 {answer.headers['Request-Id']}")
