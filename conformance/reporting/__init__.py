"""Reports of a conformance run, known-failures manifests and baseline gating.

One module per job: :mod:`model` (the results file), :mod:`outcomes` (verdicts and outcomes),
:mod:`collect` (results from pytest's reports), :mod:`manifest` (known failures),
:mod:`baseline` (regressions against an earlier run), :mod:`gate` (whether the run passes),
:mod:`tally` (counts and percentages), the writers :mod:`json_report`, :mod:`markdown`,
:mod:`html`, :mod:`readme`, the pytest options in :mod:`plugin` and the offline commands
in :mod:`commands` (``python -m conformance.reporting``).
"""
