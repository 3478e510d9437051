"""Stand-in targets for tests of reports and gating: servers that behave badly on purpose.

``not_found()`` answers every request 404 with Stripe's error envelope about an object (a
found endpoint that finds nothing; with Stripe's or stripe-stateful-mock's wording for an unrouted
path, every endpoint missing); ``breaking()`` forwards to a real server except for the
requests a rule picks, which get the rule's wrong answer. ``run_suite`` runs
``stripe-conformance run`` as a user does, in its own process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qsl

import requests

HOP_BY_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "content-encoding",
              "accept-encoding"}
# (method, path, form) -> None to forward, or (status, JSON body) to answer instead
Rule = Callable[[str, str, dict[str, str]], "tuple[int, dict] | None"]


class StandIn:
    """``with StandIn(answer) as server: server.base_url``; ``answer(method, path, body, headers)``."""

    def __init__(self, answer: Callable[[str, str, bytes, dict[str, str]], tuple[int, dict[str, str], bytes]]):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm on, the body waits for the
            # client's delayed ACK (40 ms a request on Linux), which made whole runs behind a stand-in minutes long.
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                self.rfile = _Unlimited(self.rfile)  # fuzzed URLs exceed http.server's 64 KiB request line

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = outer.answer(self.command, self.path, body, dict(self.headers))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def __getattr__(self, name: str):
                # every method (schemathesis tries TRACE, QUERY, ... on operations that lack them)
                if name.startswith("do_"):
                    return self._serve
                raise AttributeError(name)

            def log_message(self, *args) -> None:
                pass

        self.answer = answer
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "StandIn":
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()  # shutdown() waits one poll
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Unlimited:
    """A request stream whose lines have no length limit: the target behind, not the stand-in, judges them."""

    def __init__(self, raw) -> None:
        self.raw = raw

    def readline(self, limit: int = -1) -> bytes:
        return self.raw.readline()

    def __getattr__(self, name: str):
        return getattr(self.raw, name)


def _json(status: int, body: dict) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def not_found(as_json: bool = True, wording: str = "No such object:") -> StandIn:
    """Every path answers 404 with an error envelope: "No such object" is an answer about an object.

    ``as_json=False``: a plain-text 404, as many web frameworks answer for a route they lack;
    ``wording="Unrecognized request URL"`` (Stripe) or ``"No matching path:"`` (stripe-stateful-mock
    0.0.16 for PaymentIntents): the answer for a path it does not route, a missing endpoint.
    """
    def answer(method, path, body, headers):
        if not as_json:
            return 404, {"Content-Type": "text/plain"}, b"404: Not Found"
        return _json(404, {"error": {"type": "invalid_request_error", "message": f"{wording} {path}"}})

    return StandIn(answer)


def breaking(upstream: str, rule: Rule) -> StandIn:
    """A proxy to ``upstream`` that answers the requests ``rule`` picks with its own wrong answer."""
    session = requests.Session()

    def answer(method, path, body, headers):
        wrong = rule(method, path.split("?")[0], dict(parse_qsl(body.decode())))
        if wrong is not None:
            return _json(*wrong)
        sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
        response = session.request(method, upstream + path, data=body or None, headers=sent, timeout=10)
        returned = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
        return response.status_code, returned, response.content

    return StandIn(answer)


def run_suite(*args: str, timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance.cli", "run", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def forwarding(upstream: str, rewrite: Callable[[int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]
               ) -> Callable[[str, str, bytes, dict[str, str]], tuple[int, dict[str, str], bytes]]:
    """An ``answer`` for StandIn: forward to ``upstream`` and pass every answer through ``rewrite``."""
    session = requests.Session()

    def answer(method, path, body, headers):
        sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
        response = session.request(method, upstream + path, data=body or None, headers=sent, timeout=10)
        returned = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
        return rewrite(response.status_code, returned, response.content)

    return answer


class Seen:
    """What a proxy stand-in saw: each request's method, path, headers and time, in order."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], float]] = []
        self.lock = threading.Lock()

    def add(self, method: str, path: str, headers: dict[str, str]) -> int:
        with self.lock:
            self.requests.append((method, path, headers, time.time()))
            return len(self.requests)


def proxy(upstream: str, seen: Seen, rate_limit_every: int = 0, should_retry: str | None = None) -> StandIn:
    """A proxy to ``upstream`` that notes every request and answers one in ``rate_limit_every`` with 429.

    The 429 is Stripe's: its error envelope (``rate_limit``), ``Retry-After: 0`` and, when given,
    ``Stripe-Should-Retry``. As an HTTP proxy (``HTTP_PROXY``) it also takes absolute URLs,
    so a base URL of ``http://api.stripe.com`` reaches ``upstream`` through it.
    """
    forward = forwarding(upstream, lambda status, headers, body: (status, headers, body))

    def answer(method, path, body, headers):
        path = "/" + path.split("://", 1)[1].split("/", 1)[1] if "://" in path else path
        number = seen.add(method, path, headers)
        if rate_limit_every and number % rate_limit_every == 0:
            status, returned, payload = _json(429, {"error": {
                "type": "invalid_request_error", "code": "rate_limit",
                "message": "Too many requests hit the API too quickly."}})
            returned["Retry-After"] = "0"
            if should_retry is not None:
                returned["Stripe-Should-Retry"] = should_retry
            return status, returned, payload
        return forward(method, path, body, headers)

    return StandIn(answer)
