"""Whether a run passes: no unlisted shortfall, no regression, and with ``strict`` no unexpected pass.

The same judgement serves a live run (the pytest plugin) and a stored ``results.json`` checked
again later (``python -m conformance.reporting gate``).
"""

from __future__ import annotations

from conformance.reporting import baseline as baselines
from conformance.reporting import outcomes
from conformance.reporting.manifest import Manifest
from conformance.reporting.model import Gate, ItemResult, Results


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
    lines = [f"REGRESSION {item_id}: passed in the baseline, now {items[item_id].verdict}{_why(items[item_id])}"
             for item_id in gate.regressions]
    for item_id in gate.unlisted:
        item = items[item_id]
        label = f"NOT IN MANIFEST {item_id}: {item.outcome}" if results.manifest else f"{item.outcome.upper()} {item_id}"
        lines.append(label + _why(item))
    label = "UNEXPECTED PASS" + (" (strict)" if gate.strict else "")
    lines += [f"{label} {item_id}: listed as a known failure ({items[item_id].known_failure}) but passes"
              for item_id in gate.unexpected_passes]
    lines += [f"IMPROVEMENT {item_id}: fell short in the baseline, passes now" for item_id in gate.improvements]
    return lines


def _why(item: ItemResult) -> str:
    why = (item.failure or {}).get("summary") or item.detail
    return f": {why}" if why else ""
