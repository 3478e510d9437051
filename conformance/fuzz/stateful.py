"""Linked sequences: create, then confirm, capture, cancel, ... as the document's links allow.

The links supply Stripe's test card and, on one of them, manual capture, so sequences reach
``requires_capture`` and ``succeeded`` (schemas/openapi.yaml, ``payment_intent_with_links``).
Each sequence records the PaymentIntent statuses its answers showed, for the run's report.
"""

from __future__ import annotations

from typing import Any

import hypothesis

from conformance.fuzz.options import FuzzOptions
from conformance.fuzz.report import STATS
from conformance.fuzz import runner

MAX_STEPS = 8


def run(schema: Any, target: Any, options: FuzzOptions) -> None:
    """Run ``options.examples`` sequences against the session's target, over the operations it implements."""
    supported = schema.exclude(func=lambda ctx: runner.endpoint(ctx.operation) in target.unsupported)
    machine = _machine(supported.as_state_machine(), target.base_url, target.client().session,
                       target.version_headers())
    machine._hypothesis_internal_use_seed = options.seed  # what hypothesis.seed() sets; honoured by state machines
    machine.run(settings=hypothesis.settings(
        max_examples=max(options.examples, 1), stateful_step_count=MAX_STEPS, deadline=None, database=None,
        derandomize=False, suppress_health_check=list(hypothesis.HealthCheck), print_blob=False,
    ))


def _machine(base: type, base_url: str, session: Any, headers: dict[str, str]) -> type:
    class Sequence(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            # the session paces, retries and records; schemathesis's auth probes drop it but keep the headers
            return {**super().get_call_kwargs(case), "base_url": base_url, "session": session, "headers": headers}

        def setup(self) -> None:
            super().setup()
            self.statuses: set[str] = set()

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            runner.validate(case, response, **kwargs)

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            try:
                body = response.json()
            except ValueError:
                return
            for obj in _payment_intents(body):
                self.statuses.add(obj["status"])

        def teardown(self) -> None:
            STATS.sequences += 1
            STATS.reached.update(self.statuses)
            super().teardown()

    return Sequence


def _payment_intents(body: Any) -> list[dict]:
    candidates = body.get("data", [body]) if isinstance(body, dict) else []
    return [obj for obj in candidates
            if isinstance(obj, dict) and obj.get("object") == "payment_intent" and isinstance(obj.get("status"), str)]
