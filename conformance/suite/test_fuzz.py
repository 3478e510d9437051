"""Property-based contract checks: generated requests, valid and invalid, against the target.

Every operation of schemas/openapi.yaml gets ``--fuzz-examples`` generated requests, and linked
sequences run through the PaymentIntent lifecycle; every answer must honour the document and
the checks in conformance/fuzz/checks.py. See docs/fuzzing.md.
"""

import pytest

from conformance.fuzz import document, options, runner, stateful
from conformance.plugin import TARGET

pytestmark = pytest.mark.fuzz

# The document is built while pytest collects, before the target is chosen: the requests' key is
# read from the session's target when each request is made.
_keys = document.KeyHolder()
schema = document.load(options.active(), _keys)


@pytest.fixture(scope="module")
def target(pytestconfig, base_url):
    """The session's target (pytest-base-url's ``base_url`` when given, else the bundled server)."""
    session = pytestconfig.stash[TARGET]
    if base_url and not session.base_url:  # set in an ini file, or by a fixture overriding base_url
        session.base_url = base_url
    client = session.client()  # starts the bundled server when no --base-url was given
    _keys.secret, _keys.session = session.keys.secret, client.session
    return session


@schema.parametrize()
def test_operation(case, target, request):
    runner.check(case, target, request.node)


def test_stateful_sequences(target):
    stateful.run(schema, target, options.active())
