"""Whatever a client sends, the reference server answers Stripe's error envelope, never a 500.

Most checks call the ASGI app in-process with raw bytes (so nothing normalises the input on
the way), with the app's exceptions propagating into the test; a few go through the real
uvicorn process, whose limits differ. Hypothesis fuzzes the form decoder and the app.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from dataclasses import dataclass
from urllib.parse import unquote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance import wire
from reference_impl.app import MAX_BODY, create_app
from reference_impl.store import Store

ERROR_TYPES = {"api_error", "card_error", "idempotency_error", "invalid_request_error"}
SECRET = b"Bearer sk_test_hostile"
APP = create_app()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: dict


def call(method: str = "POST", path: str = "/v1/payment_intents", body: bytes = b"", query: bytes = b"",
         headers: dict[bytes, bytes] | None = None, app=APP, chunk: int = 65536) -> Answer:
    """One request straight into the ASGI app, as uvicorn would hand it over."""
    sent = {b"authorization": SECRET, b"content-type": b"application/x-www-form-urlencoded",
            b"content-length": str(len(body)).encode(), **(headers or {})}
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": unquote(path), "raw_path": path.encode("latin-1"), "query_string": query, "root_path": "",
             "headers": [(k, v) for k, v in sent.items() if v is not None], "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 80)}
    pieces = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
    messages: list[dict] = []

    async def receive():
        if pieces:
            piece = pieces.pop(0)
            return {"type": "http.request", "body": piece, "more_body": bool(pieces)}
        return {"type": "http.disconnect"}

    async def send(message):
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start = messages[0]
    content = b"".join(m.get("body", b"") for m in messages[1:])
    return Answer(start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, json.loads(content))


def assert_answered_properly(answer: Answer) -> None:
    assert answer.status < 500, answer.body
    assert answer.headers["request-id"].startswith("req_")
    if answer.status >= 400:
        assert set(answer.body) == {"error"}
        assert answer.body["error"]["type"] in ERROR_TYPES
        assert isinstance(answer.body["error"]["message"], str)


def refused(answer: Answer, status: int = 400, param: str | None = None) -> dict:
    assert_answered_properly(answer)
    assert answer.status == status, answer.body
    error = answer.body["error"]
    if param is not None:
        assert error.get("param") == param, error
    return error


# ---------------------------------------------------------------- named cases


def test_malformed_percent_encoding_is_taken_literally_and_refused_by_type():
    refused(call(body=b"amount=%ZZ&currency=usd"), param="amount")
    refused(call(body=b"amount=100&currency=%"), param="currency")


@pytest.mark.parametrize("body", [b"amount=100&currency=%FF%FE", b"amount=100&currency=\xff\xfe", b"\xc3(=1"])
def test_invalid_utf8_in_the_body_is_refused(body):
    refused(call(body=body))


def test_invalid_utf8_in_the_query_string_and_the_path_is_refused():
    refused(call("GET", query=b"limit=%FF"))
    refused(call("GET", query=b"limit=\xff"))
    refused(call("GET", path="/v1/payment_intents/pi_%FF%FE"), status=404)


def test_a_body_over_the_limit_is_413_whether_or_not_its_length_is_declared():
    big = b"description=" + b"x" * MAX_BODY
    assert refused(call(body=big), status=413)["code"] == "request_too_large"
    assert refused(call(body=big, headers={b"content-length": None}), status=413)["code"] == "request_too_large"


def test_absurd_nesting_and_too_many_parameters_are_refused():
    refused(call(body=b"metadata" + b"[a]" * 10_000 + b"=1"), param="metadata")
    refused(call(body=b"amount=1&" * (wire.MAX_PAIRS + 1)))
    refused(call(body=b"metadata" + b"[" * 5000 + b"=1"))


def test_a_json_body_is_refused():
    refused(call(body=b'{"amount": 100, "currency": "usd"}', headers={b"content-type": b"application/json"}))


def test_huge_integers_are_refused_by_type():
    refused(call(body=b"currency=usd&amount=" + b"9" * 100_000), param="amount")
    refused(call("GET", query=b"limit=" + b"9" * 5000), param="limit")
    refused(call("GET", query=b"created[gt]=" + b"9" * 5000), param="created[gt]")


def test_shapes_that_contradict_each_other_are_refused():
    refused(call(body=b"amount=100&currency=usd&payment_method_types[]=card&payment_method_types[x]=y"))
    refused(call(body=b"amount=100&currency=usd&metadata=x&metadata[k]=v"))
    refused(call(body=b"amount=100&currency=usd&metadata[]=v"))
    refused(call(body=b"amount=100&currency=usd&" + b"&".join(b"expand[]=customer" for _ in range(1000))))


@pytest.mark.parametrize("authorization", [b"", b"Bearer", b"Bearer \x00\x01", b"Basic %%%", b"Basic " + b"A" * 10_000,
                                           b"Bearer sk_test_" + b"a" * 10_000, b"Digest x", b"\xff\xfe"])
def test_garbage_credentials_are_401(authorization):
    refused(call(body=b"amount=100&currency=usd", headers={b"authorization": authorization}), status=401)


def test_an_idempotency_key_over_255_characters_is_refused_and_creates_nothing():
    store = Store()
    error = refused(call(body=b"amount=100&currency=usd", headers={b"idempotency-key": b"k" * 256},
                         app=create_app(store)))
    assert error["type"] == "idempotency_error"
    assert len(store.collection("hostile", "payment_intent")) == 0


def test_unknown_routes_and_methods_answer_the_envelope_with_a_request_id():
    refused(call("GET", path="/v1/no_such_thing"), status=404)
    refused(call("POST", path="/v1/payment_intents/pi_x/no_such_action"), status=404)
    assert call("DELETE", path="/v1/payment_intents").status in (404, 405)


def test_null_bytes_and_odd_unicode_are_stored_as_given():
    answer = call(body="amount=100&currency=usd&description=%00a\u202e\U0001F600".encode())
    assert_answered_properly(answer)
    assert answer.status == 200 and answer.body["description"] == "\x00a\u202e\U0001F600"


# ---------------------------------------------------------------- through the real server


def test_the_served_app_refuses_an_oversized_body_with_the_envelope(reference_server):
    url = reference_server.base_url + "/v1/payment_intents"
    headers = {"Authorization": SECRET.decode()}
    for body in (b"description=" + b"x" * (2 * MAX_BODY), iter([b"description=", b"x" * (2 * MAX_BODY)])):
        response = requests.post(url, data=body, headers=headers, timeout=30)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"
        assert response.headers["Request-Id"].startswith("req_")


@pytest.mark.parametrize("request_line", [
    b"GET /v1/payment_intents?query=" + b"x" * 120_000 + b" HTTP/1.1",  # past the C parser's limit
    "GET /v1/payment_intents/pi_\u00e9 HTTP/1.1".encode("utf-8"),  # raw non-ASCII in the request line
    b"NOT HTTP AT ALL",
])
def test_what_the_http_parser_cannot_read_gets_the_envelope_too(reference_server, request_line):
    host, port = reference_server.base_url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(request_line + b"\r\nHost: x\r\nAuthorization: " + SECRET + b"\r\n\r\n")
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert 400 <= status < 500, head
    assert b"request-id: req_" in head.lower(), head
    error = json.loads(body)["error"]
    assert error["type"] == "invalid_request_error" and error["message"]


# ---------------------------------------------------------------- request ids and the log


class BrokenStore(Store):
    def collection(self, account, kind):
        raise RuntimeError("the disk is on fire")


def test_a_server_bug_answers_500_logged_with_traceback_and_request_id_and_is_replayed(caplog):
    app = create_app(BrokenStore())
    headers = {b"idempotency-key": b"broken-1"}
    with caplog.at_level(logging.INFO, logger="reference_impl"):
        first = call(body=b"amount=100&currency=usd", headers=headers, app=app)
    assert first.status == 500 and first.body["error"]["type"] == "api_error"
    request_id = first.headers["request-id"]
    traced = [r for r in caplog.records if request_id in r.getMessage() and r.exc_info]
    assert traced and "the disk is on fire" in str(traced[0].exc_info[1])
    # Stripe: "Subsequent requests with the same key return the same result, including 500 errors."
    with caplog.at_level(logging.INFO, logger="reference_impl"):
        again = call(body=b"amount=100&currency=usd", headers=headers, app=app)
    assert (again.status, again.body, again.headers["idempotent-replayed"]) == (500, first.body, "true")
    assert any(f"idempotent-replay-of {request_id}" in r.getMessage() for r in caplog.records)


def test_every_answer_has_its_own_request_id():
    answers = [call(body=b"amount=100&currency=usd"), call(body=b"amount=1"), call("GET", path="/v1/nothing"),
               call(headers={b"authorization": b""}), call("GET", path="/v1/payment_intents/pi_missing")]
    ids = [answer.headers["request-id"] for answer in answers]
    assert all(ident.startswith("req_") for ident in ids) and len(set(ids)) == len(ids)


# ---------------------------------------------------------------- fuzzing

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FORM_BYTES = st.binary(max_size=600) | st.text(alphabet="ab[]=&%0123456789+xF", max_size=200).map(str.encode)
KNOWN = ["amount", "currency", "metadata", "shipping", "payment_method_types", "expand", "confirm", "capture_method",
         "payment_method", "payment_method_options", "description", "statement_descriptor", "customer",
         "automatic_payment_methods", "payment_method_data", "off_session", "return_url"]
KEYS = st.tuples(st.sampled_from(KNOWN) | st.text(min_size=1, max_size=8),
                 st.lists(st.sampled_from(["", "0", "1", "card", "type", "address", "enabled"]) | st.text(max_size=5),
                          max_size=4)).map(lambda kp: kp[0] + "".join(f"[{part}]" for part in kp[1]))
VALUES = st.sampled_from(["", "100", "usd", "true", "pm_card_visa", "card", "-1", "1e3"]) | st.text(max_size=30)
FORMS = st.lists(st.tuples(KEYS, VALUES), max_size=12).map(lambda pairs: wire.encode(pairs).encode())


@FUZZ
@given(FORM_BYTES)
def test_the_form_decoder_returns_a_tree_or_raises_wire_error(raw):
    try:
        tree = wire.decode(raw)
    except wire.WireError:
        return
    assert isinstance(tree, dict)


@FUZZ
@given(FORM_BYTES | FORMS)
def test_create_answers_any_body_properly(body):
    assert_answered_properly(call(body=body))


@FUZZ
@given(FORM_BYTES | FORMS)
def test_list_answers_any_query_properly(query):
    assert_answered_properly(call("GET", query=query))


@pytest.fixture(scope="module")
def intents():
    """A PaymentIntent in each of a few states, for fuzzing the operations on one."""
    made = {}
    for name, body in {"new": b"amount=1000&currency=usd",
                       "capturable": b"amount=1000&currency=usd&capture_method=manual&payment_method=pm_card_visa"
                                     b"&confirm=true&payment_method_types[]=card"}.items():
        answer = call(body=body)
        assert answer.status == 200
        made[name] = answer.body["id"]
    return made


@FUZZ
@given(st.sampled_from(["new", "capturable"]), st.sampled_from(["", "/confirm", "/capture", "/cancel",
                                                                  "/increment_authorization"]), FORM_BYTES | FORMS)
def test_operations_on_an_intent_answer_any_body_properly(intents, state, action, body):
    assert_answered_properly(call(path=f"/v1/payment_intents/{intents[state]}{action}", body=body))


@FUZZ
@given(st.binary(max_size=300))
def test_any_credentials_are_answered_properly(authorization):
    assert_answered_properly(call(body=b"amount=100&currency=usd", headers={b"authorization": authorization}))
