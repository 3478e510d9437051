"""The suite's own fuzz checks (conformance/fuzz/checks.py), on answers made up to break them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis

from conformance.fuzz import checks, parameters
from conformance.fuzz.document import document_path

SUITE = Path(__file__).resolve().parent.parent / "conformance" / "suite"


class Answer:
    """Just what the checks read of a response."""

    def __init__(self, status_code: int, body):
        self.status_code = status_code
        self.text = body if isinstance(body, str) else json.dumps(body)

    def json(self):
        return json.loads(self.text)


@pytest.fixture(scope="module")
def schema():
    return schemathesis.openapi.from_path(document_path())


def _case(schema, label, **parts):
    method, path = label.split(" ", 1)
    return schema[path][method].Case(**parts)


def _pi(**fields):
    return {"id": "pi_123", "object": "payment_intent", "amount": 1000, "amount_capturable": 0,
            "status": "requires_payment_method", **fields}


def test_a_4xx_needs_the_error_envelope_with_type_and_message(schema):
    case = _case(schema, "POST /v1/payment_intents", body={})
    checks.stripe_error_envelope(None, Answer(400, {"error": {"type": "invalid_request_error", "message": "m"}}), case)
    for body in ({"message": "m"}, {"error": {"type": "invalid_request_error"}}, {"error": {"message": "m"}},
                 "Bad Request"):
        with pytest.raises(AssertionError):
            checks.stripe_error_envelope(None, Answer(400, body), case)
    checks.stripe_error_envelope(None, Answer(200, "not an error"), case)


@pytest.mark.parametrize(("label", "param"), [
    ("POST /v1/payment_intents", "amount"),
    ("POST /v1/payment_intents", "metadata[order_id]"),
    ("POST /v1/payment_intents", "shipping[address][line1]"),
    ("POST /v1/payment_intents", "payment_method_types[0]"),
    ("POST /v1/payment_intents", "payment_method_options[card][request_three_d_secure]"),
    ("POST /v1/payment_intents/{intent}/capture", "intent"),
    ("GET /v1/payment_intents", "created[gte]"),
    ("GET /v1/payment_intents", "expand[1]"),
    ("GET /v1/payment_intents", "starting_after"),
])
def test_documented_parameters_in_bracket_form(schema, label, param):
    assert parameters.documented(_case(schema, label).operation, param)


@pytest.mark.parametrize(("label", "param"), [
    ("POST /v1/payment_intents", "amount_to_capture"),
    ("POST /v1/payment_intents", "shipping[adress]"),
    ("POST /v1/payment_intents", "shipping[address][line1][x]"),
    ("POST /v1/payment_intents", "payment_method_types[x]"),
    ("POST /v1/payment_intents/{intent}/capture", "customer"),
    ("GET /v1/payment_intents", "created[eq]"),
    ("GET /v1/payment_intents", "metadata[a[b]"),
])
def test_undocumented_parameters(schema, label, param):
    assert not parameters.documented(_case(schema, label).operation, param)


def test_param_must_be_documented_or_sent(schema):
    case = _case(schema, "POST /v1/payment_intents", body={"amount": 100, "bogus": {"x": "1"}})
    unknown = {"error": {"type": "invalid_request_error", "message": "m", "code": "parameter_unknown"}}
    checks.stripe_error_param(None, Answer(400, {"error": {**unknown["error"], "param": "bogus[x]"}}), case)
    checks.stripe_error_param(None, Answer(400, {"error": {**unknown["error"], "param": "metadata[k]"}}), case)
    with pytest.raises(AssertionError, match="neither a parameter"):
        checks.stripe_error_param(None, Answer(400, {"error": {**unknown["error"], "param": "amout"}}), case)
    with pytest.raises(AssertionError, match="without the param"):
        checks.stripe_error_param(None, Answer(400, unknown), case)
    # Not about one parameter: no param needed.
    checks.stripe_error_param(None, Answer(400, {"error": {"type": "invalid_request_error", "message": "m",
                                                           "code": "payment_intent_unexpected_state"}}), case)


def test_id_prefixes_come_from_the_schemas():
    assert checks.id_prefixes() == {**checks.id_prefixes(), "payment_intent": "pi_", "customer": "cus_"}


def test_ids_and_references_carry_their_prefix(schema):
    case = _case(schema, "GET /v1/payment_intents", query={})
    good = {"object": "list", "data": [_pi(customer="cus_1", metadata={"customer": "anything"})]}
    checks.stripe_id_prefixes(None, Answer(200, good), case)
    for bad in (_pi(id="ch_123"), _pi(customer="pi_123"),
                {"error": {"type": "card_error", "payment_intent": _pi(id="123")}}):
        with pytest.raises(AssertionError):
            checks.stripe_id_prefixes(None, Answer(402, bad), case)


def test_amount_capturable_never_exceeds_amount(schema):
    case = _case(schema, "POST /v1/payment_intents/{intent}/capture", path_parameters={"intent": "pi_123"}, body={})
    checks.stripe_amount_capturable(None, Answer(200, _pi(amount_capturable=1000)), case)
    with pytest.raises(AssertionError, match="amount_capturable 1001"):
        checks.stripe_amount_capturable(None, Answer(400, {"error": {"payment_intent": _pi(amount_capturable=1001)}}),
                                        case)


def test_a_capture_succeeds_only_from_requires_capture(schema):
    retrieve = _case(schema, "GET /v1/payment_intents/{intent}", path_parameters={"intent": "pi_pre"})
    capture = _case(schema, "POST /v1/payment_intents/{intent}/capture", path_parameters={"intent": "pi_pre"}, body={})
    checks.stripe_status_precondition(None, Answer(200, _pi(id="pi_pre", status="requires_capture")), retrieve)
    checks.stripe_status_precondition(None, Answer(200, _pi(id="pi_pre", status="succeeded")), capture)
    with pytest.raises(AssertionError, match="last seen with status 'succeeded'"):
        checks.stripe_status_precondition(None, Answer(200, _pi(id="pi_pre", status="succeeded")), capture)
    # Refusing is always allowed; an intent never seen is not judged.
    checks.stripe_status_precondition(None, Answer(400, {"error": {"type": "invalid_request_error"}}), capture)
    other = _case(schema, "POST /v1/payment_intents/{intent}/capture", path_parameters={"intent": "pi_new"}, body={})
    checks.stripe_status_precondition(None, Answer(200, _pi(id="pi_new", status="succeeded")), other)


def test_last_seen_is_bounded():
    seen = checks.LastSeen(limit=2)
    for n in range(3):
        seen.record(_pi(id=f"pi_{n}", status="canceled"))
    assert seen.get("pi_0") is None and seen.get("pi_2") == "canceled"


@pytest.mark.slow
def test_each_operation_s_fuzz_item_has_its_own_node_id():
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                             "-m", "fuzz", str(SUITE / "test_fuzz.py")], capture_output=True, text=True, timeout=120)
    ids = [line for line in result.stdout.splitlines() if "::test_operation" in line]
    assert len(ids) == len(set(ids)) > 1, result.stdout[-2000:]
    assert any(line.endswith("::test_operation[POST /v1/payment_intents/{intent}/capture]") for line in ids)
