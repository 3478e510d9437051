"""Other Stripe mocks, run as targets of the suite (``python -m conformance.peers.NAME``)."""
