"""Every quote from a seed page or the spec occurs verbatim in it; every structural citation holds.

The seed pages and Stripe's OpenAPI description are not part of the repository: they are read
from ``../shared`` beside the checkout (``seeds/``, ``reference/``), or from the folder named by
``STRIPE_CONFORMANCE_SHARED``. Without them these tests skip, saying so.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import pytest
import yaml

from conformance import resources
from shared_dir import need

SPECS = ("stripe-openapi-spec3.json", "stripe-openapi-intents.json")
SOURCES = yaml.safe_load(resources.scenarios_dir().joinpath("sources.yaml").read_text(encoding="utf-8"))["sources"]

TYPOGRAPHIC = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(TYPOGRAPHIC)).strip()


def rendered(markdown: str) -> str:
    """A spec description as the API reference shows it: links as their text, no code marks or tags."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"<[^>]+>", "", text).replace("`", "")




@lru_cache(maxsize=None)
def _seed(name: str) -> str:
    return normalise(need(f"seeds/{name}").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _spec(name: str) -> Any:
    return json.loads(need(f"reference/{name}").read_text(encoding="utf-8"))


def resolve(document: Any, pointer: str) -> Any:
    """RFC 6901: ``/paths/~1v1~1payment_intents/post`` -> document["paths"]["/v1/payment_intents"]["post"]."""
    node = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for value in node.values() for text in _strings(value)]
    if isinstance(node, list):
        return [text for value in node for text in _strings(value)]
    return []


def _at_pointer(pointer: str) -> Any:
    for name in SPECS:
        try:
            return resolve(_spec(name), pointer)
        except (KeyError, IndexError, ValueError):
            continue
    raise AssertionError(f"the spec pointer {pointer} resolves in neither {' nor '.join(SPECS)}")


SEEDED = sorted(name for name, source in SOURCES.items() if "seed" in source)
SPECCED = sorted(name for name, source in SOURCES.items() if "spec" in source)


@pytest.mark.parametrize("name", SEEDED)
def test_a_seed_quote_occurs_verbatim_in_its_seed_page(name):
    source = SOURCES[name]
    assert normalise(source["quote"]) in _seed(source["seed"]), (
        f"{name}: not verbatim in {source['seed']}: {source['quote']!r}")


@pytest.mark.parametrize("name", SPECCED)
def test_a_spec_citation_holds_at_its_pointer(name):
    source = SOURCES[name]
    node = _at_pointer(source["spec"])
    if "value" in source:
        assert node == source["value"], f"{name}: {source['spec']} is {node!r}, not {source['value']!r}"
    else:
        # the raw description (markdown) or the page rendered from it
        texts = [normalise(form) for text in _strings(node) for form in (text, rendered(text))]
        assert any(normalise(source["quote"]) in text for text in texts), (
            f"{name}: not verbatim at {source['spec']}: {source['quote']!r}")


def test_normalising_only_forgives_whitespace_and_typographic_quotes():
    assert normalise("It\u2019s  a\n\u201cquote\u201d") == normalise("It's a \"quote\"")
    assert normalise("amount_capturable") != normalise("amount capturable")
    assert rendered("used with [`confirm=true`](https://docs.stripe.com/x)") == "used with confirm=true"
