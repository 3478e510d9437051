"""Where a peer's program is, for peers that are a binary rather than a Python package.

stripe-mock is a Go program: it is found through an explicit path (a command-line option),
then ``STRIPE_MOCK_BIN``, then the PATH. Whoever finds none skips it with
:data:`STRIPE_MOCK_HINT`, one line saying how to get one.
"""

from __future__ import annotations

import os
import shutil

STRIPE_MOCK_ENV = "STRIPE_MOCK_BIN"
STRIPE_MOCK_HINT = ("stripe-mock not found: give its path with --stripe-mock-bin or STRIPE_MOCK_BIN, or put it on "
                    "the PATH (Docker image stripe/stripe-mock, `brew install stripe/stripe-mock/stripe-mock`, "
                    "or `go install github.com/stripe/stripe-mock@latest`)")


def find_stripe_mock(explicit: str | None = None) -> str | None:
    """The stripe-mock executable to run, or None when there is none.

    An explicit path or ``STRIPE_MOCK_BIN`` that names no executable file counts as none: the
    caller says so with the hint rather than starting something else.
    """
    named = explicit or os.environ.get(STRIPE_MOCK_ENV)
    if named:
        return named if os.path.isfile(named) and os.access(named, os.X_OK) else None
    return shutil.which("stripe-mock")
