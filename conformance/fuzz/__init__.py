"""Property-based contract checks: schemathesis drives ``schemas/openapi.yaml`` against a target.

``hooks`` is what schemathesis loads (the form serializer and the custom checks), ``document``
loads the OpenAPI document for a target, ``stateful`` runs linked sequences, ``plugin`` adds the
pytest options; the tests themselves are ``conformance/suite/test_fuzz.py``.
"""
