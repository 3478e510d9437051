"""The ``Stripe-Version`` request header: accepted when well formed, echoed on every answer.

The official SDKs pin their own version (stripe-python sends a newer one than the spec this
server follows), so any well-formed version is accepted and answered as the one version this
server implements; a request without the header gets that default, as a Stripe account's
default version applies to a request without one.
"""

from __future__ import annotations

import datetime
import re

from reference_impl import errors

DEFAULT = "2026-05-27.dahlia"  # the official spec's version, which this server implements
# a date, an optional release name, optional beta flags ("; name=v1"), as the SDKs send them
_WELL_FORMED = re.compile(r"(\d{4})-(\d{2})-(\d{2})(\.[a-z]+)?(; *[a-z_]+=v\d+)*")


def answered(header: str | None) -> str:
    """The version the answer is given in, or the 400 Stripe gives a malformed one.

    Stripe's docs do not state the answer; clients report a 400 invalid_request_error with the
    message "Invalid Stripe API version: <value>" (stripe-java #682, stripity-stripe #613).
    """
    if header is None or not header.strip():
        return DEFAULT
    value = header.strip()
    match = _WELL_FORMED.fullmatch(value)
    if match is None or not _is_date(*map(int, match.groups()[:3])):
        raise errors.StripeError(400, f"Invalid Stripe API version: {value}")
    return value


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True
