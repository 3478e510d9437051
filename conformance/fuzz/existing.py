"""Valid generated requests name objects that exist: ids seen in the target's answers.

A path parameter generated at random (``/v1/payment_intents/x8Qz/confirm``) names no object, so
nearly every valid request of the fuzzing phase was answered 404 and never reached the code
behind it. These hooks keep the ids of the objects the target's answers showed, by prefix
(``pi_``, ``cus_``, from the ``id`` patterns of ``schemas/``), and give each valid request of
the fuzzing phase one of them for every path parameter naming an object of a kind seen before
(which one still follows the generated value, so hypothesis's choices pick it). Invalid
requests, the coverage phase's boundary values and the stateful phase's links are left as
generated.

In the suite the ids come from every answer to the run's secret key, the scenarios' included
(:class:`RunAnswers`, a transport observer): a fuzz test then knows the objects of its account
even when the tests that list or create them ran in another pytest-xdist worker.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict, deque
from typing import Any

import schemathesis
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase

from conformance.fuzz.checks import id_prefixes

KEPT_PER_KIND = 64
PATH_PARAMETER = re.compile(r"/([a-z_]+)/\{([a-z_]+)\}")
ID = re.compile(r"[a-z]+_[A-Za-z0-9]+")


class Seen:
    """The latest ids the target's answers showed, by prefix."""

    def __init__(self, limit: int = KEPT_PER_KIND):
        self.ids: defaultdict[str, deque[str]] = defaultdict(lambda: deque(maxlen=limit))

    def record(self, node: Any) -> None:
        if isinstance(node, dict):
            prefix = _prefix(node.get("id"))
            if prefix and isinstance(node.get("object"), str) and node["id"] not in self.ids[prefix]:
                self.ids[prefix].append(node["id"])
            for key, value in node.items():
                if key != "metadata":
                    self.record(value)
        elif isinstance(node, list):
            for value in node:
                self.record(value)

    def pick(self, prefix: str, generated: Any) -> str | None:
        known = self.ids.get(prefix)
        if not known:
            return None
        return known[zlib.crc32(repr(generated).encode()) % len(known)]


SEEN = Seen()


def _prefix(ident: Any) -> str | None:
    if not isinstance(ident, str) or not ID.fullmatch(ident):
        return None
    prefix = ident.split("_", 1)[0] + "_"
    return prefix if prefix in id_prefixes().values() else None


def path_kinds(path: str) -> dict[str, str]:
    """Path parameter -> id prefix: ``/v1/customers/{customer}`` names a ``customer`` (``cus_``)."""
    prefixes = id_prefixes()
    kinds = {}
    for collection, name in PATH_PARAMETER.findall(path):
        kind = collection[:-1] if collection.endswith("s") else collection
        if kind in prefixes:
            kinds[name] = prefixes[kind]
    return kinds


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    meta = case.meta
    if meta is None or meta.phase.name != TestPhase.FUZZING or meta.generation.mode != GenerationMode.POSITIVE:
        return case
    parameters = dict(case.path_parameters or {})
    for name, prefix in path_kinds(case.operation.path).items():
        known = SEEN.pick(prefix, parameters.get(name))
        if name in parameters and known is not None:
            parameters[name] = known
    case.path_parameters = parameters
    return case


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    if 200 <= response.status_code < 300:
        try:
            SEEN.record(response.json())
        except ValueError:
            pass


class RunAnswers:
    """A transport observer: the ids in each 2xx answer to the run's secret key (``session.keys``)."""

    def __init__(self, session: Any):
        self.session = session

    def __call__(self, request: Any, response: Any, retried: bool, step: str | None = None) -> None:
        keys = self.session.keys
        if retried or not 200 <= response.status_code < 300 or keys is None \
                or request.headers.get("Authorization") != f"Bearer {keys.secret}":
            return
        try:
            SEEN.record(response.json())
        except ValueError:
            pass
