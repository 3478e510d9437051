"""How every request of a run reaches the target: the API version, the rate ceiling, 429s survived.

One ``requests.Session`` for the scenarios' client and the fuzz checks alike:

- every request carries ``Stripe-Version`` (the version the expectations were written against,
  unless the run names another), as Stripe's docs advise pinning it;
- a ceiling of ``max_rps`` requests per second holds across every process of the run (a clock
  in the run's shared directory), and search requests also share Stripe's separate search limit;
- a 429 is retried after ``Retry-After`` (or a short backoff), unless ``Stripe-Should-Retry:
  false`` says not to, at most :data:`MAX_RETRIES` times: a rate-limited request was not
  processed, so even a POST may be sent again. Each retry is counted for the closing summary;
- the environment (proxy variables, ``REQUESTS_CA_BUNDLE``) is read once per host, not for every
  request as requests does (a tenth of a millisecond each, thousands of times a run), and
  ``~/.netrc`` never: its credentials would replace the key a request carries, and give one to
  the requests sent without a key on purpose.

Observers see every exchange, retried ones included (recording, tracking what to clean up).
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable
from urllib.parse import urlsplit

import requests
from requests.utils import get_environ_proxies

from conformance.rundir import RunDir

MAX_RETRIES = 6
MAX_WAIT = 30.0  # seconds: a longer Retry-After is honoured only up to this
# (request, response, whether it is retried, the scenario step it belongs to)
Observer = Callable[[requests.PreparedRequest, requests.Response, bool, "str | None"], None]


class Pacer:
    """At most ``rate`` requests per second from every process of the run: a shared next-free time."""

    def __init__(self, rundir: RunDir | None, name: str, rate: float | None):
        self.rundir, self.name, self.rate = rundir, name, rate

    def wait(self) -> None:
        if not self.rate or self.rundir is None:
            return
        with self.rundir.locked(self.name) as clock:
            text = clock.read().strip()
            now = time.time()
            start = max(now, float(text) if text else 0.0)
            clock.seek(0)
            clock.truncate()
            clock.write(repr(start + 1.0 / self.rate))
        if start > now:
            time.sleep(start - now)


class Transport(requests.Session):
    def __init__(self, version: str | None = None, pacer: Pacer | None = None, search_pacer: Pacer | None = None,
                 max_retries: int = MAX_RETRIES):
        super().__init__()
        self.trust_env = False  # the environment is read by merge_environment_settings, once per host
        self.environment: dict[tuple[str, str], tuple[dict[str, str], str | None]] = {}
        self.version = version
        self.pacer, self.search_pacer = pacer or Pacer(None, "", None), search_pacer or Pacer(None, "", None)
        self.max_retries = max_retries
        self.observers: list[Observer] = []
        self.counts = {"requests": 0, "rate_limited": 0, "retries": 0}
        self.step: str | None = None  # the scenario step being sent, for observers

    def merge_environment_settings(self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any) -> dict:
        """requests' own merge with trust_env, but the environment read once per scheme and host."""
        host = urlsplit(url)[:2]
        if host not in self.environment:
            self.environment[host] = _environment(*host)
        from_environment, bundle = self.environment[host]
        proxies = {**from_environment, **(proxies or {})}
        if bundle and (verify is True or verify is None):
            verify = bundle
        return super().merge_environment_settings(url, proxies, stream, verify, cert)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self.version and "Stripe-Version" not in request.headers:
            request.headers["Stripe-Version"] = self.version
        attempt = 0
        while True:
            self.pacer.wait()
            if (request.path_url.split("?")[0]).endswith("/search"):
                self.search_pacer.wait()
            response = super().send(request, **kwargs)
            self.counts["requests"] += 1
            again = response.status_code == 429 and attempt < self.max_retries and _may_retry(response)
            if response.status_code == 429:
                self.counts["rate_limited"] += 1
            for observer in self.observers:
                observer(request, response, again, self.step)
            if not again:
                return response
            attempt += 1
            self.counts["retries"] += 1
            time.sleep(_delay(response, attempt))


def _environment(scheme: str, netloc: str) -> tuple[dict[str, str], str | None]:
    """The proxies the environment gives a host (``NO_PROXY`` heeded) and the CA bundle it names."""
    return (get_environ_proxies(f"{scheme}://{netloc}/"),
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE"))


def _may_retry(response: requests.Response) -> bool:
    return response.headers.get("Stripe-Should-Retry", "").strip().lower() != "false"


def _delay(response: requests.Response, attempt: int) -> float:
    """``Retry-After`` in seconds when given, else an exponential backoff from a quarter second."""
    given = response.headers.get("Retry-After", "").strip()
    try:
        return min(max(float(given), 0.0), MAX_WAIT)
    except ValueError:
        return min(0.25 * 2 ** (attempt - 1), MAX_WAIT)
