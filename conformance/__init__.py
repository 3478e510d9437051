"""stripe-conformance: the contract and conformance suite for Stripe's PaymentIntents API."""

__version__ = "0.1.0"
