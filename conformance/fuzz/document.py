"""The OpenAPI document as schemathesis sees it, with the suite's settings and the target's key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig

from conformance.fuzz import hooks  # noqa: F401  (the serializer and checks must be registered first)
from conformance.fuzz.options import FuzzOptions
from conformance.resources import schemas_dir

SETTINGS = Path(__file__).with_name("schemathesis.toml")


def document_path() -> Path:
    return Path(str(schemas_dir().joinpath("openapi.yaml")))


@dataclass
class KeyHolder:
    """The run's secret key and transport, known once the target is chosen (after the document is loaded)."""

    secret: str | None = None
    session: Any = None  # conformance.transport.Transport: Stripe-Version, the rate ceiling, 429s, the recording


PLACEHOLDER = "sk_test_placeholder_for_the_targets_key"


def with_key(case: Any, secret: str) -> None:
    """Give a case built before the target was chosen the run's key (a case sent without one keeps none)."""
    headers = dict(case.headers or {})
    if headers.get("Authorization") == f"Bearer {PLACEHOLDER}":
        headers["Authorization"] = f"Bearer {secret}"
        case.headers = headers


def load(options: FuzzOptions, keys: KeyHolder) -> Any:
    """The document with schemathesis.toml's settings; ``keys.secret`` is read for each request."""
    config = SchemathesisConfig.from_path(SETTINGS)
    config.update(seed=options.seed, max_failures=None)
    schema = schemathesis.openapi.from_path(document_path(), config=config)
    schema.config.generation.update(max_examples=max(options.examples, 1), database="none")

    class Bearer:
        """The target's secret key, known only once the target is (started and) chosen."""

        def get(self, case: Any, ctx: Any) -> str:
            # schemathesis applies auth to some cases while pytest collects them, before any target
            # is chosen: those carry the placeholder, which with_key() replaces when they are sent.
            return keys.secret or PLACEHOLDER

        def set(self, case: Any, key: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}

    schema.auth(refresh_interval=None)(Bearer)
    return _through_the_run(schema, keys)


def _through_the_run(schema: Any, keys: KeyHolder) -> Any:
    """Requests schemathesis sends on its own (its auth probes, sent without our session) go through it too.

    Otherwise they would carry no Stripe-Version, escape the rate ceiling, and a 429 answered to
    an auth probe would read as a missing 401.
    """
    from schemathesis.transport.requests import REQUESTS_TRANSPORT, RequestsTransport

    class RunTransport(RequestsTransport):
        def send(self, case: Any, *, session: Any = None, **kwargs: Any) -> Any:
            return super().send(case, session=session if session is not None else keys.session, **kwargs)

    transport = RunTransport()
    transport._serializers = REQUESTS_TRANSPORT._serializers  # the same table: serializers registered later count
    schema.__class__ = type(schema.__class__.__name__, (schema.__class__,), {"transport": property(lambda _: transport)})
    return schema
