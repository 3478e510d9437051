"""The bytes generated requests put on the wire: Stripe's form encoding, nothing dropped.

A throwaway HTTP server records what schemathesis sends for cases of schemas/openapi.yaml
once the suite's serializer (conformance/fuzz/serializer.py) is registered.
"""

from __future__ import annotations

import http.server
import threading
from urllib.parse import unquote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from conformance import wire
from conformance.fuzz import serializer
from conformance.fuzz.document import document_path


class Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str | None, bytes]] = []

    def _record(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.command, self.path, self.headers.get("Content-Type"), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _record

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def recorder():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()  # shutdown() waits one poll
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def schema():
    return schemathesis.openapi.from_path(document_path())


def _sent(schema, url, path, method, **parts):
    Recorder.seen.clear()
    schema[path][method].Case(**parts).call(base_url=url)
    return Recorder.seen[-1]


def test_a_nested_object_an_array_and_an_empty_metadata_value(schema, recorder):
    body = {"amount": 2000, "currency": "usd", "confirm": True,
            "shipping": {"name": "Jenny Rosen", "address": {"line1": "510 Townsend St", "city": "San Francisco"}},
            "payment_method_types": ["card", "us_bank_account"],
            "metadata": {"order_id": "6735", "obsolete": ""}}
    _, _, content_type, sent = _sent(schema, recorder, "/v1/payment_intents", "POST", body=body)
    assert content_type == serializer.MEDIA_TYPE
    assert sent == (b"amount=2000&currency=usd&confirm=true"
                    b"&shipping[name]=Jenny%20Rosen&shipping[address][line1]=510%20Townsend%20St"
                    b"&shipping[address][city]=San%20Francisco"
                    b"&payment_method_types[]=card&payment_method_types[]=us_bank_account"
                    b"&metadata[order_id]=6735&metadata[obsolete]=")
    assert wire.decode(sent) == {**body, "amount": "2000", "confirm": "true"}


def test_empty_containers_and_values_survive_as_unset(schema, recorder):
    body = {"metadata": {}, "payment_method_types": [], "description": "", "receipt_email": None}
    _, _, _, sent = _sent(schema, recorder, "/v1/payment_intents/{intent}", "POST",
                          path_parameters={"intent": "pi_123"}, body=body)
    assert sent == b"metadata=&payment_method_types=&description=&receipt_email="


def test_a_body_that_is_not_an_object_is_sent_as_generated(schema, recorder):
    _, _, _, sent = _sent(schema, recorder, "/v1/payment_intents/{intent}/cancel", "POST",
                          path_parameters={"intent": "pi_123"}, body=[1, "two"])
    assert sent == b'[1, "two"]'


def test_query_parameters_travel_in_bracket_form(schema, recorder):
    query = {"expand[]": ["data.customer", "data.payment_method"], "created[gte]": 5, "limit": 3}
    _, path, _, _ = _sent(schema, recorder, "/v1/payment_intents", "GET", query=query)
    assert unquote(path) == ("/v1/payment_intents?expand[]=data.customer&expand[]=data.payment_method"
                             "&created[gte]=5&limit=3")


def test_generated_query_objects_use_brackets(schema):
    """``created`` is a deepObject: schemathesis itself writes ``created[gte]=...``."""
    seen: list[dict] = []

    @settings(max_examples=30, database=None, suppress_health_check=list(HealthCheck), deadline=None)
    @given(schema["/v1/payment_intents"]["GET"].as_strategy())
    def collect(case):
        seen.append(dict(case.query or {}))

    collect()
    names = {name for query in seen for name in query}
    assert names & {"created[gt]", "created[gte]", "created[lt]", "created[lte]"}
    assert "expand[]" in names and "expand" not in names


def test_null_and_empty_containers_are_read_back_as_the_empty_value():
    body = {"metadata": {"k": None, "j": []}, "expand": [{}], "description": "x", "amount": 100}
    assert serializer.as_sent(body) == {"metadata": {"k": "", "j": ""}, "expand": [""], "description": "x",
                                        "amount": 100}
    assert wire.decode(serializer.encode_body(body))["metadata"] == {"k": "", "j": ""}
