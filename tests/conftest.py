from __future__ import annotations

import pytest

from conformance.launcher import DEFAULT_OTHER_SECRET_KEY, DEFAULT_SECRET_KEY, BundledServer
from conformance.target import Client, Keys


@pytest.fixture(scope="session")
def reference_server():
    """The bundled reference server on a real ASGI server, in its own process."""
    with BundledServer() as server:
        yield server


@pytest.fixture
def client(reference_server):
    c = Client(reference_server.base_url, Keys.derive(DEFAULT_SECRET_KEY, None, DEFAULT_OTHER_SECRET_KEY))
    yield c
    c.close()
