"""The closing summary of a run in the terminal: the figures, each shortfall once, where the reports are.

It replaces pytest's one-line-per-test short summary for the suite's results (the gate lines
name each shortfall once), so no failure is listed twice.
"""

from __future__ import annotations

from pathlib import Path

from conformance.outcomes import Outcome, Verdict
from conformance.reporting import gate
from conformance.reporting.markdown import compliance_line, counts_line
from conformance.reporting.results import Results

WORST = 5  # endpoints named in "worst endpoints"
# pytest's short-summary letters this summary stands in for: failed, error, skipped, xfailed, xpassed.
REPLACED_REPORT_CHARS = "fEsxX"


def lines(results: Results, written: list[Path], seed: int | None) -> list[tuple[str, dict[str, bool]]]:
    """(text, markup) pairs, in the order they are printed."""
    everything = results.tally()
    good = results.gate.passed
    out = [(f"compliance: {compliance_line(everything)}", {"bold": True, "green": good, "red": not good}),
           (f"outcomes: {counts_line(everything)}", {})]
    worst = [tally for tally in results.by_group() if tally.shortfalls][:WORST]
    if worst:
        out.append(("worst endpoints: " + "; ".join(f"{tally.name} {tally.percent()} ({tally.shortfalls} short)"
                                                    for tally in worst), {}))
    out += _not_applicable(results)
    out += [(f"WARNED {item.id}: {item.why}", {"yellow": True}) for item in results.items
            if item.outcome is Outcome.WARNED]
    out += [(line, {"red": not line.startswith(("IMPROVEMENT", "    replay", "SHOULD"))})
            for line in gate.explain(results, seed)]
    out.append((_verdict(results), {"bold": True, "green": good, "red": not good}))
    if seed is not None:
        out.append((f"fuzz seed: {seed} (replay with --seed {seed})", {}))
    out += _traffic(results)
    out += [(f"report: {path}", {}) for path in written]
    return out


def _not_applicable(results: Results) -> list[tuple[str, dict[str, bool]]]:
    reasons: dict[str, list[str]] = {}
    for item in results.items:
        if item.verdict is Verdict.NOT_APPLICABLE:
            reasons.setdefault(item.detail or "no reason given", []).append(item.id)
    return [(f"not applicable ({len(ids)}): {reason}: {', '.join(ids)}", {"yellow": True})
            for reason, ids in sorted(reasons.items())]


def _verdict(results: Results) -> str:
    state = results.gate
    expected = sum(1 for item in results.items if item.outcome is Outcome.EXPECTED_FAILURE)
    parts = [f"{expected} expected failures"] if results.manifest else []
    parts.append(f"{len(state.unlisted)} shortfalls {'not in the manifest' if results.manifest else 'in all'}")
    if results.manifest:
        parts.append(f"{len(state.unexpected_passes)} unexpected passes")
    if state.baseline:
        parts.append(f"{len(state.regressions)} regressions, {len(state.should_regressions)} SHOULD regressions and "
                     f"{len(state.improvements)} improvements since {state.baseline}")
    return f"gate {'passed' if state.passed else 'FAILED'}: " + ", ".join(parts)


def _traffic(results: Results) -> list[tuple[str, dict[str, bool]]]:
    """The API version, the 429s survived and what the cleanup canceled, when there is any."""
    traffic = results.traffic
    parts = [f"Stripe-Version {results.stripe_version}"] if results.stripe_version else []
    if traffic.get("requests"):
        parts.append(f"{traffic['requests']} requests")
    if traffic.get("rate_limited"):
        parts.append(f"{traffic['rate_limited']} rate limited (429), {traffic.get('retries', 0)} retries")
    if "cleanup_canceled" in traffic:
        parts.append(f"cleanup: {traffic['cleanup_canceled']} left open and canceled, "
                     f"{traffic.get('cleanup_failed', 0)} could not be")
    return [("traffic: " + "; ".join(parts), {})] if parts else []
