"""Run the reference server on a real ASGI server (uvicorn)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading

import uvicorn

from reference_impl.app import create_app
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
    config = uvicorn.Config(create_app(store), host=host, port=port, fd=fd, log_level="warning", access_log=False,
                            lifespan="off")
    server = uvicorn.Server(config)
    if fd is None:
        host_port = f"{host}:{port}"
    else:
        with socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as probe:  # a duplicate: fd stays open
            host_port = "%s:%d" % probe.getsockname()[:2]
    if stop_on_stdin_eof:
        threading.Thread(target=_stop_when_stdin_closes, name="stdin-lifeline", daemon=True).start()
    storage = f"SQLite file {db}" if db else "memory"
    logging.getLogger("reference_impl").warning("stripe-conformance reference server on http://%s (objects in %s)",
                                                host_port, storage)
    server.run()


def _stop_when_stdin_closes() -> None:
    """The launcher holds our stdin open; when it dies, however it dies, stdin closes and we stop."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful shutdown


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
