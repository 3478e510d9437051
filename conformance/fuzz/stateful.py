"""Linked sequences: create, then confirm, capture, cancel, ... as the document's links allow.

The links supply Stripe's test card and, on one of them, manual capture (schemas/openapi.yaml,
``payment_intent_with_links``). Left to chance, few sequences follow them far enough, so every
sequence also opens with two explicit steps (hypothesis ``@initialize`` rules on the state
machine schemathesis builds from the links):

- a PaymentIntent created with ``capture_method=manual`` and confirmed with ``pm_card_visa``
  (notes 7.5, 8), which the links then capture, cancel or increment from ``requires_capture``;
- a capture of a PaymentIntent that cannot be captured yet (``requires_payment_method``), which
  the docs allow only from ``requires_capture``: a target answering it 200 fails the
  ``x-stripe-from-statuses`` check in every run, not only when hypothesis happens to pick it.

Each sequence records the PaymentIntent statuses its answers showed, for the run's report.
"""

from __future__ import annotations

from typing import Any

import hypothesis
from hypothesis.stateful import initialize
from schemathesis.generation.stateful.state_machine import StepInput

from conformance.fuzz.options import FuzzOptions
from conformance.fuzz.report import STATS
from conformance.fuzz import runner, serializer

MAX_STEPS = 8
CREATE = ("/v1/payment_intents", "POST")
CAPTURE = ("/v1/payment_intents/{intent}/capture", "POST")
TEST_AMOUNT = 2000
MANUAL_CAPTURE = {"amount": TEST_AMOUNT, "currency": "usd", "capture_method": "manual", "confirm": True,
                  "payment_method": "pm_card_visa", "payment_method_types": ["card"]}
NOT_YET_CAPTURABLE = {"amount": TEST_AMOUNT, "currency": "usd"}


def run(schema: Any, target: Any, options: FuzzOptions) -> None:
    """Run ``options.examples`` sequences against the session's target, over the operations it implements."""
    supported = schema.exclude(func=lambda ctx: runner.endpoint(ctx.operation) in target.unsupported)
    machine = _machine(supported.as_state_machine(), supported, target.base_url, target.client().session,
                       target.version_headers(), target.keys.secret)
    machine._hypothesis_internal_use_seed = options.seed  # what hypothesis.seed() sets; honoured by state machines
    machine.run(settings=hypothesis.settings(
        max_examples=max(options.examples, 1), stateful_step_count=MAX_STEPS, deadline=None, database=None,
        derandomize=False, suppress_health_check=list(hypothesis.HealthCheck), print_blob=False,
    ))


def _operation(schema: Any, path: str, method: str) -> Any | None:
    """The operation, or None where the target lacks it (excluded from ``schema``)."""
    try:
        return schema[path][method]
    except KeyError:
        return None


def _machine(base: type, schema: Any, base_url: str, session: Any, headers: dict[str, str], secret: str) -> type:
    create, capture = _operation(schema, *CREATE), _operation(schema, *CAPTURE)

    class Sequence(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            # the session paces, retries and records; schemathesis's auth probes drop it but keep the headers
            return {**super().get_call_kwargs(case), "base_url": base_url, "session": session, "headers": headers}

        def setup(self) -> None:
            super().setup()
            self.statuses: set[str] = set()

        @initialize()
        def authorized_for_manual_capture(self) -> None:
            # Into the links' bundle: later steps capture, cancel or increment it.
            if create is not None:
                self._add_results_to_targets((), [self._explicit(create, body=MANUAL_CAPTURE)])

        @initialize()
        def capture_before_confirmation(self) -> None:
            if create is None or capture is None:
                return
            created = self._explicit(create, body=NOT_YET_CAPTURABLE)
            intent = (_json(created.response) or {}).get("id")
            if isinstance(intent, str):
                self._explicit(capture, path_parameters={"intent": intent}, body={})

        def _explicit(self, operation: Any, **parts: Any) -> Any:
            # A case built by hand gets no key from the schema's auth: the run's key, as generated ones.
            case = operation.Case(media_type=serializer.MEDIA_TYPE, headers={"Authorization": f"Bearer {secret}"},
                                  **parts)
            self.recorder.record_case(case=case)
            return self.step(StepInput.initial(case))

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            runner.validate(case, response, **kwargs)

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            for obj in _payment_intents(_json(response)):
                self.statuses.add(obj["status"])

        def teardown(self) -> None:
            STATS.sequences += 1
            STATS.reached.update(self.statuses)
            super().teardown()

    return Sequence


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _payment_intents(body: Any) -> list[dict]:
    candidates = body.get("data", [body]) if isinstance(body, dict) else []
    return [obj for obj in candidates
            if isinstance(obj, dict) and obj.get("object") == "payment_intent" and isinstance(obj.get("status"), str)]
