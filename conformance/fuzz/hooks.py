"""What schemathesis loads for this suite (``hooks = "conformance.fuzz.hooks"`` in schemathesis.toml).

Importing it registers Stripe's form encoding for generated bodies, the suite's checks, the ids of
existing objects for valid generated requests (``existing``), and the
one exception to schemathesis's negative-data check, for ``st run`` and the pytest suite alike.
"""

from typing import Any

import schemathesis

from conformance.fuzz import checks, existing, serializer  # noqa: F401  (registered on import)


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    # A "negative" body that Stripe's form sends as a valid one (a generated null travels as
    # `metadata[k]=`, Stripe's unset) was rightly accepted: not a failure.
    from conformance.fuzz.runner import keeps

    return keeps(failure, case)
