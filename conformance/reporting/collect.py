"""Results from pytest: what each item is, and what each phase of its run showed.

Every item of the suite records its verdict on itself (``outcomes.set_verdict``); this module
reads it with ``outcomes.verdict_of`` and never from the wording of a message. An item that
recorded nothing (another plugin's test, say) is read by the type of what it raised, falling
back on pytest's own outcome: passed is passed, failed is failed, skipped is not applicable.

:func:`phase_record` runs where the item ran (an xdist worker or the only process) and returns
plain data, which travels with the pytest report; :class:`Collector` merges a run's reports into
results wherever the reports arrive. A fuzz check that failed with findings
(``item.conformance_findings``: ids like ``fuzz:POST /v1/payment_intents:stripe_error_envelope``)
becomes one result per finding.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest

from conformance import engine, outcomes
from conformance.outcomes import Verdict
from conformance.plugin import ScenarioItem
from conformance.reporting.results import FUZZ, Evidence, ItemResult, Request, Response
from conformance.target import Exchange, HarnessError

MAX_BODY_CHARS = 20_000
MAX_TEXT_CHARS = 8_000
FINDINGS = "conformance_findings"  # on a fuzz item that failed: the ids of what it found
HIDDEN_HEADERS = ("authorization", "cookie", "set-cookie")
_FINDING = re.compile(r"^fuzz:(?P<method>[A-Z]+) (?P<path>/\S*):(?P<check>[\w.-]+)$")


def describe_item(item: pytest.Item) -> dict[str, Any]:
    """What a report says about the item itself: id, group, title, tags, sources, notes."""
    if isinstance(item, ScenarioItem):
        scenario = item.scenario
        return {"id": scenario.id, "kind": "scenario", "group": scenario.operation, "title": scenario.title,
                "features": list(scenario.features), "sources": [dict(source) for source in scenario.sources],
                "endpoints": list(scenario.endpoints), "nodeid": item.nodeid, "notes": scenario.notes or ""}
    # Any other test (a fuzzed operation, say) is one result; the ``fuzz`` marker tags it.
    fuzz = item.get_closest_marker(FUZZ) is not None
    endpoint = fuzz_endpoint(item) if fuzz else None
    return {"id": generic_id(item.nodeid), "kind": "test", "group": group_of(endpoint) if fuzz else _module(item.nodeid),
            "title": item.name, "features": [FUZZ] if fuzz else [], "endpoints": [endpoint] if endpoint else [],
            "nodeid": item.nodeid}


def generic_id(nodeid: str) -> str:
    """A test's id without the directories, which depend on where pytest was started."""
    path, _, rest = nodeid.partition("::")
    return f"{PurePosixPath(path).name}::{rest}" if rest else PurePosixPath(path).name


def _module(nodeid: str) -> str:
    return PurePosixPath(nodeid.partition("::")[0]).stem


def fuzz_endpoint(item: pytest.Item) -> str | None:
    """``POST /v1/payment_intents/{id}`` for a fuzzed operation's item (schemathesis names it so)."""
    label = getattr(item, "operation_label", None) or _bracketed(item.name)
    return normal_endpoint(label) if label else None


def _bracketed(name: str) -> str | None:
    inside = name.partition("[")[2].rstrip("]")
    return inside if re.match(r"^[A-Z]+ /", inside) else None


def normal_endpoint(label: str) -> str:
    """``POST /v1/payment_intents/{intent}/capture`` -> ``POST /v1/payment_intents/{id}/capture``."""
    method, _, path = label.partition(" ")
    return f"{method.upper()} " + re.sub(r"\{[^}]*\}", "{id}", path)


@lru_cache(maxsize=None)
def _endpoint_groups() -> dict[str, str]:
    """For each endpoint, the scenario group that exercises it most (where its fuzz findings are shown)."""
    from conformance.scenario import load_all

    uses: dict[str, Counter] = {}
    for scenario in load_all():
        for endpoint in scenario.endpoints:
            uses.setdefault(endpoint, Counter())[scenario.operation] += 1
    return {endpoint: counter.most_common(1)[0][0] for endpoint, counter in uses.items()}


def group_of(endpoint: str | None) -> str:
    """The group an endpoint's fuzz results are shown in; a method no scenario sends goes by its path."""
    if not endpoint:
        return FUZZ
    groups = _endpoint_groups()
    if endpoint in groups:
        return groups[endpoint]
    path = endpoint.partition(" ")[2]
    return next((group for known, group in sorted(groups.items()) if known.partition(" ")[2] == path), FUZZ)


def finding_endpoint(finding: str) -> str | None:
    match = _FINDING.match(finding)
    return normal_endpoint(f"{match['method']} {match['path']}") if match else None


def phase_record(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport,
                 declared: str | None = None) -> dict[str, Any] | None:
    """The verdict of one phase (setup, call, teardown) and, when it falls short, the evidence.

    ``declared``: the reason of an expected failure the test itself declared (pytest's xfail);
    a plugin may turn a passing call into one (the fuzz checks do, for known gaps).
    """
    recorded = outcomes.verdict_of(item) if call.when == "call" else None
    if recorded is not None:
        record = {"verdict": recorded.verdict.value, "detail": recorded.detail, "warnings": list(recorded.warnings)}
        if recorded.verdict is Verdict.UNSUPPORTED:
            record["missing_endpoint"] = recorded.detail
        if call.excinfo is not None and not isinstance(call.excinfo.value, pytest.skip.Exception):
            record["evidence"] = _evidence_of(item, call, report)
            if recorded.detail and not getattr(item, FINDINGS, None):  # the item's own words win
                record["evidence"].summary = recorded.detail
        return _with_findings(item, record)
    if call.excinfo is None:
        if call.when != "call":
            return None
        if declared is not None and report.skipped:
            return {"verdict": Verdict.FAILED.value, "detail": declared}
        return {"verdict": Verdict.PASSED.value}
    return _with_findings(item, _fallback(item, call, report))


def _fallback(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> dict[str, Any]:
    """An item that recorded no verdict, read by the type of what it raised."""
    error = call.excinfo.value
    if isinstance(error, pytest.skip.Exception):
        # A scenario skipped for an endpoint an earlier one found missing carries it as an attribute.
        missing = getattr(item, "unsupported_endpoint", None)
        if missing:
            return {"verdict": Verdict.UNSUPPORTED.value, "missing_endpoint": missing, "detail": str(error.msg)}
        return {"verdict": Verdict.NOT_APPLICABLE.value, "detail": str(error.msg)}
    if isinstance(error, (engine.Unsupported, outcomes.UnsupportedEndpoint)):
        exchange = getattr(error, "exchange", None)
        evidence = _exchange_evidence(exchange, item) if exchange is not None else Evidence()
        evidence.summary, evidence.endpoint = str(error), error.endpoint
        return {"verdict": Verdict.UNSUPPORTED.value, "missing_endpoint": error.endpoint, "detail": str(error),
                "evidence": evidence}
    if isinstance(error, (engine.MissingKey, outcomes.NotApplicable)):
        return {"verdict": Verdict.NOT_APPLICABLE.value, "detail": str(error)}
    harness = isinstance(error, HarnessError) or call.when != "call" or (
        isinstance(item, ScenarioItem) and not isinstance(error, engine.ScenarioFailure))
    return {"verdict": (Verdict.HARNESS_ERROR if harness else Verdict.FAILED).value,
            "evidence": _evidence_of(item, call, report)}


def _with_findings(item: pytest.Item, record: dict[str, Any]) -> dict[str, Any]:
    findings = getattr(item, FINDINGS, None)
    if findings and record["verdict"] == Verdict.FAILED.value:
        record["findings"] = [str(finding) for finding in findings]
    return record


def _evidence_of(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> Evidence:
    error = call.excinfo.value
    if isinstance(error, engine.ScenarioFailure):
        evidence = _exchange_evidence(error.exchange, item)
        evidence.summary, evidence.step = error.summary(), error.step.name
        evidence.endpoint, evidence.problems = error.step.endpoint, list(error.problems)
        return evidence
    text = report.longreprtext
    record = getattr(item, "record", None)
    evidence = (_exchange_evidence(record.exchanges[-1], item) if record is not None and record.exchanges
                else Evidence())
    evidence.summary = _summary(error, call, text)[:300]
    evidence.text = _clip(text, MAX_TEXT_CHARS)
    evidence.curl = _curl(text)
    evidence.endpoint = evidence.endpoint or fuzz_endpoint(item)
    return evidence


def _summary(error: BaseException, call: pytest.CallInfo, text: str) -> str:
    """One line: the harness error's own words, schemathesis's failure titles, else the exception's first line."""
    if isinstance(error, HarnessError):
        return str(error)
    lines = [_unquoted(line) for line in text.splitlines()]
    titles = [line[2:] for line in lines if re.match(r"^- [A-Z]{2}\d+ ", line)]  # "- ST101 Server error"
    statuses = [line for line in lines if re.match(r"^\[\d{3}\] ", line)]  # "[501] Not Implemented:"
    if titles:
        answer = f" (answered {statuses[0].rstrip(':')})" if statuses else ""
        return "; ".join(dict.fromkeys(titles)) + answer
    first = call.excinfo.exconly().strip().splitlines()
    return first[0] if first else call.excinfo.typename


def _unquoted(line: str) -> str:
    """A line of a printed exception without pytest's ``E   `` or an exception group's ``  | `` gutter."""
    line = re.sub(r"^E {3}", "", line)
    return re.sub(r"^[\s|+-]*?\|\s?", "", line).strip() if "|" in line[:8] else line.strip()


def _curl(text: str) -> str | None:
    """The replay command schemathesis prints under "Reproduce with", if the text has one."""
    return next((line for line in map(_unquoted, text.splitlines()) if line.startswith("curl ")), None)


def _exchange_evidence(exchange: Exchange, item: pytest.Item) -> Evidence:
    """The failing request and response, and the steps that led there (never the API key)."""
    body: Any = exchange.body
    if body is None or len(json.dumps(body)) > MAX_BODY_CHARS:
        body = _clip(exchange.response_text if body is None else json.dumps(body, indent=2), MAX_BODY_CHARS)
    headers = _shown(exchange.response_headers)
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type")
    evidence = Evidence(
        request=Request(exchange.method, exchange.url, _shown(exchange.request_headers), exchange.request_body or ""),
        response=Response(exchange.status, headers, content_type, body))
    record = getattr(item, "record", None)
    if record is not None:
        evidence.trail = [f"{sent.method} {_path(sent.url)} -> {sent.status}" for sent in record.exchanges]
    return evidence


def _shown(headers: dict[str, str]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (headers or {}).items() if str(k).lower() not in HIDDEN_HEADERS}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more characters)"


def to_plain(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """The record as JSON-able data, to travel from an xdist worker with the report."""
    if record and isinstance(record.get("evidence"), Evidence):
        record = {**record, "evidence": asdict(record["evidence"])}
    return record


class Collector:
    """One result per item (per finding, for a fuzz check with findings), merged from its phases' reports."""

    def __init__(self) -> None:
        self.items: dict[str, ItemResult] = {}
        self.findings: dict[str, list[str]] = {}
        self.seeds: set[int] = set()  # the fuzz seeds the items ran with, as each process reported it

    def add(self, report: pytest.TestReport) -> None:
        record = getattr(report, "conformance", None)
        if not record:
            return
        item = self.items.get(report.nodeid)
        if item is None:
            if "item" not in record:
                return
            item = self.items[report.nodeid] = ItemResult(verdict=Verdict.PASSED, **record["item"])
        if record.get("seed") is not None:
            self.seeds.add(record["seed"])
        item.duration += report.duration
        phase = record.get("phase")
        # The first phase that falls short decides: a setup error or skip, else the call's verdict;
        # a teardown error only spoils a pass.
        if phase and item.verdict is Verdict.PASSED:
            item.verdict = Verdict(phase["verdict"])
            item.detail = phase.get("detail")
            item.missing_endpoint = phase.get("missing_endpoint")
            item.warnings = list(phase.get("warnings") or [])
            item.evidence = Evidence.from_dict(phase.get("evidence"))
            item.declared = phase.get("declared")
            item.expect(item.expected)
            if phase.get("findings"):
                self.findings[report.nodeid] = phase["findings"]

    def results(self) -> list[ItemResult]:
        """In a stable order (xdist delivers reports as workers finish), so stored results diff well."""
        results = []
        for nodeid, item in self.items.items():
            results += [_finding(item, finding) for finding in self.findings[nodeid]] if nodeid in self.findings \
                else [item]
        return sorted(results, key=lambda item: (item.kind != "scenario", item.group, item.id))


def _finding(item: ItemResult, finding: str) -> ItemResult:
    endpoint = finding_endpoint(finding) or (item.endpoints[0] if item.endpoints else None)
    check = finding.rpartition(":")[2]
    evidence = Evidence.from_dict(None if item.evidence is None else json.loads(json.dumps(asdict(item.evidence))))
    if evidence is not None:
        evidence.endpoint = endpoint
    return ItemResult(id=finding, kind="finding", group=group_of(endpoint), title=f"{endpoint or 'the API'}: {check}",
                      verdict=item.verdict, features=list(item.features), endpoints=[endpoint] if endpoint else [],
                      nodeid=item.nodeid, duration=item.duration, declared=item.declared, evidence=evidence)
