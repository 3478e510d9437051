"""Whether a run passes: no unlisted shortfall, no regression, and with ``strict`` no unexpected pass.

The same judgement serves a live run (the pytest plugin) and a stored ``results.json`` checked
again later (``python -m conformance.reporting gate``).
"""

from __future__ import annotations

from conformance.reporting import baseline as baselines
from conformance.reporting import outcomes
from conformance.reporting.manifest import Manifest
from conformance.reporting.model import Gate, Results


def evaluate(results: Results, manifest: Manifest | None, baseline: Results | None, strict: bool) -> Gate:
    """Apply the manifest to ``results`` (their outcomes change) and record the gate in them."""
    if manifest is not None:
        manifest.apply(results)
        results.manifest = manifest.path
    gate = Gate(strict=strict)
    gate.unlisted = [item.id for item in results.items if item.outcome in outcomes.SHORTFALLS]
    gate.unexpected_passes = [item.id for item in results.items if item.outcome == outcomes.UNEXPECTED_PASS]
    if baseline is not None:
        comparison = baselines.compare(baseline, results)
        gate.regressions, gate.improvements = comparison.regressions, comparison.improvements
        gate.baseline = baselines.describe(baseline)
    results.gate = gate
    return gate


def explain(results: Results) -> list[str]:
    """One line per reason the run fails or deserves attention, naming each scenario."""
    gate, items = results.gate, results.by_id()
    lines = []
    for item_id in gate.regressions:
        lines.append(f"REGRESSION {item_id}: passed in the baseline, now {items[item_id].verdict}"
                     f"{_because(items[item_id])}")
    for item_id in gate.unlisted:
        lines.append(f"NOT IN MANIFEST {item_id}: {items[item_id].outcome}{_because(items[item_id])}")
    label = "UNEXPECTED PASS" + (" (strict)" if gate.strict else "")
    for item_id in gate.unexpected_passes:
        lines.append(f"{label} {item_id}: listed as a known failure ({items[item_id].expected}) but passes")
    for item_id in gate.improvements:
        lines.append(f"IMPROVEMENT {item_id}: fell short in the baseline, passes now")
    return lines


def _because(item) -> str:
    if item.failure and item.failure.get("summary"):
        return f" - {item.failure['summary']}"
    return f" - {item.detail}" if item.detail else ""
