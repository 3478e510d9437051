"""One example exchange per behaviour, recorded from the reference server and made reproducible.

The exchange shown is the scenario's last step on its own operation's endpoint (the capture of a
capture scenario, the refused request of a refusal). The scenario runs up to that step against a
fresh reference server; then everything the server draws at random or from the clock is
normalised (ids and secrets numbered in order of appearance, times shifted to a fixed day, random
references replaced), so the pages come out the same on every build. The response is trimmed to
what the step checks, with ``id``, ``object`` and ``status`` for orientation.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import unquote, urlsplit

from conformance import engine
from conformance.launcher import DEFAULT_OTHER_SECRET_KEY, DEFAULT_SECRET_KEY, BundledServer
from conformance.scenario import Scenario, Step
from conformance.target import Client, Exchange, HarnessError, Keys

# The reference server's ids: a one-word prefix (or one of its few longer ones) and 24 characters; a
# client secret adds 25 more. Never part of a longer name: Stripe's test payment methods such as
# pm_card_chargeDeclinedStolenCard end in 24 letters too.
_ID = re.compile(r"(?<![A-Za-z0-9_])(pacs_test|[a-z]+)_([A-Za-z0-9]{24})(?![A-Za-z0-9])")
_SECRET = re.compile(r"_secret_[A-Za-z0-9]{25}(?![A-Za-z0-9])")
_TIME = re.compile(r"\b(1[5-9]\d{8}|2[0-4]\d{8})\b")  # Unix times from 2017 to 2046
TIME_ORIGIN = 1767225600  # 2026-01-01 00:00:00 UTC: the run's start on every page
# Random values that are neither ids nor times, by the field that holds them.
_RANDOM_FIELDS = {"invoice_prefix": ("[0-9A-F]{8}", "A1B2C3D4"), "fingerprint": ("[A-Za-z0-9]{16}", "Xj9fTq2LmN8vR4sK"),
                  "reference": ("[A-Z0-9]{12}", "REFERENCE123")}
ALWAYS_SHOWN = ("id", "object", "status")
LIST_ITEMS_SHOWN = 3
SMALL_OBJECT = 8  # an object checked as a whole is shown whole up to this many fields


@dataclass(frozen=True)
class Example:
    step: str  # the step's name
    request: str  # method, path and query, then the headers the step sets, then the form body
    status: int
    response: str  # JSON, trimmed
    omitted: int  # top-level fields of the answer left out
    passed: bool  # whether the reference server met every MUST of the scenario up to this step


def shown_step(scenario: Scenario, endpoint: str) -> int:
    """The index of the step whose exchange illustrates the behaviour."""
    for test in (lambda s: s.endpoint == endpoint and s.when is None, lambda s: s.endpoint == endpoint,
                 lambda s: s.method != "GET", lambda s: True):
        found = [index for index, step in enumerate(scenario.steps) if test(step)]
        if found:
            return found[-1]
    raise ValueError(f"scenario {scenario.id} has no steps")


def record_all(scenarios: Iterable[Scenario], endpoints: dict[str, str]) -> dict[str, Example | str]:
    """Scenario id -> its example, or why there is none; ``endpoints``: operation id -> endpoint."""
    found: dict[str, Example | str] = {}
    with BundledServer() as server:
        client = Client(server.base_url, Keys.derive(DEFAULT_SECRET_KEY, None, DEFAULT_OTHER_SECRET_KEY))
        try:
            for scenario in scenarios:
                found[scenario.id] = record(scenario, shown_step(scenario, endpoints.get(scenario.operation, "")),
                                            client)
        finally:
            client.close()
    return found


def record(scenario: Scenario, index: int, client: Client) -> Example | str:
    step = scenario.steps[index]
    run = engine.Run(dataclasses.replace(scenario, steps=scenario.steps[:index + 1]))
    # A {run} drawn from the id: unique per scenario on the fresh server, and the same on every build.
    run.variables["run"] = hashlib.sha256(scenario.id.encode()).hexdigest()[:12]
    passed = True
    try:
        engine.run(run.scenario, client, run)
    except engine.ScenarioFailure:
        passed = False
    except (engine.Unsupported, engine.MissingKey, HarnessError) as exc:
        return f"no example: {str(exc).replace(client.base_url, '')}"  # the port differs per build
    if not run.exchanges or not _is_step(run.exchanges[-1], step, run.variables):
        return "no example: the reference server's answers did not lead to this step"
    return _example(step, run.exchanges, run.variables["now"], passed)


def _is_step(exchange: Exchange, step: Step, variables: dict[str, Any]) -> bool:
    """Whether the last exchange is the step's own (a `when` can pass over the step)."""
    sent = unquote(urlsplit(exchange.url).path)
    return exchange.method == step.method and sent == unquote(str(engine.substitute(step.path, variables)))


def _example(step: Step, exchanges: list[Exchange], now: int, passed: bool) -> Example:
    exchange = exchanges[-1]
    normal = _Normaliser(now, exchanges)
    request = normal.text(_request_text(step, exchange))
    body = exchange.body
    checked = _checked(step)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):  # the whole envelope: it is short
        checked = _merge({"error": dict.fromkeys(body["error"])}, checked)
    trimmed = _trim(body, checked) if isinstance(body, dict) else body
    shown = normal.value(trimmed)
    omitted = len(body) - len(trimmed) if isinstance(body, dict) and isinstance(trimmed, dict) else 0
    text = json.dumps(shown, indent=2, ensure_ascii=False) if body is not None else exchange.response_text[:2000]
    present = {name.lower(): value for name, value in exchange.response_headers.items()}
    headers = [f"{name}: {normal.text(present[name.lower()])}" for name in _checked_headers(step)
               if name.lower() in present]
    return Example(step.name, request, exchange.status, "\n".join([*headers, *([""] if headers else []), text]),
                   omitted, passed)


def _request_text(step: Step, exchange: Exchange) -> str:
    url = urlsplit(exchange.url)
    lines = [f"{exchange.method} {url.path}{'?' + unquote(url.query) if url.query else ''}"]
    lines += [f"{name}: {value}" for name, value in exchange.request_headers.items()
              if name.lower() not in ("authorization", "content-type")]
    if step.key != "secret":
        lines.append({"publishable": "Authorization: Bearer <the publishable key>",
                      "other": "Authorization: Bearer <another account's secret key>",
                      "none": "(no API key)"}.get(step.key, "Authorization: Bearer <a literal key>"))
    if exchange.request_body:
        lines += ["", "&".join(unquote(pair) for pair in exchange.request_body.split("&")).replace("&", "\n")]
    return "\n".join(lines)


def _checked(step: Step) -> dict[str, Any]:
    """The body expectations of the step, MUST and SHOULD, merged into one shape to trim by."""
    merged: dict[str, Any] = {}
    for level in (step.expect, step.should):
        body = level.get("body")
        if isinstance(body, dict) and not _operator(body):
            merged = _merge(merged, body)
    return merged


def _checked_headers(step: Step) -> list[str]:
    return list(dict.fromkeys([*step.expect.get("headers", {}), *step.should.get("headers", {})]))


def _merge(left: Any, right: Any) -> Any:
    if isinstance(left, dict) and isinstance(right, dict):
        merged = dict(left)
        for key, value in right.items():
            merged[key] = _merge(left[key], value) if key in left else value
        return merged
    return right


def _trim(value: Any, checked: Any) -> Any:
    """What the expectation looks at (``checked`` None: nothing); other objects show only who they are."""
    if isinstance(value, dict):
        if isinstance(checked, dict) and checked and not _operator(checked):
            return {key: _trim(item, checked.get(key)) for key, item in value.items()
                    if key in checked or key in ALWAYS_SHOWN}
        if checked is not None and len(value) <= SMALL_OBJECT:  # asserted as a whole; objects in it by name
            return {key: _trim(item, None) if isinstance(item, dict) and "object" in item else item
                    for key, item in value.items()}
        kept = {key: value[key] for key in ALWAYS_SHOWN if key in value}
        return kept if kept or not value else {"…": f"{len(value)} fields"}
    if isinstance(value, list):
        inner = _inner(checked)
        return [_trim(item, inner) for item in value[:LIST_ITEMS_SHOWN]] + (
            [f"… {len(value) - LIST_ITEMS_SHOWN} more"] if len(value) > LIST_ITEMS_SHOWN else [])
    return value


def _operator(checked: dict[str, Any]) -> bool:
    return any(str(key).startswith("$") for key in checked)


def _inner(checked: Any) -> Any:
    """The expectation on a list's items, whichever list operator holds it."""
    if isinstance(checked, list):
        return _union(checked)
    if not isinstance(checked, dict):
        return None
    for key in ("$each", "$contains", "$excludes"):
        if key in checked:
            return checked[key]
    for key in ("$contains_all", "$in_order"):
        if key in checked:
            return _union(checked[key])
    return None


def _union(items: list[Any]) -> Any:
    merged: dict[str, Any] = {}
    for item in items:
        if isinstance(item, dict) and not _operator(item):
            merged = _merge(merged, item)
    return merged


class _Normaliser:
    """Numbers ids and secrets in order of appearance, moves times to TIME_ORIGIN and replaces the
    random values of _RANDOM_FIELDS that the run's answers held, wherever they appear later."""

    def __init__(self, now: int, exchanges: list[Exchange]):
        self.now = now
        self.ids: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.random: dict[str, str] = {}
        for exchange in exchanges:
            self._learn(exchange.body)

    def _learn(self, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                shape = _RANDOM_FIELDS.get(key)
                if shape and isinstance(item, str) and re.fullmatch(shape[0], item):
                    self.random[item] = shape[1]
                self._learn(item)
        elif isinstance(value, list):
            for item in value:
                self._learn(item)

    def text(self, text: str) -> str:
        for value, replacement in self.random.items():
            text = text.replace(value, replacement)
        text = _SECRET.sub("_secret_example", text)
        text = _ID.sub(lambda found: self._id(found.group(1), found.group(0)), text)
        return _TIME.sub(lambda found: str(self._time(int(found.group(0)))), text)

    def _id(self, prefix: str, whole: str) -> str:
        if whole not in self.ids:
            self.counts[prefix] = self.counts.get(prefix, 0) + 1
            self.ids[whole] = f"{prefix}_{self.counts[prefix]}"
        return self.ids[whole]

    def _time(self, value: int) -> int:
        """Minutes from the run's start are kept (an expiry a week on stays a week on); seconds are not."""
        return TIME_ORIGIN + round((value - self.now) / 60) * 60

    def value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, int) and not isinstance(value, bool) and _TIME.fullmatch(str(value)):
            return self._time(value)
        return value
