"""The HTTPS side of ``serve``: a certificate given (``--cert``/``--key``) or made at start.

A made certificate comes from a certificate authority made with it (trustme, on the
cryptography library), valid for localhost, 127.0.0.1, ::1, the ``--host`` served on and every
``--cert-name``; ``--ca-out FILE`` writes that authority's certificate, for clients to trust.
A new authority each start: nothing secret is kept on disk, and a client trusts only the run
it was given the file of.
"""

from __future__ import annotations

import ipaddress
import ssl


class TlsError(Exception):
    """The certificate cannot be used: one line for the person who gave it."""


LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def given_context(cert: str, key: str) -> ssl.SSLContext:
    for flag, path in (("--cert", cert), ("--key", key)):
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise TlsError(f"{flag} {path}: cannot read it ({exc.strerror})") from None
    context = _server_context()
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise TlsError(f"--cert {cert} / --key {key}: not a PEM certificate with its matching private key "
                       f"({getattr(exc, 'reason', None) or exc})") from None
    return context


def made_context(host: str, extra_names: list[str], ca_out: str | None) -> ssl.SSLContext:
    import trustme  # only when HTTPS is asked for

    names = list(dict.fromkeys([*LOCAL_NAMES, *([host] if host not in WILDCARD_HOSTS else []), *extra_names]))
    for name in names:
        _check_name(name)
    authority = trustme.CA(organization_name="stripe-conformance reference server")
    if ca_out:
        try:
            authority.cert_pem.write_to_path(ca_out)
        except OSError as exc:
            raise TlsError(f"--ca-out {ca_out}: cannot write it ({exc.strerror})") from None
    context = _server_context()
    authority.issue_cert(*names).configure_cert(context)
    return context


def _check_name(name: str) -> None:
    try:
        ipaddress.ip_address(name)
        return
    except ValueError:
        pass
    if not name or any(c.isspace() or c in "/:@" for c in name):
        raise TlsError(f"--cert-name {name!r}: not a host name or IP address")


def _server_context() -> ssl.SSLContext:
    return ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
