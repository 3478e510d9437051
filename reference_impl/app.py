"""The ASGI application: routes, authentication, the wire format, idempotency and error answers.

Every request goes through :func:`endpoint`: authenticate, read the parameters, replay or
run the handler (inside a store transaction when it may change state), answer JSON with a
``Request-Id`` header, and log one line. Nothing a client sends can make it answer 500:
a 500 is always a bug here, logged with its traceback and request id.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.wire import WireError, decode
from reference_impl import auth, errors, ids, idempotency
from reference_impl.context import Context
from reference_impl.resources import ROUTES
from reference_impl.store import Store

log = logging.getLogger("reference_impl")

MAX_BODY = 1 << 20  # 1 MiB, far above any real Stripe request

Handler = Callable[..., dict]


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    error: dict | None = None  # the error object, for the log line
    replay_of: str | None = None  # the request whose saved answer this replays


def _path(request: Request) -> str:
    # Not request.url: building it decodes the raw query string, which may not be UTF-8.
    return request.scope["path"]


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _error_answer(error: errors.StripeError) -> Answer:
    return Answer(error.status, _encode(error.envelope()), error=error.body)


def _bug_answer(request: Request, request_id: str) -> Answer:
    log.exception("%s %s 500 %s: unhandled error", request.method, _path(request), request_id)
    return _error_answer(errors.StripeError(500, "An unexpected error occurred on the reference server.",
                                            type="api_error"))


async def _read_form(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return {}
    too_large = errors.StripeError(413, f"Request bodies are limited to {MAX_BODY} bytes.", code="request_too_large")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise too_large
    if body and "json" in request.headers.get("content-type", ""):
        raise errors.StripeError(400, "Invalid request: Stripe's API takes application/x-www-form-urlencoded "
                                 "bodies, not JSON.", code="parameter_invalid_string")
    return decode(bytes(body))


def _wire_error(exc: WireError) -> errors.StripeError:
    return errors.StripeError(400, str(exc), param=exc.param, code="parameter_invalid_string")


def endpoint(store: Store, handler: Handler) -> Callable:
    async def run(request: Request) -> Response:
        request_id = ids.new_id("req")
        try:
            answer = await _answer(store, handler, request, request_id)
        except ClientDisconnect:
            answer = _error_answer(errors.StripeError(400, "The client closed the connection mid-request."))
        except Exception:  # noqa: BLE001 - the last line of defence: a bug answers 500, never a dropped connection
            answer = _bug_answer(request, request_id)
        _log(request, answer, request_id)
        return _response(answer, request_id)

    return run


async def _answer(store: Store, handler: Handler, request: Request, request_id: str) -> Answer:
    try:
        caller = auth.caller(request.headers.get("authorization"))
        params = await _read_form(request)
        query = decode(request.scope["query_string"])
        key = idempotency.key_from(request.headers) if request.method == "POST" else None
    except errors.StripeError as exc:
        return _error_answer(exc)
    except WireError as exc:
        return _error_answer(_wire_error(exc))
    ctx = Context(store, caller, params=params, query=query)
    if request.method == "GET":
        return _run(handler, ctx, request, request_id)
    with store.transaction():
        if key is None:
            return _run(handler, ctx, request, request_id)
        return _run_idempotently(handler, ctx, request, request_id, key)


def _run_idempotently(handler: Handler, ctx: Context, request: Request, request_id: str, key: str) -> Answer:
    account = ctx.caller.account
    fingerprint = idempotency.fingerprint(request.method, _path(request), ctx.params, ctx.query)
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


def _response(answer: Answer, request_id: str) -> Response:
    headers = {"Request-Id": request_id}
    if answer.replay_of:
        headers.update({"Idempotent-Replayed": "true", "Original-Request": answer.replay_of})
    return Response(answer.body, status_code=answer.status, media_type="application/json", headers=headers)


def _log(request: Request, answer: Answer, request_id: str) -> None:
    line = f"{request.method} {_path(request)} {answer.status} {request_id}"
    if answer.error is not None:
        line += f" {answer.error.get('type')} {answer.error.get('code', '-')} {answer.error.get('param', '-')}"
    if answer.replay_of:
        line += f" idempotent-replay-of {answer.replay_of}"
    log.info(line)


async def not_found(request: Request, exc: Exception) -> Response:
    request_id = ids.new_id("req")
    message = (f"Unrecognized request URL ({request.method}: {_path(request)}). Please see https://stripe.com/docs "
               "or we can help at https://support.stripe.com/.")
    answer = _error_answer(errors.StripeError(404, message))
    _log(request, answer, request_id)
    return _response(answer, request_id)


async def server_error(request: Request, exc: Exception) -> Response:
    request_id = ids.new_id("req")
    return _response(_bug_answer(request, request_id), request_id)


def create_app(store: Store | None = None) -> Starlette:
    store = store or Store()
    routes = [Route(path, endpoint(store, handler), methods=[method], name=f"{method} {path}")
              for method, path, handler in ROUTES]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found, 500: server_error})
    app.state.store = store
    return app
