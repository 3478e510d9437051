"""Results from pytest: what each item is, and what each phase of its run showed.

:func:`phase_record` runs where the item ran (an xdist worker or the only process) and returns
plain data, which travels with the pytest report; :class:`Collector` merges a run's reports into
one :class:`ItemResult` per item wherever the reports arrive.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest

from conformance import engine
from conformance.plugin import ScenarioItem
from conformance.reporting import outcomes
from conformance.reporting.model import FUZZ, ItemResult
from conformance.target import Exchange, HarnessError

MAX_BODY_CHARS = 20_000
MAX_TEXT_CHARS = 8_000


def describe_item(item: pytest.Item) -> dict[str, Any]:
    """What a report says about the item itself: id, group, title, tags, sources."""
    if isinstance(item, ScenarioItem):
        scenario = item.scenario
        return {"id": scenario.id, "kind": "scenario", "group": scenario.operation, "title": scenario.title,
                "features": list(scenario.features), "sources": [dict(source) for source in scenario.sources],
                "endpoints": list(scenario.endpoints), "nodeid": item.nodeid}
    # Any other test (a fuzzed operation, say) is one result; the ``fuzz`` marker tags and groups it.
    fuzz = item.get_closest_marker(FUZZ) is not None
    return {"id": generic_id(item.nodeid), "kind": "test", "group": FUZZ if fuzz else _module(item.nodeid),
            "title": item.name, "features": [FUZZ] if fuzz else [], "nodeid": item.nodeid}


def generic_id(nodeid: str) -> str:
    """A test's id without the directories, which depend on where pytest was started."""
    path, _, rest = nodeid.partition("::")
    return f"{PurePosixPath(path).name}::{rest}" if rest else PurePosixPath(path).name


def _module(nodeid: str) -> str:
    return PurePosixPath(nodeid.partition("::")[0]).stem


def phase_record(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport,
                 declared: str | None = None) -> dict[str, Any] | None:
    """The verdict of one phase (setup, call, teardown) and, when it falls short, the evidence.

    ``declared``: the reason of an expected failure the test itself declared (pytest's xfail);
    a plugin may turn a passing call into one (the fuzz checks do, for known gaps), so the report
    is read as well as the exception.
    """
    if call.excinfo is None:
        if call.when != "call":
            return None
        if declared is not None and report.skipped:
            return {"verdict": outcomes.FAIL, "detail": declared}
        return {"verdict": outcomes.PASS}
    error = call.excinfo.value
    if isinstance(error, pytest.skip.Exception):
        unsupported = getattr(item, "unsupported_endpoint", None) or _says_unsupported(str(error.msg))
        return {"verdict": outcomes.UNSUPPORTED if unsupported else outcomes.SKIP, "detail": str(error.msg)}
    if isinstance(error, engine.ScenarioFailure):
        return {"verdict": outcomes.FAIL, "failure": _scenario_failure(error, item)}
    if isinstance(error, engine.Unsupported):
        return {"verdict": outcomes.UNSUPPORTED,
                "failure": {"summary": str(error), "endpoint": error.endpoint, **_evidence(error.exchange, item)}}
    if isinstance(error, HarnessError) or isinstance(item, ScenarioItem) or call.when != "call":
        return {"verdict": outcomes.ERROR, "failure": _error(call, report, item)}
    return {"verdict": outcomes.FAIL, "failure": _error(call, report, item)}


def _says_unsupported(message: str) -> bool:
    """Skips of other tests (the fuzz checks) for an endpoint the target lacks, by their wording."""
    return message.startswith("UNSUPPORTED ENDPOINT") or "is not implemented by the target" in message


def _scenario_failure(failure: engine.ScenarioFailure, item: pytest.Item) -> dict[str, Any]:
    return {"summary": failure.summary(), "step": failure.step.name, "endpoint": failure.step.endpoint,
            "problems": list(failure.problems), **_evidence(failure.exchange, item)}


def _error(call: pytest.CallInfo, report: pytest.TestReport, item: pytest.Item) -> dict[str, Any]:
    summary = call.excinfo.exconly().strip().splitlines()
    failure = {"summary": (summary[0] if summary else call.excinfo.typename)[:300],
               "text": _clip(report.longreprtext, MAX_TEXT_CHARS)}
    record = getattr(item, "record", None)
    if record is not None and record.exchanges:
        failure.update(_evidence(record.exchanges[-1], item))
    return failure


def _evidence(exchange: Exchange, item: pytest.Item) -> dict[str, Any]:
    """The failing request and response, and the steps that led there (never the API key)."""
    body: Any = exchange.body
    if body is None or len(json.dumps(body)) > MAX_BODY_CHARS:
        body = _clip(exchange.response_text if body is None else json.dumps(body, indent=2), MAX_BODY_CHARS)
    content_type = {k.lower(): v for k, v in exchange.response_headers.items()}.get("content-type")
    evidence = {"request": {"method": exchange.method, "url": exchange.url, "body": exchange.request_body},
                "response": {"status": exchange.status, "content_type": content_type, "body": body}}
    record = getattr(item, "record", None)
    if record is not None:
        evidence["trail"] = [f"{sent.method} {_path(sent.url)} -> {sent.status}" for sent in record.exchanges]
    return evidence


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more characters)"


class Collector:
    """One result per item, merged from its phases' reports in the order they arrive."""

    def __init__(self) -> None:
        self.items: dict[str, ItemResult] = {}

    def add(self, report: pytest.TestReport) -> None:
        record = getattr(report, "conformance", None)
        if not record:
            return
        item = self.items.get(report.nodeid)
        if item is None:
            if "item" not in record:
                return
            item = self.items[report.nodeid] = ItemResult(verdict=outcomes.PASS, **record["item"])
        item.duration += report.duration
        phase = record.get("phase")
        # The first phase that falls short decides: a setup error or skip, else the call's verdict;
        # a teardown error only spoils a pass.
        if phase and item.verdict == outcomes.PASS:
            item.verdict = phase["verdict"]
            item.detail = phase.get("detail")
            item.failure = phase.get("failure")
            item.declared = phase.get("declared")
            item.expect(item.expected)

    def results(self) -> list[ItemResult]:
        """In a stable order (xdist delivers reports as workers finish), so stored results diff well."""
        return sorted(self.items.values(), key=lambda item: (item.kind != "scenario", item.group, item.id))
