from __future__ import annotations

import pytest
import stripe

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


@pytest.fixture
def sdk(reference_server):
    """The official stripe library, pointed at the reference server."""
    return stripe.StripeClient(DEFAULT_SECRET_KEY, base_addresses={"api": reference_server.base_url},
                               max_network_retries=0)
