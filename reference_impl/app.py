"""The ASGI application: routes, authentication, the wire format and error answers."""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.wire import WireError, decode
from reference_impl import auth, errors, ids
from reference_impl.context import Context
from reference_impl.resources import ROUTES
from reference_impl.store import Store

log = logging.getLogger("reference_impl")

MAX_BODY = 1 << 20  # 1 MiB, far above any real Stripe request

Handler = Callable[..., dict]
def json_response(status: int, body: Any, request_id: str) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status_code=status, media_type="application/json",
                    headers={"Request-Id": request_id})


async def _read_form(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if request.method == "GET":
        return {}
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise errors.StripeError(413, f"Request bodies are limited to {MAX_BODY} bytes.",
                                     code="request_too_large")
    if body and "json" in content_type:
        raise errors.StripeError(400, "Invalid request: Stripe's API takes application/x-www-form-urlencoded "
                                 "bodies, not JSON.", code="parameter_invalid_string")
    return decode(body)


def endpoint(store: Store, handler: Handler) -> Callable:
    async def run(request: Request) -> Response:
        request_id = ids.new_id("req")
        try:
            caller = auth.caller(request.headers.get("authorization"))
            params = await _read_form(request)
            ctx = Context(store, caller, params=params, query=decode(request.url.query))
            status, body = 200, handler(ctx, **request.path_params)
        except errors.StripeError as exc:
            status, body = exc.status, exc.envelope()
        except WireError as exc:
            # A parameter_* code is about one parameter; input that names none (`=x`, bytes that
            # are not UTF-8) is refused without one.
            code = "parameter_invalid_string" if exc.param else None
            status, body = 400, errors.StripeError(400, str(exc), param=exc.param, code=code).envelope()
        _log(request, status, request_id, body)
        return json_response(status, body, request_id)

    return run


def _log(request: Request, status: int, request_id: str, body: dict) -> None:
    line = f"{request.method} {request.url.path} {status} {request_id}"
    if status >= 400:
        error = body.get("error", {})
        line += f" {error.get('type')} {error.get('code', '-')} {error.get('param', '-')}"
    log.info(line)


async def not_found(request: Request, exc: Exception) -> Response:
    request_id = ids.new_id("req")
    message = (f"Unrecognized request URL ({request.method}: {request.url.path}). Please see https://stripe.com/docs "
               "or we can help at https://support.stripe.com/.")
    _log(request, 404, request_id, {"error": {"type": "invalid_request_error"}})
    return json_response(404, errors.StripeError(404, message).envelope(), request_id)


async def server_error(request: Request, exc: Exception) -> Response:
    request_id = ids.new_id("req")
    log.exception("%s %s 500 %s", request.method, request.url.path, request_id)
    body = errors.StripeError(500, "An unexpected error occurred on the reference server.", type="api_error")
    return json_response(500, body.envelope(), request_id)


def create_app(store: Store | None = None) -> Starlette:
    store = store or Store()
    routes = [Route(path, endpoint(store, handler), methods=[method], name=f"{method} {path}")
              for method, path, handler in ROUTES]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found, 500: server_error})
    app.state.store = store
    return app
