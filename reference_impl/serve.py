"""Run the reference server on a real ASGI server (uvicorn)."""

from __future__ import annotations

import argparse
import logging
import socket
import sys

import uvicorn

from reference_impl.app import create_app


def serve(host: str = "127.0.0.1", port: int = 12111, fd: int | None = None, log_level: str = "info") -> None:
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, log_level.upper()),
                        format="%(asctime)s %(name)s %(message)s")
    config = uvicorn.Config(create_app(), host=host, port=port, log_level="warning", access_log=False,
                            lifespan="off")
    server = uvicorn.Server(config)
    sockets = None
    if fd is not None:
        # uvicorn's own ``fd=`` wraps the descriptor as AF_UNIX, so asyncio never sets TCP_NODELAY on
        # accepted connections and every response waits out the client's delayed ACK (~40 ms).
        sockets = [socket.socket(fileno=fd)]
        host, port = sockets[0].getsockname()[:2]
    logging.getLogger("reference_impl").warning("stripe-conformance reference server on http://%s:%d", host, port)
    server.run(sockets=sockets)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reference_impl", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--fd", type=int, help="serve on an already bound listening socket")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.fd, args.log_level)


if __name__ == "__main__":
    main()
