"""The reference server's router and identifiers (their speed is the benchmark's business, not a test's)."""

from __future__ import annotations

import string
from collections import Counter

from reference_impl import ids
from reference_impl.resources import ROUTES
from reference_impl.routing import Router


def search(ctx): ...
def retrieve(ctx, intent): ...
def confirm(ctx, intent): ...
def create(ctx): ...


ROUTER = Router([
    ("GET", "/v1/payment_intents/search", search),
    ("GET", "/v1/payment_intents/{intent}", retrieve),
    ("POST", "/v1/payment_intents/{intent}/confirm", confirm),
    ("POST", "/v1/payment_intents", create),
])


def test_an_exact_path_wins_over_a_pattern_that_also_matches():
    assert ROUTER.find("GET", "/v1/payment_intents/search") == (search, {})
    assert ROUTER.find("GET", "/v1/payment_intents/pi_123") == (retrieve, {"intent": "pi_123"})


def test_patterns_bind_one_non_empty_segment():
    assert ROUTER.find("POST", "/v1/payment_intents/pi_1/confirm") == (confirm, {"intent": "pi_1"})
    assert ROUTER.find("POST", "/v1/payment_intents//confirm") is None
    assert ROUTER.find("GET", "/v1/payment_intents/pi_1/extra") is None
    assert ROUTER.find("GET", "/v1/payment_intents/") is None


def test_the_method_is_part_of_the_route_and_head_is_get():
    assert ROUTER.find("POST", "/v1/payment_intents/search") is None
    assert ROUTER.find("DELETE", "/v1/payment_intents") is None
    assert ROUTER.find("HEAD", "/v1/payment_intents/pi_9") == (retrieve, {"intent": "pi_9"})


def test_every_declared_route_is_found_with_its_own_handler():
    router = Router(ROUTES)
    for method, path, handler in ROUTES:
        parts = path.split("/")
        concrete = "/".join("x_1" if part.startswith("{") else part for part in parts)
        bound = {part[1:-1]: "x_1" for part in parts if part.startswith("{")}
        assert router.find(method, concrete) == (handler, bound), (method, path)


def test_ids_are_a_prefix_and_24_base62_characters():
    ident = ids.new_id("pi")
    prefix, _, token = ident.partition("_")
    assert prefix == "pi" and len(token) == 24
    assert set(token) <= set(string.ascii_letters + string.digits)
    secret = ids.client_secret(ident)
    assert secret.startswith(ident + "_secret_") and len(secret.rpartition("_")[2]) == 25


def test_random_bytes_map_evenly_onto_the_alphabet():
    usable = ids._TO_ALPHABET[:ids._USABLE]  # bytes at or above _USABLE are dropped, never mapped
    assert Counter(usable) == {char: 4 for char in (string.ascii_letters + string.digits).encode()}
    assert bytes(range(256)).translate(ids._TO_ALPHABET, ids._UNUSABLE) == usable
