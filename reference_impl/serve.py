"""Run the reference server on a real ASGI server (uvicorn)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys

import uvicorn

from reference_impl import heap
from reference_impl.app import create_app
from reference_impl.http_protocol import StripeHttpToolsProtocol
from reference_impl.store import Store


def make_store(db: str | None) -> Store:
    """In memory by default; with ``db``, every object also kept in that SQLite file."""
    if db is None:
        return Store()
    from reference_impl.sqlite_store import SqliteStore

    return SqliteStore(db)


def serve(host: str = "127.0.0.1", port: int = 12111, fd: int | None = None, log_level: str = "info",
          db: str | None = None, stop_on_stdin_eof: bool = False) -> None:
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, log_level.upper()),
                        format="%(asctime)s %(name)s %(message)s")
    store = make_store(db)
    # No proxy-header rewriting: nothing stands in front of a local mock, and it is a layer per request.
    config = uvicorn.Config(create_app(store), host=host, port=port, log_level="warning", access_log=False,
                            lifespan="off", proxy_headers=False, http=StripeHttpToolsProtocol)
    server = _Server(config, stop_on_stdin_eof)
    sockets = None
    if fd is None:
        host_port = f"{host}:{port}"
    else:
        # uvicorn's own ``fd=`` wraps the descriptor as AF_UNIX, so asyncio never sets TCP_NODELAY on
        # accepted connections and every response waits out the client's delayed ACK (~40 ms).
        listener = socket.socket(fileno=fd)
        sockets = [listener]
        host_port = "%s:%d" % listener.getsockname()[:2]
    storage = f"SQLite file {db}" if db else "memory"
    logging.getLogger("reference_impl").warning("stripe-conformance reference server on http://%s (objects in %s)",
                                                host_port, storage)
    try:
        server.run(sockets=sockets)
    finally:
        store.close()


class _Server(uvicorn.Server):
    """uvicorn's server, optionally stopping when standard input closes.

    A launcher holds our stdin open; when it dies, however it dies, stdin closes and we stop.
    The event loop itself watches the pipe.
    """

    def __init__(self, config: uvicorn.Config, stop_on_stdin_eof: bool) -> None:
        super().__init__(config)
        self.stop_on_stdin_eof = stop_on_stdin_eof

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        heap.settle_periodically(asyncio.get_running_loop())
        if self.stop_on_stdin_eof:
            try:
                asyncio.get_running_loop().add_reader(sys.stdin.fileno(), self._stdin_readable)
            except NotImplementedError:  # Windows' proactor loop cannot watch a pipe
                logging.getLogger("reference_impl").warning("cannot watch stdin here: stopping with it is off")

    def _stdin_readable(self) -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            asyncio.get_running_loop().remove_reader(sys.stdin.fileno())
            self.should_exit = True  # uvicorn's graceful shutdown


def main(argv: list[str] | None = None, prog: str = "python -m reference_impl") -> None:
    parser = argparse.ArgumentParser(prog=prog, description="Run the bundled reference server: a stateful Stripe mock.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    parser.add_argument("--db", metavar="PATH",
                        help="keep every object in this SQLite file, so a restart loses nothing (default: memory)")
    parser.add_argument("--fd", type=int, help="serve on an already bound listening socket")
    parser.add_argument("--stop-on-stdin-eof", action="store_true",
                        help="stop when standard input closes (how a launching process keeps us from outliving it)")
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.fd, args.log_level, db=args.db, stop_on_stdin_eof=args.stop_on_stdin_eof)


if __name__ == "__main__":
    main()
