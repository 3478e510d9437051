"""What the fuzz tests found in the reference server's error handling, fixed there (reference_impl/app.py)."""

from __future__ import annotations

import pytest
import requests

from conformance.launcher import DEFAULT_SECRET_KEY


@pytest.mark.parametrize(("method", "query", "body"), [
    ("GET", "?=", b""),                  # a query parameter without a name
    ("POST", "", b"=x&amount=100"),      # a body pair without a name
    ("POST", "", b"description=%ff%fe"),  # not UTF-8
])
def test_input_naming_no_parameter_is_refused_without_a_parameter_code(reference_server, method, query, body):
    answer = requests.request(method, reference_server.base_url + "/v1/payment_intents" + query, data=body,
                              headers={"Authorization": f"Bearer {DEFAULT_SECRET_KEY}",
                                       "Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    error = answer.json()["error"]
    assert answer.status_code == 400
    assert error["type"] == "invalid_request_error" and error["message"]
    assert "param" not in error and not error.get("code", "").startswith("parameter_")
