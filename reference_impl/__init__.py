"""The bundled reference implementation: a stateful, in-memory Stripe PaymentIntents server.

It depends on nothing of the suite but the shared wire-format module
(:mod:`conformance.wire`); the suite reaches it only over HTTP.
"""

from reference_impl.app import create_app

__all__ = ["create_app"]
