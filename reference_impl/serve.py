"""Run the reference server on a real ASGI server (uvicorn): HTTP, and HTTPS beside it when asked.

The listening sockets are bound here, before anything is announced: a port in use is one line
and exit 4, ``--port 0`` announces the port actually bound, and the success line is printed
only once every listener accepts requests. Every everyday mistake (a bad port, certificate or
database) is one line and exit 4; Ctrl-C and SIGTERM stop the server quietly, exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import ssl
import sys
from dataclasses import dataclass
from typing import Iterator

import uvicorn

from reference_impl import heap
from reference_impl.app import create_app
from reference_impl.http_protocol import StripeHttpToolsProtocol
from reference_impl.request_log import JsonFormatter
from reference_impl.serve_options import USAGE_ERROR, parse
from reference_impl.store import Store

BACKLOG = 2048  # uvicorn's own default

log = logging.getLogger("reference_impl")


class ServeError(Exception):
    """Something the person starting the server can fix: one line, exit 4."""


def make_store(db: str | None, max_objects: int | None = None) -> Store:
    """In memory by default; with ``db``, every change also written to that file."""
    if db is None:
        return Store(max_objects)
    from reference_impl.durable_store import DurableStore, StoreError

    try:
        return DurableStore(db, max_objects)
    except StoreError as exc:
        raise ServeError(str(exc)) from None


@dataclass
class Listener:
    scheme: str
    sock: socket.socket
    ssl_context: ssl.SSLContext | None = None

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"{self.scheme}://{f'[{host}]' if ':' in host else host}:{port}"


def listen(host: str, port: int, flag: str) -> socket.socket:
    """A listening TCP socket on ``host:port``, or the reason there is none as a ServeError."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise ServeError(f"--host {host}: not an address or a name this machine can resolve ({exc.strerror})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart past TIME_WAIT
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise ServeError(_why_not_listening(host, port, flag, exc)) from None
    return sock


def _why_not_listening(host: str, port: int, flag: str, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use (another server is listening there); "
                f"choose another with {flag}, or {flag} 0 for any free port")
    if exc.errno == errno.EACCES:
        return f"port {port} on {host}: permission denied (ports below 1024 need privileges); choose another with {flag}"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"--host {host}: not an address of this machine"
    return f"cannot listen on {host}:{port}: {exc.strerror}"


def _inherited(fd: int) -> socket.socket:
    try:
        return socket.socket(fileno=fd)
    except OSError as exc:
        raise ServeError(f"--fd {fd}: not a listening socket ({exc.strerror})") from None


def serve(args: argparse.Namespace) -> int:
    """Run until Ctrl-C, SIGTERM or (with ``--stop-on-stdin-eof``) the end of standard input."""
    _configure_logging(args.log_level, args.log_format)
    tls_context = _tls_context(args)
    listeners: list[Listener] = []
    store = make_store(args.db, args.max_objects)
    try:
        if args.fd is not None:
            # uvicorn's own ``fd=`` wraps the descriptor as AF_UNIX, so asyncio never sets TCP_NODELAY on
            # accepted connections and every response waits out the client's delayed ACK (~40 ms).
            listeners.append(Listener("http", _inherited(args.fd)))
        else:
            listeners.append(Listener("http", listen(args.host, args.port, "--port")))
        if tls_context is not None:
            listeners.append(Listener("https", listen(args.host, args.https_port, "--https-port"), tls_context))
        app = create_app(store, reset_enabled=not args.no_reset, log_format=args.log_format)
        _run(app, listeners, lambda: _announce(args, listeners), args.stop_on_stdin_eof)
    finally:
        for listener in listeners:
            listener.sock.close()
        store.close()
    return 0


def _tls_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    from reference_impl import tls

    try:
        if args.cert:
            return tls.given_context(args.cert, args.key)
        if args.https_port is not None:
            return tls.made_context(args.host, args.cert_name, args.ca_out)
    except tls.TlsError as exc:
        raise ServeError(str(exc)) from None
    return None


def _announce(args: argparse.Namespace, listeners: list[Listener]) -> None:
    storage = f"file {args.db}" if args.db else "memory"
    if args.max_objects:
        storage += f", at most {args.max_objects} per account"
    urls = " and ".join(listener.url for listener in listeners)
    trust = f"; CA certificate in {args.ca_out}" if args.ca_out else ""
    log.warning("stripe-conformance reference server on %s (objects in %s%s)", urls, storage, trust)


def _configure_logging(level: str, log_format: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper()))


# ------------------------------------------------------------------------------------- running


class _UvicornServer(uvicorn.Server):
    """One listener's uvicorn server; signals are the runner's, for every listener at once."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # uvicorn's own re-raises the signal once stopped: the traceback Ctrl-C used to print

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


def _run(app, listeners: list[Listener], announce, stop_on_stdin_eof: bool) -> None:
    servers = []
    for listener in listeners:
        # No proxy-header rewriting: nothing stands in front of a local mock, and it is a layer per request.
        # log_config=None: our handler formats uvicorn's lines too (as JSON with --log-format json).
        config = uvicorn.Config(app, log_level="warning", log_config=None, access_log=False, lifespan="off",
                                proxy_headers=False, http=StripeHttpToolsProtocol)
        config.load()
        config.ssl = listener.ssl_context  # a context made in memory: uvicorn's own takes only files
        servers.append(_UvicornServer(config))
    loop = _new_loop(servers[0].config)
    try:
        loop.run_until_complete(_serve_all(servers, listeners, announce, stop_on_stdin_eof))
    finally:
        loop.close()


def _new_loop(config: uvicorn.Config) -> asyncio.AbstractEventLoop:
    """The event loop uvicorn would pick (uvloop when installed)."""
    factory = config.get_loop_factory() if hasattr(config, "get_loop_factory") else None
    if factory is None and hasattr(config, "setup_event_loop"):
        config.setup_event_loop()  # uvicorn before 0.36: sets the loop policy instead
    loop = factory() if factory is not None else asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


async def _serve_all(servers: list[_UvicornServer], listeners: list[Listener], announce,
                     stop_on_stdin_eof: bool) -> None:
    loop = asyncio.get_running_loop()

    def stop(*_) -> None:
        for server in servers:
            if server.should_exit:
                server.force_exit = True  # a second Ctrl-C: stop waiting for open connections
            server.should_exit = True

    _on_stop_signals(loop, stop)
    if stop_on_stdin_eof:
        _stop_on_stdin_eof(loop, stop)
    heap.settle_periodically(loop)
    tasks = [asyncio.create_task(server.serve(sockets=[listener.sock])) for server, listener in zip(servers, listeners)]
    started = asyncio.gather(*(server.ready.wait() for server in servers))
    done, _ = await asyncio.wait([started, *tasks], return_when=asyncio.FIRST_COMPLETED)
    if started in done:
        announce()
    else:
        started.cancel()
        stop()
    await asyncio.gather(*tasks)


def _on_stop_signals(loop: asyncio.AbstractEventLoop, stop) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
        except (NotImplementedError, RuntimeError):  # Windows' loops
            signal.signal(sig, stop)


def _stop_on_stdin_eof(loop: asyncio.AbstractEventLoop, stop) -> None:
    """A launcher holds our stdin open; when it dies, however it dies, stdin closes and we stop."""
    fd = sys.stdin.fileno()

    def readable() -> None:
        if not os.read(fd, 4096):
            loop.remove_reader(fd)
            stop()

    try:
        loop.add_reader(fd, readable)
    except NotImplementedError:  # Windows' proactor loop cannot watch a pipe
        log.warning("cannot watch stdin here: stopping with it is off")


def main(argv: list[str] | None = None, prog: str = "python -m reference_impl") -> int:
    args = parse(argv, prog)
    try:
        return serve(args)
    except ServeError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:  # Ctrl-C while starting (making a certificate, loading --db): a stop like any
        return 0


if __name__ == "__main__":
    sys.exit(main())
