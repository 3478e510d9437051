"""What a run against Stripe itself (test mode) needs, whenever the base URL is Stripe's API host.

The settings are those of the ``stripe`` target profile (targets/stripe/profile.yaml), read from
it: ``--target stripe`` and a base URL of api.stripe.com apply one set of values. Stripe's rate
limits: "operations per second" are lower in test mode than in live mode, and search has a limit
of its own, 20 requests per second; search results appear "in less than a minute" but may lag
longer during outages, so polls wait longer than against a local mock.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from conformance import profiles

_PROFILE = profiles.load("stripe", check=False)  # read at every start; tests/test_peers.py validates it
BASE_URL = _PROFILE.url
HOST = urlsplit(BASE_URL).hostname
API_VERSION = _PROFILE.data["api_version"]  # the official spec's version, which the expectations were written against
LIVE_PREFIXES = ("sk_live_", "rk_live_", "pk_live_")

MAX_RPS = _PROFILE.limit("max_rps")  # below test mode's documented 25 operations per second
SEARCH_RPS = 20.0  # Stripe's separate search limit; every search poll shares it
POLL_TIMEOUT = _PROFILE.limit("poll_timeout")  # seconds a search poll waits (a local mock: the scenario's 60)
# What a fresh test account lacks: incremental authorization needs IC+ pricing
# ("We offer incremental authorizations to users on IC+ pricing").
LACKS = tuple(_PROFILE.lacks)
# A real publishable key cannot be derived from the secret key (the bundled server's convention),
# and isolation needs a second account: without --publishable-key and --other-api-key their
# scenarios are not applicable (conformance.engine.MissingKey), never failed.


@dataclass(frozen=True)
class Settings:
    """The run's pacing and waiting, as the target needs them."""

    max_rps: float | None = None
    search_rps: float | None = None
    poll_timeout: float | None = None  # None: each scenario's own
    lacks: tuple[str, ...] = ()
    derive_publishable: bool = True  # sk_test_X -> pk_test_X, the bundled server's convention


STRIPE = Settings(MAX_RPS, SEARCH_RPS, POLL_TIMEOUT, LACKS, derive_publishable=False)
LOCAL = Settings()


def is_stripe(base_url: str | None) -> bool:
    return bool(base_url) and (urlsplit(base_url).hostname or "").lower() == HOST


def settings_for(base_url: str | None) -> Settings:
    return STRIPE if is_stripe(base_url) else LOCAL


def live_key(*keys: str | None) -> str | None:
    """The first live-mode key among ``keys``, masked, or None: a live key is never used."""
    for key in keys:
        if key and key.startswith(LIVE_PREFIXES):
            return key[:8] + "..."
    return None


def refusal(*keys: str | None) -> str | None:
    """The one line refusing a live key (exit 4, before any connection), or None."""
    found = live_key(*keys)
    if found is None:
        return None
    return (f"{found} is a live-mode key: the suite creates and cancels objects, so it only runs with test-mode "
            "keys (sk_test_, rk_test_, pk_test_)")
