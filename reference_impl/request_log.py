"""One log line per request: plain text (the default) or one JSON object (``serve --log-format json``).

The JSON line carries what log shippers index: method, path, status, duration, request id and
account. Timing a request is the JSON format's cost alone: the plain format never reads a clock.
"""

from __future__ import annotations

import datetime
import logging
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable

import orjson

from reference_impl import auth, errors

if TYPE_CHECKING:
    from reference_impl.app import Answer, Request

log = logging.getLogger("reference_impl")

RequestLog = Callable[["Request", "Answer", str, float], None]


def plain(request: "Request", answer: "Answer", request_id: str, started: float) -> None:
    if not log.isEnabledFor(logging.INFO):  # the usual case (--log-level warning): build no line at all
        return
    line = f"{request.method} {request.path} {answer.status} {request_id}"
    if answer.error is not None:
        line += f" {answer.error.get('type')} {answer.error.get('code', '-')} {answer.error.get('param', '-')}"
    if answer.replay_of:
        line += f" idempotent-replay-of {answer.replay_of}"
    log.info(line)


def as_json(request: "Request", answer: "Answer", request_id: str, started: float) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    record: dict[str, Any] = {
        "method": request.method, "path": request.path, "status": answer.status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "request_id": request_id, "account": _account(request),
    }
    if answer.error is not None:
        record["error"] = {name: answer.error.get(name) for name in ("type", "code", "param")}
    if answer.replay_of:
        record["idempotent_replay_of"] = answer.replay_of
    log.info(record)


def _account(request: "Request") -> str | None:
    try:
        return auth.caller(request.headers.get("authorization")).account
    except errors.StripeError:
        return None


FORMATS: dict[str, RequestLog] = {"text": plain, "json": as_json}


class JsonFormatter(logging.Formatter):
    """Every line as one JSON object: a request's record, or any other message under ``message``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
        }
        if isinstance(record.msg, dict):
            line.update(record.msg)
        else:
            line["logger"] = record.name
            line["message"] = record.getMessage()
        if record.exc_info:
            line["traceback"] = "".join(traceback.format_exception(*record.exc_info))
        return orjson.dumps(line).decode()
