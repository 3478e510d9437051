"""The OpenAPI document as schemathesis sees it, with the suite's settings and the target's key."""

from __future__ import annotations

from collections.abc import Callable
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


def load(options: FuzzOptions, secret_key: Callable[[], str]) -> Any:
    """The document with schemathesis.toml's settings; ``secret_key`` is asked for when a request is made."""
    config = SchemathesisConfig.from_path(SETTINGS)
    config.update(seed=options.seed, max_failures=None)
    schema = schemathesis.openapi.from_path(document_path(), config=config)
    schema.config.generation.update(max_examples=max(options.examples, 1), database="none")

    class Bearer:
        """The target's secret key, known only once the target is (started and) chosen."""

        def get(self, case: Any, ctx: Any) -> str:
            return secret_key()

        def set(self, case: Any, key: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}

    schema.auth(refresh_interval=None)(Bearer)
    return schema
