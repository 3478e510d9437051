"""Generated form bodies, sent the way Stripe reads them.

schemathesis's own form encoder flattens nested objects, repeats array keys without brackets
and drops empty objects; Stripe reads ``shipping[address][line1]=...``, ``expand[]=x`` and
``metadata[k]=`` (unset). This serializer encodes the case's body with :mod:`conformance.wire`,
the encoder the suite's client and the reference server share. Nothing is dropped: an empty
value, object or list is sent as ``key=``, so a negative case stays the case that was generated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import schemathesis

from conformance import wire

MEDIA_TYPE = "application/x-www-form-urlencoded"


def encode_body(body: Any) -> bytes:
    """The bytes for a generated body; a negative case may not even be an object."""
    if isinstance(body, Mapping):
        return wire.encode(body).encode("utf-8")
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


def as_sent(value: Any) -> Any:
    """``value`` as the server reads it back: null and empty lists and objects travel as ``key=``."""
    if isinstance(value, Mapping):
        return {key: as_sent(item) for key, item in value.items()} if value else ""
    if isinstance(value, list):
        return [as_sent(item) for item in value] if value else ""
    return "" if value is None else value


@schemathesis.serializer(MEDIA_TYPE)
def stripe_form(ctx: Any, value: Any) -> bytes:
    # `value` has already been through schemathesis's flattening; the case keeps the tree.
    return encode_body(ctx.case.body)
