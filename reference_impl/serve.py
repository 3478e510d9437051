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
    config = uvicorn.Config(create_app(), host=host, port=port, fd=fd, log_level="warning", access_log=False,
                            lifespan="off")
    server = uvicorn.Server(config)
    if fd is None:
        host_port = f"{host}:{port}"
    else:
        with socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as probe:  # a duplicate: fd stays open
            host_port = "%s:%d" % probe.getsockname()[:2]
    logging.getLogger("reference_impl").warning("stripe-conformance reference server on http://%s", host_port)
    server.run()


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
