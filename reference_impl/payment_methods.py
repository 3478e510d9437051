"""The test PaymentMethods of Stripe's test mode and what confirming with each does."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class TestCard:
    __test__ = False  # a data class, not a pytest test class

    id: str
    brand: str
    last4: str
    funding: str = "credit"
    decline: str | None = None
    authenticate: str | None = None  # "always", or "on_session" (off-session payments skip it)
    decline_increments: bool = False

    def payment_method(self, created: int) -> dict:
        return {
            "id": self.id,
            "object": "payment_method",
            "type": "card",
            "created": created,
            "livemode": False,
            "customer": None,
            "allow_redisplay": "unspecified",  # "The field defaults to unspecified." (the spec)
            "metadata": {},
            "billing_details": {"address": None, "email": None, "name": None, "phone": None},
            "card": {"brand": self.brand, "last4": self.last4, "funding": self.funding,
                     "exp_month": 12, "exp_year": 2034, "country": "US"},
        }


_CATALOGUE = json.loads(resources.files("reference_impl").joinpath("test_payment_methods.json").read_text())
CARDS = {pm_id: TestCard(id=pm_id, **spec) for pm_id, spec in _CATALOGUE["cards"].items()}
DECLINES: dict[str, dict[str, str]] = _CATALOGUE["declines"]
MICRODEPOSITS: dict = _CATALOGUE["microdeposits"]
TEST_BANK_ACCOUNTS: dict[str, dict] = {number: spec for number, spec in _CATALOGUE["bank_accounts"].items()
                                       if not number.startswith("_")}
"""US bank test accounts with a documented outcome, by account number."""
"""US bank account verification: the microdeposit type sent, failure limits, and the test values' outcomes."""


def lookup(pm_id: str) -> TestCard | None:
    return CARDS.get(pm_id)
