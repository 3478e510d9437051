"""The ASGI application: routes, authentication, the wire format, idempotency and error answers.

Every request goes through :class:`ReferenceApp`: route, authenticate, read the parameters, replay or
run the handler (inside a store transaction when it may change state), answer JSON with a
``Request-Id`` header, and log one line. Nothing a client sends can make it answer 500:
a 500 is always a bug here, logged with its traceback and request id.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import orjson

from conformance.wire import WireError, decode
from reference_impl import admin, auth, errors, ids, idempotency, request_log, versions
from reference_impl.context import Context
from reference_impl.resources import ROUTES
from reference_impl.routing import Router
from reference_impl.store import Store

log = logging.getLogger("reference_impl")

MAX_BODY = 1 << 20  # 1 MiB, far above any real Stripe request

Handler = Callable[..., dict]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class ClientDisconnect(Exception):
    """The client went away before its request body arrived."""


@dataclass(slots=True)
class Request:
    """What the endpoint reads of one ASGI ``http`` request."""

    method: str
    path: str  # not a URL built from the raw path: the raw query string may not be UTF-8
    query_string: bytes
    headers: dict[str, str]  # names lower-case, as ASGI servers pass them; the first of repeated headers wins
    receive: Receive
    path_params: dict[str, str]

    @classmethod
    def from_scope(cls, scope: dict, receive: Receive, path_params: dict[str, str]) -> "Request":
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(scope["headers"])}
        return cls(scope["method"], scope["path"], scope.get("query_string", b""), headers, receive, path_params)

    async def body(self, limit: int) -> bytes | None:
        """The whole body, or None once it grows past ``limit`` bytes."""
        body = bytearray()
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect
            body += message.get("body", b"")
            if len(body) > limit:
                return None
            if not message.get("more_body", False):
                return bytes(body)


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes
    error: dict | None = None  # the error object, for the log line
    replay_of: str | None = None  # the request whose saved answer this replays
    quiet: bool = False  # left out of the log (health checks: a compose file polls every few seconds)


def _encode(body: Any) -> bytes:
    # orjson: the standard library's encoder was a tenth of a create's time.
    try:
        return orjson.dumps(body)
    except TypeError:  # what orjson refuses (integers past 64 bits, lone surrogates) the standard library writes
        return json.dumps(body, separators=(",", ":")).encode()


def _error_answer(error: errors.StripeError) -> Answer:
    return Answer(error.status, _encode(error.envelope()), error=error.body)


def _bug_answer(request: Request, request_id: str) -> Answer:
    log.exception("%s %s 500 %s: unhandled error", request.method, request.path, request_id)
    return _error_answer(errors.StripeError(500, "An unexpected error occurred on the reference server.",
                                            type="api_error"))


async def _read_form(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return {}
    declared = request.headers.get("content-length", "")
    body = None if declared.isdigit() and int(declared) > MAX_BODY else await request.body(MAX_BODY)
    if body is None:
        raise errors.StripeError(413, f"Request bodies are limited to {MAX_BODY} bytes.", code="request_too_large")
    if body and "json" in request.headers.get("content-type", ""):
        raise errors.StripeError(400, "Invalid request: Stripe's API takes application/x-www-form-urlencoded "
                                 "bodies, not JSON.", code="parameter_invalid_string")
    return decode(body)


def _wire_error(exc: WireError) -> errors.StripeError:
    # A parameter_* code is about one parameter; input that names none (`=x`, bytes that are
    # not UTF-8) is refused without one.
    code = "parameter_invalid_string" if exc.param else None
    return errors.StripeError(400, str(exc), param=exc.param, code=code)


class ReferenceApp:
    """The ASGI application: every HTTP request is routed, answered and logged here.

    A plain ASGI callable rather than a web framework's: per request it builds nothing the
    endpoint does not read, which was a sixth of a create's time.
    """

    def __init__(self, store: Store, reset_enabled: bool = True, log_format: str = "text") -> None:
        self.store = store
        self.router = Router(ROUTES)
        self.reset_enabled = reset_enabled
        self._log = request_log.FORMATS[log_format]
        self._timed = log_format != "text"  # only the JSON line carries a duration

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise RuntimeError(f"the reference server speaks HTTP only, not {scope['type']}")
        started = time.perf_counter() if self._timed else 0.0
        request_id = ids.new_id("req")
        found = self.router.find(scope["method"], scope["path"])
        request = Request.from_scope(scope, receive, found[1] if found else {})
        version = versions.DEFAULT
        try:
            version = versions.answered(request.headers.get("stripe-version"))
            if found is None:
                answer = self._unrouted(request)
            else:
                answer = await _answer(self.store, found[0], request, request_id)
        except errors.StripeError as exc:  # a malformed Stripe-Version: refused before anything is read
            answer = _error_answer(exc)
        except ClientDisconnect:
            answer = _error_answer(errors.StripeError(400, "The client closed the connection mid-request."))
        except Exception:  # noqa: BLE001 - the last line of defence: a bug answers 500, never a dropped connection
            answer = _bug_answer(request, request_id)
        if not answer.quiet:
            self._log(request, answer, request_id, started)
        await _send(send, answer, request_id, version)

    def _unrouted(self, request: Request) -> Answer:
        """The server's own endpoints (:mod:`reference_impl.admin`), or Stripe's 404."""
        if not request.path.startswith(admin.PREFIX):
            return _not_found(request)
        try:
            body = admin.answer(self.store, request.method, request.path, request.headers, self.reset_enabled)
        except errors.StripeError as exc:
            return _error_answer(exc)
        if body is None:
            return _not_found(request)
        return Answer(200, _encode(body), quiet=admin.health(request.method, request.path))


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start or stop: acknowledge both, for servers that run the lifespan protocol."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _answer(store: Store, handler: Handler, request: Request, request_id: str) -> Answer:
    try:
        caller = auth.caller(request.headers.get("authorization"))
        params = await _read_form(request)
        query = decode(request.query_string)
        key = idempotency.key_from(request.headers) if request.method == "POST" else None
    except errors.StripeError as exc:
        return _error_answer(exc)
    except WireError as exc:
        return _error_answer(_wire_error(exc))
    ctx = Context(store, caller, params=params, query=query)
    if request.method == "GET":
        answer = _run(handler, ctx, request, request_id)
    else:
        with store.transaction():
            if key is None:
                answer = _run(handler, ctx, request, request_id)
            else:
                answer = _run_idempotently(handler, ctx, request, request_id, key)
    committed = store.written()
    if committed is not None:  # a durable store: nothing is answered before it is on disk
        await committed
    return answer


def _run_idempotently(handler: Handler, ctx: Context, request: Request, request_id: str, key: str) -> Answer:
    account = ctx.caller.account
    fingerprint = idempotency.fingerprint(request.method, request.path, ctx.params, ctx.query)
    try:
        saved = idempotency.replay(ctx.store, account, key, fingerprint)
    except errors.StripeError as exc:
        return _error_answer(exc)
    if saved is not None:
        return Answer(saved.status, saved.body, replay_of=saved.request_id)
    answer = _run(handler, ctx, request, request_id)
    if ctx.began:
        idempotency.remember(ctx.store, account, key, fingerprint, answer.status, answer.body, request_id)
    return answer


def _run(handler: Handler, ctx: Context, request: Request, request_id: str) -> Answer:
    try:
        return Answer(200, _encode(handler(ctx, **request.path_params)))
    except errors.StripeError as exc:
        return _error_answer(exc)
    except WireError as exc:
        return _error_answer(_wire_error(exc))
    except Exception:  # noqa: BLE001 - answered (and, with a key, saved) like any result, as Stripe does
        return _bug_answer(request, request_id)


async def _send(send: Send, answer: Answer, request_id: str, version: str) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(answer.body)).encode()),
               (b"request-id", request_id.encode()), (b"stripe-version", version.encode("latin-1"))]
    if answer.replay_of:
        headers += [(b"idempotent-replayed", b"true"), (b"original-request", answer.replay_of.encode())]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


def _not_found(request: Request) -> Answer:
    message = (f"Unrecognized request URL ({request.method}: {request.path}). Please see https://stripe.com/docs "
               "or we can help at https://support.stripe.com/.")
    return _error_answer(errors.StripeError(404, message))


def create_app(store: Store | None = None, reset_enabled: bool = True, log_format: str = "text") -> ReferenceApp:
    return ReferenceApp(store or Store(), reset_enabled=reset_enabled, log_format=log_format)
