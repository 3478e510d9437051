"""The target under test, seen only over HTTP, and the client that talks to it.

A failure of the target (a wrong answer, a 5xx or a body that is not JSON included) is kept
apart from an error of the harness (no connection, a timeout, TLS): the first is what the suite
measures, the second means the measurement could not be made.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from urllib.parse import urlsplit

import requests

from conformance import outcomes, wire
from conformance.transport import Transport

DEFAULT_TIMEOUT = 10.0


class HarnessError(Exception):
    """The exchange with the target could not be completed: no verdict on the target."""

    endpoint: str | None = None  # the endpoint it was meant for, when the sender knows it


class TargetTimeout(HarnessError):
    """No answer in time: the endpoint is not waited on again in this run."""


class ConnectionFailed(HarnessError):
    """No exchange at all (refused, reset): a few in a row mean the target is gone."""


class RateLimited(HarnessError):
    """Still 429 after every retry the transport allows: the request was never processed."""


@dataclass(frozen=True)
class Keys:
    secret: str
    publishable: str
    other_secret: str | None = None

    @classmethod
    def derive(cls, secret: str, publishable: str | None = None, other_secret: str | None = None) -> "Keys":
        """Fill in a publishable key by the test-key convention ``sk_test_X`` (or ``rk_test_X``) -> ``pk_test_X``."""
        if publishable is None and secret.startswith(("sk_", "rk_")):
            publishable = "pk_" + secret[3:]
        return cls(secret, publishable or "", other_secret)

    def for_role(self, role: str) -> str | None:
        return {"secret": self.secret, "publishable": self.publishable, "other": self.other_secret,
                "none": None}[role]


@dataclass
class Exchange:
    """One request and its response, kept for reports."""

    method: str
    url: str
    request_body: str
    request_headers: dict[str, str]
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_text: str = ""
    body: Any = None
    elapsed_ms: float = 0.0

    def describe(self, limit: int = 2000) -> str:
        shown_headers = {k: v for k, v in self.request_headers.items() if k.lower() != "authorization"}
        lines = [f"> {self.method} {self.url}"]
        lines += [f"> {k}: {v}" for k, v in shown_headers.items()]
        if self.request_body:
            lines.append(f"> {self.request_body}")
        lines.append(f"< {self.status}  ({self.elapsed_ms:.0f} ms)")
        text = self.response_text
        if self.body is not None:
            text = json.dumps(self.body, indent=2, sort_keys=True)
        if len(text) > limit:
            text = text[:limit] + f"\n... ({len(text) - limit} more characters)"
        lines += [f"< {line}" for line in text.splitlines()]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "body": self.request_body,
                "status": self.status, "response": self.body if self.body is not None else self.response_text[:4000]}


BARE = "(bare request: is the endpoint missing?)"  # the step name of endpoint_missing's confirmation


class Client:
    """Sends Stripe-form requests to one base URL."""

    def __init__(self, base_url: str, keys: Keys, timeout: float = DEFAULT_TIMEOUT, session: Transport | None = None,
                 poll_timeout: float | None = None):
        self.base_url = base_url.rstrip("/")
        self.keys = keys
        self.timeout = timeout
        self.session = session or Transport()
        self.poll_timeout = poll_timeout  # None: each polling step's own timeout

    def send(
        self,
        method: str,
        path: str,
        *,
        form: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        key: str | None = "",
        step: str | None = None,
    ) -> Exchange:
        """Send one request; ``key`` is an API key, ``None`` for none, ``""`` for the secret key.

        ``step`` names the scenario step it belongs to, for a recording of the run.
        """
        url = self.base_url + path
        if query:
            url += "?" + wire.encode(query)
        body = wire.encode(form) if form else ""
        sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        api_key = self.keys.secret if key == "" else key
        if api_key is not None:
            sent["Authorization"] = f"Bearer {api_key}"
        exchange = Exchange(method.upper(), url, body, sent)
        self.session.step = step
        try:
            response = self.session.request(method, url, data=body.encode() if body else None, headers=sent,
                                            timeout=self.timeout, allow_redirects=False)
        except requests.Timeout as exc:
            raise TargetTimeout(f"no answer from {url} within {self.timeout:g} s") from exc
        except requests.RequestException as exc:
            raise ConnectionFailed(f"request to {url} failed: {_reason(exc)}") from exc
        exchange.status = response.status_code
        if response.status_code == 429:
            raise RateLimited(f"{method.upper()} {path} was still rate limited (429) after "
                              f"{self.session.max_retries} retries")
        exchange.response_headers = dict(response.headers)
        exchange.response_text = response.text
        exchange.elapsed_ms = response.elapsed.total_seconds() * 1000
        try:
            exchange.body = response.json()
        except ValueError:
            exchange.body = None
        return exchange

    def endpoint_missing(self, exchange: Exchange) -> bool:
        """The one rule for a missing endpoint (outcomes.is_missing_endpoint), confirmed.

        Some mocks answer a plain 404 when a request names an object they do not know
        (localstripe: "Not Found" for an unknown payment method), or 405 to a call in the wrong
        state. So an answer that reads as a missing endpoint is confirmed by sending the same
        method and path bare: a missing endpoint answers that with the same status, one that
        exists otherwise (a 400 for the missing parameters, say).
        """
        if not outcomes.is_missing_endpoint(exchange.status, exchange.body):
            return False
        key = exchange.request_headers.get("Authorization", "").removeprefix("Bearer ") or None
        try:
            bare = self.send(exchange.method, urlsplit(exchange.url).path, key=key, step=BARE)
        except HarnessError:
            return True
        return bare.status == exchange.status

    def keep_polling(self, deadline: float) -> bool:
        """Whether a polling step may ask again (a replayed run answers from its recording instead)."""
        return time.monotonic() < deadline

    def pause(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        self.session.close()


_REASONS = {
    "Connection refused": "connection refused (nothing is listening there)",
    "Name or service not known": "the host name does not resolve",
    "BadStatusLine": "the server does not speak HTTP",
    "RemoteDisconnected": "the server closed the connection without answering",
    "Connection reset": "the connection was reset",
    "Read timed out": "no answer in time",
}


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker, reason in _REASONS.items():
        if marker in text:
            return reason
    return text.splitlines()[0][:200] if text else exc.__class__.__name__


def probe(base_url: str, secret_key: str | None = None, timeout: float = 5.0, version: str | None = None) -> str | None:
    """Why ``base_url`` cannot serve as a target, in one line, or None when it can."""
    mistake = url_mistake(base_url)
    if mistake:
        return mistake
    url = base_url.rstrip("/") + "/v1/payment_intents?limit=1"
    headers = {"Authorization": f"Bearer {secret_key}"} if secret_key else {}
    if version:
        headers["Stripe-Version"] = version
    try:
        response = requests.get(url, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.Timeout:
        return f"no answer within {timeout:g} s"
    except requests.exceptions.SSLError as exc:
        if "WRONG_VERSION_NUMBER" in str(exc) or "wrong version number" in str(exc):
            return "it does not speak TLS: the server is plain HTTP, use http:// instead of https://"
        return f"TLS failed: {_reason(exc)}"
    except requests.RequestException as exc:
        return _reason(exc)
    if response.status_code == 401 and secret_key:
        return (f"it refuses the API key {_masked(secret_key)} (401 to GET /v1/payment_intents); "
                "pass the target's key with --api-key")
    return None


def url_mistake(base_url: str) -> str | None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"the base URL needs a scheme: add http:// (--base-url http://{base_url.split('://')[-1]})"
    if parts.path.rstrip("/").endswith("/v1"):
        fixed = base_url.rstrip("/")[:-3]
        return f"the base URL must not end in /v1 (the suite adds it): drop it (--base-url {fixed})"
    return None


def _masked(key: str) -> str:
    return key[:8] + "..." if len(key) > 12 else key
