"""The conformance suite as pytest collects it: scenarios (``scenarios.collect``) and fuzz checks."""
