"""A refusal scenario proves its cause: it fails against a target that refuses for any other reason.

Each stand-in forwards to the reference server but refuses everything of one kind, with a plain
``invalid_request_error`` and no code: every publishable-key request, every verify_microdeposits,
every increment_authorization. A scenario claiming "refused because X" about that kind must fail
there, because it also shows the same kind of request succeeding once X is gone (or asserts the
documented code of X).
"""

from __future__ import annotations

import json

import pytest

from conformance import engine
from conformance.launcher import DEFAULT_OTHER_SECRET_KEY, DEFAULT_SECRET_KEY
from conformance.scenario import load_all
from conformance.target import Client, Keys
from standins import StandIn, forwarding

REFUSAL = json.dumps({"error": {"type": "invalid_request_error", "message": "Refused by the stand-in."}}).encode()


def _publishable(method, path, headers):
    return headers.get("Authorization", "").startswith("Bearer pk_")


KINDS = {
    # kind: (what the stand-in refuses, the scenarios about that kind that claim a cause)
    "publishable_key": (_publishable, lambda s: "publishable_key" in s.features and s.id.endswith("-refused")),
    "verify_microdeposits": (lambda method, path, headers: path.split("?")[0].endswith("/verify_microdeposits"),
                             lambda s: s.operation == "payment_intents/verify_microdeposits" and s.id.endswith("-refused")),
    "increment_authorization": (lambda method, path, headers: path.split("?")[0].endswith("/increment_authorization"),
                                lambda s: s.operation == "payment_intents/increment_authorization"
                                and s.id.endswith("-refused")),
}

KNOWN_OFFENDERS = {"publishable_key": "pk-confirm-secret-key-only-parameter-refused",
                   "verify_microdeposits": "pi-verify-microdeposits-one-amount-refused",
                   "increment_authorization": "pi-increment-authorization-not-requires-capture-refused"}


def refusing(upstream: str, refuses):
    forward = forwarding(upstream, lambda status, headers, payload: (status, headers, payload))

    def answer(method, path, body, headers):
        if refuses(method, path, headers):
            return 400, {"Content-Type": "application/json"}, REFUSAL
        return forward(method, path, body, headers)

    return answer


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_target_refusing_everything_of_one_kind_fails_every_refusal_about_it(reference_server, kind):
    refuses, about = KINDS[kind]
    claims = [scenario for scenario in load_all() if about(scenario)]
    assert KNOWN_OFFENDERS[kind] in {scenario.id for scenario in claims}
    keys = Keys.derive(DEFAULT_SECRET_KEY, None, DEFAULT_OTHER_SECRET_KEY)
    with StandIn(refusing(reference_server.base_url, refuses)) as stand_in:
        client = Client(stand_in.base_url, keys)
        try:
            passed = [scenario.id for scenario in claims if _passes(scenario, client)]
        finally:
            client.close()
    assert passed == [], f"these pass on a target that refuses every {kind} request: {passed}"


def test_the_same_scenarios_pass_on_the_reference_server(client):
    for refuses, about in KINDS.values():
        for scenario in (scenario for scenario in load_all() if about(scenario)):
            engine.run(scenario, client)


def _passes(scenario, client) -> bool:
    try:
        engine.run(scenario, client)
    except engine.ScenarioFailure:
        return False
    return True
