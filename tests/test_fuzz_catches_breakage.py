"""The fuzz tests can fail: broken copies of the reference server are caught.

Each copy is the reference server behind a small ASGI wrapper that rewrites some answers,
served on a real port; the fuzz tests run against it through ``stripe-conformance run`` as a
user would, and must fail for the reason planted.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
import uvicorn

from reference_impl.app import create_app

# Whole fuzz runs of the tool in subprocesses.
pytestmark = pytest.mark.slow

Breakage = Callable[[dict, int, bytes], tuple[int, bytes]]


def drop_param(scope: dict, status: int, body: bytes) -> tuple[int, bytes]:
    """Errors lose the parameter they are about."""
    answer = json.loads(body)
    if isinstance(answer.get("error"), dict):
        answer["error"].pop("param", None)
    return status, json.dumps(answer).encode()


def capture_in_any_state(scope: dict, status: int, body: bytes) -> tuple[int, bytes]:
    """A capture refused for the PaymentIntent's status answers 200 with the PaymentIntent as it was."""
    answer = json.loads(body)
    error = answer.get("error") if isinstance(answer, dict) else None
    if scope["path"].endswith("/capture") and isinstance(error, dict) and error.get("payment_intent"):
        return 200, json.dumps(error["payment_intent"]).encode()
    return status, body


class Broken:
    """ASGI middleware: the reference server's answers, passed through ``breakage``."""

    def __init__(self, app, breakage: Breakage):
        self.app, self.breakage = app, breakage

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        messages: list[dict] = []

        async def keep(message: dict) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        start, body = messages[0], b"".join(m.get("body", b"") for m in messages[1:])
        status, body = self.breakage(scope, start["status"], body)
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        await send({"type": "http.response.start", "status": status,
                    "headers": headers + [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def serve(breakage: Breakage):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(Broken(create_app(), breakage), lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def broken_server(request):
    server, thread, url = serve(request.param)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def run_fuzz(url: str, *selection: str, examples: int = 15) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "conformance.cli", "run", "--base-url", url, "--api-key", "sk_test_breakage",
               "--fuzz-examples", str(examples), "--seed", "1", "-m", "fuzz", "-p", "no:cacheprovider", *selection]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("broken_server", [drop_param], indirect=True)
def test_an_error_without_its_param_fails_the_fuzz_tests(broken_server):
    result = run_fuzz(broken_server, "-k", "test_operation")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "FAILED" in result.stdout
    assert "error without the param it is about" in result.stdout, result.stdout[-3000:]


@pytest.mark.parametrize("broken_server", [capture_in_any_state], indirect=True)
def test_a_capture_in_the_wrong_state_fails_the_stateful_fuzz_test(broken_server):
    # Every sequence opens with a capture of a PaymentIntent not yet capturable (conformance/fuzz/stateful.py).
    result = run_fuzz(broken_server, "-k", "stateful", examples=2)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "FAILED" in result.stdout and "test_stateful_sequences" in result.stdout
    assert "POST /v1/payment_intents/{intent}/capture answered 200 for pi_" in result.stdout \
        or "Schema at /payment_intent.json/properties/status" in result.stdout, result.stdout[-3000:]
