"""Where the tests find the read-only ground truth: ``../shared`` beside the checkout, or the folder
``STRIPE_CONFORMANCE_SHARED`` names. Nothing may need it to pass: a test that reads it skips when
it is absent, saying which path it looked for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("STRIPE_CONFORMANCE_SHARED") or REPO.parent / "shared")


def need(relative: str) -> Path:
    """The path below the shared folder, or a skip naming it when it is not there."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} is not beside this checkout (set STRIPE_CONFORMANCE_SHARED to the shared folder)")
    return path
