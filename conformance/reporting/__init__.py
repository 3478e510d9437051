"""Reports of a conformance run, known-failures manifests and baseline gating.

:mod:`results` is the one results model (``results.json``, typed with conformance/outcomes.py:
tally, comparison and gate as methods), :mod:`collect` builds it from pytest's reports,
:mod:`manifest` reads known failures, :mod:`gate` says why a run passes or fails and groups
shortfalls by root cause, :mod:`markdown`, :mod:`html` and :mod:`terminal` show it, :mod:`plugin`
holds the pytest options and :mod:`commands` the offline commands (``stripe-conformance gate``,
``suggest``, ``check-manifest``; ``python -m conformance.reporting`` too).
"""
