"""Property-based contract checks: generated requests, valid and invalid, against the target.

Every operation of schemas/openapi.yaml gets ``--fuzz-examples`` generated requests, and linked
sequences run through the PaymentIntent lifecycle; every answer must honour the document and
the checks in conformance/fuzz/checks.py. See docs/fuzzing.md.
"""

import pytest

from conformance.fuzz import document, options, runner, stateful
from conformance.plugin import TARGET

pytestmark = pytest.mark.fuzz

_session = {}  # the target, once a test has asked for it: the auth provider reads its key from here


def _secret_key() -> str:
    # Asked once while collecting, before any target is chosen; no request is sent then.
    return _session["target"].keys.secret if "target" in _session else "sk_test_not_yet_chosen"


schema = document.load(options.active(), secret_key=_secret_key)


@pytest.fixture(scope="module")
def target(pytestconfig):
    session = pytestconfig.stash[TARGET]
    session.client()  # starts the bundled server when no --base-url was given
    _session["target"] = session
    return session


@schema.parametrize()
def test_operation(case, target):
    runner.check(case, target.base_url, target.unsupported)


def test_stateful_sequences(target):
    stateful.run(schema, target.base_url, options.active(), target.unsupported)
