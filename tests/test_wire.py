"""Stripe's form encoding: the documented examples, round trips and malformed input."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from conformance import wire


def plain(body: str) -> str:
    return unquote(body)


@pytest.mark.parametrize(
    "params, expected",
    [
        # docs.stripe.com/api/payment_intents/verify_microdeposits: -d "amounts[]"=32 -d "amounts[]"=45
        ({"amounts": [32, 45]}, "amounts[]=32&amounts[]=45"),
        # docs.stripe.com/api/metadata: -d "metadata[order_id]"=6735
        ({"metadata": {"order_id": "6735"}}, "metadata[order_id]=6735"),
        ({"shipping": {"address": {"line1": "1 Main St"}, "name": "Jenny"}},
         "shipping[address][line1]=1 Main St&shipping[name]=Jenny"),
        ({"metadata": {"order_id": ""}}, "metadata[order_id]="),
        ({"metadata": ""}, "metadata="),
        ({"metadata": {}}, "metadata="),
        ({"description": None}, "description="),
        ({"confirm": True, "off_session": False}, "confirm=true&off_session=false"),
        ({"created": {"gte": 1680000000}}, "created[gte]=1680000000"),
        ({"expand": ["data.customer"]}, "expand[]=data.customer"),
        ({"items": [{"price": "p_1", "quantity": 2}]}, "items[0][price]=p_1&items[0][quantity]=2"),
    ],
)
def test_encode_documented_forms(params, expected):
    assert plain(wire.encode(params)) == expected


def test_encode_escapes_reserved_characters_in_values():
    body = wire.encode({"description": "a&b=c d+é"})
    assert body == "description=a%26b%3Dc%20d%2B%C3%A9"
    assert wire.decode(body) == {"description": "a&b=c d+é"}


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("amounts[]=32&amounts[]=45", {"amounts": ["32", "45"]}),
        ("amounts%5B%5D=32&amounts%5B%5D=45", {"amounts": ["32", "45"]}),
        ("amounts[0]=32&amounts[1]=45", {"amounts": {"0": "32", "1": "45"}}),
        ("metadata[order_id]=6735", {"metadata": {"order_id": "6735"}}),
        ("metadata[order_id]=", {"metadata": {"order_id": ""}}),
        ("metadata=", {"metadata": ""}),
        ("shipping[address][line1]=1+Main+St&shipping[name]=J",
         {"shipping": {"address": {"line1": "1 Main St"}, "name": "J"}}),
        ("created[gte]=10&created[lt]=20", {"created": {"gte": "10", "lt": "20"}}),
        ("items[][price]=a&items[][qty]=1&items[][price]=b", {"items": [{"price": "a", "qty": "1"}, {"price": "b"}]}),
        ("", {}),
        ("a=1&&b=2", {"a": "1", "b": "2"}),
        ("flag", {"flag": ""}),
        ("metadata=&metadata[k]=v", {"metadata": {"k": "v"}}),
    ],
)
def test_decode(raw, expected):
    assert wire.decode(raw) == expected


def test_as_list_accepts_both_bracket_forms_in_index_order():
    assert wire.as_list(wire.decode("a[1]=y&a[0]=x")["a"], "a") == ["x", "y"]
    assert wire.as_list(wire.decode("a[]=x&a[]=y")["a"], "a") == ["x", "y"]
    assert wire.as_list("", "a") == []
    with pytest.raises(wire.WireError) as err:
        wire.as_list({"k": "v"}, "a")
    assert err.value.param == "a"


ROUND_TRIPS = [
    {"amount": "2000", "currency": "usd"},
    {"metadata": {"a": "1", "b": "", "c d/é": "x"}},
    {"payment_method_options": {"card": {"request_incremental_authorization": "if_available"}}},
    {"payment_method_types": ["card", "link"], "expand": ["customer"]},
    {"shipping": {"address": {"city": "Paris", "line1": "1 rue de la Paix"}, "name": "Zoé & Co"}},
    {"metadata": ""},
]


@pytest.mark.parametrize("params", ROUND_TRIPS)
def test_round_trip(params):
    assert wire.decode(wire.encode(params)) == params


def test_round_trip_keeps_order_of_pairs():
    pairs = [("b", "2"), ("a", "1"), ("a[]", "x")]
    assert wire.parse_pairs(wire.encode(pairs)) == pairs


@pytest.mark.parametrize(
    "raw, param",
    [
        ("metadata=x&metadata[k]=v", "metadata"),
        ("metadata[k]=v&metadata=x", "metadata"),
        ("a[]=1&a[k]=2", "a"),
        ("a[b=1", "a"),
        ("metadata[c[d]=x", "metadata"),
        ("a]b[=1", "a]b"),
        ("[x]=1", "[x]"),
        ("a" + "[x]" * (wire.MAX_DEPTH + 1) + "=1", "a"),
    ],
)
def test_malformed_input_names_the_parameter(raw, param):
    with pytest.raises(wire.WireError) as err:
        wire.decode(raw)
    assert err.value.param == param


def test_invalid_utf8_and_too_many_pairs_are_wire_errors():
    with pytest.raises(wire.WireError):
        wire.decode(b"description=%ff%fe")
    with pytest.raises(wire.WireError):
        wire.decode("&".join(f"k{i}=v" for i in range(wire.MAX_PAIRS + 1)))
