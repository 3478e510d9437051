"""``serve``'s options: one table of flags with their defaults, and every refusal as one line, exit 4."""

from __future__ import annotations

import argparse
from typing import NoReturn

from reference_impl.request_log import FORMATS

USAGE_ERROR = 4
DEFAULT_PORT = 12111
DEFAULT_HTTPS_PORT = 12112  # stripe-mock's pair: HTTP on 12111, HTTPS on 12112


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port (0 to 65535; 0 picks a free one)")
    return port


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (leave it out for no bound), not {value}")
    return value


def parser(prog: str) -> argparse.ArgumentParser:
    p = _Parser(prog=prog, description="Run the bundled reference server: a stateful Stripe mock. "
                "Stop it with Ctrl-C or SIGTERM (exit 0); a bad option, port, certificate or database "
                "exits 4 with one line.")
    listening = p.add_argument_group("listening")
    listening.add_argument("--host", default="127.0.0.1",
                           help="address to listen on; 0.0.0.0 for every interface, as in a container "
                                "(default: 127.0.0.1)")
    listening.add_argument("--port", type=_port, default=DEFAULT_PORT,
                           help=f"HTTP port; 0 picks a free one, and the one bound is printed (default: {DEFAULT_PORT})")
    listening.add_argument("--fd", type=int, help="serve HTTP on this already bound listening socket instead")
    https = p.add_argument_group("HTTPS (beside HTTP, on the same objects)")
    https.add_argument("--https", action="store_true",
                       help="serve HTTPS too, on --https-port (implied by the options below)")
    https.add_argument("--https-port", type=_port,
                       help=f"HTTPS port (default: {DEFAULT_HTTPS_PORT} when HTTPS is asked for)")
    https.add_argument("--cert", metavar="PEM", help="the server's certificate chain (default: one made at start)")
    https.add_argument("--key", metavar="PEM", help="the private key of --cert")
    https.add_argument("--ca-out", metavar="FILE",
                       help="write the certificate authority of the made certificate here, for clients to trust")
    https.add_argument("--cert-name", metavar="NAME", action="append", default=[],
                       help="another host name or IP address for the made certificate, e.g. a compose service "
                            "name (repeatable; localhost, 127.0.0.1, ::1 and --host are always in it)")
    state = p.add_argument_group("state")
    state.add_argument("--db", metavar="PATH",
                       help="keep every object in this file, so a restart loses nothing (default: memory)")
    state.add_argument("--max-objects", type=_positive, metavar="N",
                       help="keep at most N objects per account, evicting the oldest in a final state first "
                            "(default: no bound)")
    state.add_argument("--no-reset", action="store_true",
                       help="refuse POST /_conformance/reset and /_conformance/reset/account (403)")
    logs = p.add_argument_group("logs")
    logs.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                      help="info logs one line per request (default: info)")
    logs.add_argument("--log-format", default="text", choices=sorted(FORMATS),
                      help="json: one JSON object per line, with method, path, status, duration_ms, "
                           "request_id and account (default: text)")
    p.add_argument("--stop-on-stdin-eof", action="store_true",
                   help="stop when standard input closes (how a launching process keeps us from outliving it)")
    return p


def _check(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if (args.cert is None) != (args.key is None):
        p.error("--cert and --key go together")
    if args.cert and (args.ca_out or args.cert_name):
        p.error("--ca-out and --cert-name are for the certificate made at start, not one given with --cert")
    if args.https_port is None and (args.https or args.cert or args.ca_out or args.cert_name):
        args.https_port = DEFAULT_HTTPS_PORT
    if args.https_port is not None and args.fd is None and args.https_port == args.port != 0:
        p.error(f"--port and --https-port are both {args.port}")


def parse(argv: list[str] | None, prog: str) -> argparse.Namespace:
    p = parser(prog)
    args = p.parse_args(argv)
    _check(p, args)
    return args
