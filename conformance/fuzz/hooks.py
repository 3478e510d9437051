"""What schemathesis loads for this suite (``hooks = "conformance.fuzz.hooks"`` in schemathesis.toml).

Importing it registers Stripe's form encoding for generated bodies and the suite's checks, for
``st run`` and for the pytest suite alike.
"""

from conformance.fuzz import checks, serializer  # noqa: F401  (registered on import)
