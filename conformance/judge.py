"""``stripe-conformance judge FILE.har``: a recorded run judged again, offline, by the current scenarios.

Each page of the recording (``--record``) that names a scenario is replayed: the scenario's steps
run as usual, but every request is answered with the recorded response of the same step, method
and path (the recorded ``{run}`` and ``{now}`` restored, the redacted keys standing for the
run's keys by role). So a run made against real Stripe by anyone becomes evidence that can be
judged again whenever the expectations change (fixtures/recordings/).

A scenario whose steps no longer match its recording (a step added, renamed, a path changed, or
an expectation loosened so that the scenario now goes further than the recorded run) is *stale*:
the recording cannot say how the target would answer, so it is neither passed nor failed. Only
scenarios are judged; fuzz checks are not.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import unquote, urlsplit

from conformance import engine, outcomes, wire
from conformance.recording import PLACEHOLDERS
from conformance.scenario import load_all
from conformance.target import BARE, Exchange, HarnessError, Keys

USAGE_ERROR = 4
STALE = "stale"  # not a verdict on the target: the recording no longer covers the scenario


class Stale(Exception):
    """The scenario asks for an exchange the recording does not hold."""


class Replay:
    """A :class:`conformance.target.Client` look-alike answering from one page's recorded exchanges."""

    def __init__(self, entries: list[dict[str, Any]]):
        self.entries = [entry for entry in entries if not entry.get("_retried")]  # 429s the run retried
        self.keys = Keys(PLACEHOLDERS["secret"], PLACEHOLDERS["publishable"], PLACEHOLDERS["other"])
        self.poll_timeout: float | None = None
        self.step: str | None = None

    def send(self, method: str, path: str, *, form: Mapping[str, Any] | None = None,
             query: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
             key: str | None = "", step: str | None = None) -> Exchange:
        wanted = path + ("?" + wire.encode(query) if query else "")
        if not self.entries:
            raise Stale(f"step {step!r} ({method} {path}) was not recorded")
        entry = self.entries.pop(0)
        request = entry["request"]
        parts = urlsplit(request["url"])
        recorded = parts.path + ("?" + parts.query if parts.query else "")
        # compared unquoted: the HTTP client quotes brackets the wire encoding leaves as they are
        if entry.get("_step") != step or request["method"] != method.upper() or unquote(recorded) != unquote(wanted):
            raise Stale(f"step {step!r} sends {method.upper()} {wanted}; the recording has step "
                        f"{entry.get('_step')!r}, {request['method']} {recorded}")
        self.step = step
        return _exchange(entry)

    def endpoint_missing(self, exchange: Exchange) -> bool:
        if not outcomes.is_missing_endpoint(exchange.status, exchange.body):
            return False
        if self.entries and self.entries[0].get("_step") == BARE:
            return self.entries.pop(0)["response"]["status"] == exchange.status
        raise Stale("the recording lacks the bare request that tells a missing endpoint from a missing object")

    def keep_polling(self, deadline: float) -> bool:
        """A poll goes on as long as the recorded run went on polling the same step."""
        return bool(self.entries) and self.entries[0].get("_step") == self.step

    def pause(self, seconds: float) -> None:
        pass


def _exchange(entry: dict[str, Any]) -> Exchange:
    request, response = entry["request"], entry["response"]
    text = response.get("content", {}).get("text", "")
    exchange = Exchange(request["method"], request["url"], request.get("postData", {}).get("text", ""),
                        {h["name"]: h["value"] for h in request.get("headers", [])}, status=response["status"],
                        response_headers={h["name"]: h["value"] for h in response.get("headers", [])},
                        response_text=text, elapsed_ms=entry.get("time", 0.0))
    try:
        exchange.body = json.loads(text)
    except ValueError:
        exchange.body = None
    return exchange


@dataclass
class Judged:
    scenario_id: str
    verdict: str  # an outcomes.Verdict value, or STALE
    detail: str = ""


def judge(har: dict[str, Any]) -> tuple[list[Judged], list[str]]:
    """Every recorded scenario judged; and the recorded page ids that name no current scenario."""
    log = har["log"]
    entries: dict[str, list[dict[str, Any]]] = {}
    for entry in log.get("entries", []):
        entries.setdefault(entry.get("pageref"), []).append(entry)
    scenarios = {scenario.id: scenario for scenario in load_all()}
    judged, unknown = [], []
    for page in log.get("pages", []):
        if page["id"] not in scenarios:
            if page["id"] in entries and "::" not in page["id"] and page["id"] != "cleanup":
                unknown.append(page["id"])
            continue
        if page["id"] in entries:  # a scenario that sent nothing (not applicable) has nothing to judge
            judged.append(_judge_one(scenarios[page["id"]], entries[page["id"]], page.get("_variables", {})))
    return judged, unknown


def _judge_one(scenario: Any, entries: list[dict[str, Any]], variables: dict[str, Any]) -> Judged:
    replay = Replay(entries)
    record = engine.Run(scenario, variables=dict(variables))
    try:
        engine.run(scenario, replay, record)  # type: ignore[arg-type]
    except Stale as exc:
        return Judged(scenario.id, STALE, str(exc))
    except engine.ScenarioFailure as failure:
        return Judged(scenario.id, outcomes.Verdict.FAILED.value, failure.summary())
    except outcomes.UnsupportedEndpoint as exc:
        return Judged(scenario.id, outcomes.Verdict.UNSUPPORTED.value, exc.endpoint)
    except outcomes.NotApplicable as exc:
        return Judged(scenario.id, outcomes.Verdict.NOT_APPLICABLE.value, str(exc))
    except HarnessError as exc:
        return Judged(scenario.id, outcomes.Verdict.HARNESS_ERROR.value, str(exc))
    left = [entry for entry in replay.entries if entry.get("_step") != BARE]
    if left:
        return Judged(scenario.id, STALE, f"the recording has {len(left)} exchanges the scenario no longer makes "
                                          f"(from step {left[0].get('_step')!r})")
    verdict = engine.verdict(record)
    return Judged(scenario.id, verdict.verdict.value, "; ".join(verdict.warnings))


def load(path: str) -> dict[str, Any]:
    """The HAR file, or ValueError with one line saying why it cannot be judged."""
    try:
        har = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: not a HAR file ({exc.__class__.__name__})") from None
    if not isinstance(har, dict) or not isinstance(har.get("log"), dict) or "entries" not in har["log"]:
        raise ValueError(f"{path}: not a HAR file (no log.entries); record one with stripe-conformance run --record")
    return har


def main(path: str, verbose: bool = False) -> int:
    try:
        har = load(path)
        judged, unknown = judge(har)
    except (ValueError, KeyError, TypeError) as exc:
        print(f"stripe-conformance judge: {exc if isinstance(exc, ValueError) else f'{path}: malformed HAR ({exc})'}",
              file=sys.stderr)
        return USAGE_ERROR
    counts: dict[str, int] = {}
    for result in judged:
        counts[result.verdict] = counts.get(result.verdict, 0) + 1
        if verbose or result.verdict not in (outcomes.Verdict.PASSED.value,):
            print(f"{result.verdict.upper()} {result.scenario_id}" + (f": {result.detail}" if result.detail else ""))
    for page in unknown:
        print(f"STALE {page}: no current scenario has this id")
    summary = ", ".join(f"{number} {verdict}" for verdict, number in sorted(counts.items())) or "nothing"
    version = har["log"].get("_stripe_version")
    print(f"judged {len(judged)} recorded scenarios from {path}" + (f" (Stripe-Version {version})" if version else "")
          + f": {summary}" + (f"; {len(unknown)} recorded scenarios no longer exist" if unknown else ""))
    return 1 if counts.get(outcomes.Verdict.FAILED.value) else 0
