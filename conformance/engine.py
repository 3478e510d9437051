"""Run a scenario's steps against a target and judge each response.

Outcomes, kept apart (conformance/outcomes.py): a :class:`ScenarioFailure` is the target
answering wrongly (a 5xx or a body that is not JSON included); a
:class:`~conformance.target.HarnessError` is the exchange failing (no connection, timeout,
TLS); :class:`Unsupported` is the target lacking the endpoint altogether, by the one rule
``outcomes.is_missing_endpoint``, which a runner reports once rather than in every scenario;
:class:`MissingKey` is the run lacking a key the scenario needs: not applicable.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from conformance import matchers, outcomes
from conformance.scenario import CLIENT_ERRORS, KEY_ROLES, Scenario, Step, cite
from conformance.target import Client, Exchange, HarnessError

_VAR = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ScenarioFailure(AssertionError):
    def __init__(self, scenario: Scenario, step: Step, exchange: Exchange, problems: list[str],
                 warnings: list[str] | None = None):
        self.scenario, self.step, self.exchange, self.problems = scenario, step, exchange, problems
        self.warnings = list(warnings or [])  # SHOULD misses before the failure, for the report
        super().__init__(self.report())

    def summary(self) -> str:
        return f"{self.step.name}: {self.problems[0]}" + (f" (+{len(self.problems) - 1} more)"
                                                           if len(self.problems) > 1 else "")

    def report(self) -> str:
        lines = [f"scenario {self.scenario.id}: {self.scenario.title}",
                 f"failed at {self.step.name!r} ({self.step.endpoint})"]
        lines += [f"  - {problem}" for problem in self.problems]
        lines.append(f"documented: {cite(self.scenario.sources[0])}")
        lines += [f"SHOULD missed: {warning}" for warning in self.warnings]
        lines.append("exchange:")
        lines += ["  " + line for line in self.exchange.describe().splitlines()]
        return "\n".join(lines)


class Unsupported(outcomes.UnsupportedEndpoint):
    def __init__(self, endpoint: str, exchange: Exchange):
        super().__init__(endpoint, f"answered {exchange.status}")
        self.exchange = exchange


class MissingKey(outcomes.NotApplicable):
    """The scenario needs an API key the run was not given: no verdict either way."""


NEEDS = {"other": "needs --other-api-key (a second account's secret key)",
         "publishable": "needs --publishable-key (the account's publishable key)"}


@dataclass
class Run:
    """What one scenario run did, for reports."""

    scenario: Scenario
    exchanges: list[Exchange] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # the SHOULD expectations the target missed


def verdict(record: Run) -> outcomes.ItemVerdict:
    """The verdict of a run that raised nothing: passed, or passed with warnings (a SHOULD missed)."""
    if record.warnings:
        return outcomes.ItemVerdict(outcomes.Verdict.WARNED, warnings=tuple(record.warnings))
    return outcomes.ItemVerdict(outcomes.Verdict.PASSED)


def run(scenario: Scenario, client: Client, record: Run | None = None) -> Run:
    record = record or Run(scenario)
    answered: set[str] = set()  # the endpoints that answered this run otherwise than as missing: they exist
    for role in dict.fromkeys(step.key for step in scenario.steps):
        if role in NEEDS and not client.keys.for_role(role):
            raise MissingKey(NEEDS[role])
    # ``{run}`` is unique per run so scenarios can tag what they create and find only that.
    record.variables.setdefault("run", secrets.token_hex(6))
    record.variables.setdefault("now", int(time.time()))
    for step in scenario.steps:
        if not _applies(step, record.variables):
            continue
        exchange = _perform(scenario, step, client, record, answered)
        record.warnings += [f"{step.name}: {problem}" for problem in shortfalls(step, exchange, record.variables)]
        for name, path in step.save.items():
            record.variables[name] = _dig(exchange.body, path)
    return record


def _applies(step: Step, variables: dict[str, Any]) -> bool:
    """A step with ``when`` runs only if the answers saved so far match it (a branch on Stripe's choice)."""
    for name, wanted in (step.when or {}).items():
        if name not in variables:
            raise HarnessError(f"step {step.name!r} branches on {{{name}}}, which no earlier step saved")
        if matchers.mismatches(substitute(wanted, variables), variables[name], name):
            return False
    return True


def shortfalls(step: Step, exchange: Exchange, variables: dict[str, Any]) -> list[str]:
    """Every SHOULD expectation of the step that the response misses (warnings, not failures)."""
    should = substitute(step.should, variables)
    problems: list[str] = []
    if "status" in should and exchange.status not in should["status"]:
        problems.append(f"status: expected {_statuses(should['status'])}, got {exchange.status} (SHOULD)")
    if "body" in should:
        problems += [f"{problem} (SHOULD)" for problem in matchers.mismatches(should["body"], exchange.body)]
    for name, wanted in should.get("headers", {}).items():
        problems += [f"{problem} (SHOULD)" for problem in
                     matchers.mismatches(wanted, _header(exchange.response_headers, name), f"header {name}")]
    return problems


def _statuses(statuses: list[int]) -> str:
    return "a 4xx other than 404, 405, 429" if tuple(statuses) == CLIENT_ERRORS else " or ".join(map(str, statuses))


def _perform(scenario: Scenario, step: Step, client: Client, record: Run, answered: set[str]) -> Exchange:
    retry = step.retry or {}
    # --poll-timeout (raised against real Stripe) replaces the step's own wait for eventual consistency
    timeout = client.poll_timeout if retry and client.poll_timeout is not None else retry.get("timeout", 0)
    deadline = time.monotonic() + timeout
    while True:
        exchange = _send(step, client, record.variables)
        record.exchanges.append(exchange)
        # Before judging, whatever the step expects (a 404 included): a missing endpoint is not
        # worth waiting for, and a missing endpoint is not a missing object. An endpoint that has
        # answered otherwise in this run exists (localstripe: 405 to a second capture).
        if not outcomes.is_missing_endpoint(exchange.status, exchange.body):
            answered.add(step.endpoint)
        elif step.endpoint not in answered and client.endpoint_missing(exchange):
            raise Unsupported(step.endpoint, exchange)
        problems = judge(step, exchange, record.variables)
        if not problems:
            return exchange
        # Waiting is for data that has yet to appear (search); an error status will not turn into it.
        if not client.keep_polling(deadline) or exchange.status >= 400 > max(_expected_statuses(step)):
            break
        client.pause(retry.get("interval", 1.0))
    raise ScenarioFailure(scenario, step, exchange, problems, record.warnings)


def _expected_statuses(step: Step) -> list[int]:
    status = step.expect["status"]
    return status if isinstance(status, list) else [status]


def _send(step: Step, client: Client, variables: dict[str, Any]) -> Exchange:
    key_role = step.key
    key = client.keys.for_role(key_role) if key_role in KEY_ROLES else key_role
    try:
        return client.send(step.method, substitute(step.path, variables), form=substitute(step.form, variables),
                           query=substitute(step.query, variables), headers=substitute(step.headers, variables),
                           key=key, step=step.name)
    except HarnessError as error:
        error.endpoint = step.endpoint
        raise


def judge(step: Step, exchange: Exchange, variables: dict[str, Any]) -> list[str]:
    """Every way the response fails the step's expectations."""
    expect = substitute(step.expect, variables)
    statuses = expect["status"] if isinstance(expect["status"], list) else [expect["status"]]
    problems: list[str] = []
    if exchange.status not in statuses:
        problems.append(f"status: expected {_statuses(statuses)}, got {exchange.status}")
    if exchange.body is None and (exchange.response_text or "body" in expect or "schema" in expect):
        start = exchange.response_text[:200].replace("\n", " ")
        # Stripe answers JSON, always: anything else is the target failing, not the harness.
        problems.append(f"body: not JSON ({exchange.response_headers.get('Content-Type', 'no content type')}): "
                        f"{start!r}")
        return problems
    schema = expect.get("schema") or ("error" if exchange.status >= 400 and max(statuses) >= 400 else None)
    if schema and exchange.body is not None:
        problems += [f"schema {schema}: {problem}" for problem in _schema_errors(schema, exchange.body)]
    if "body" in expect:
        problems += matchers.mismatches(expect["body"], exchange.body)
    for name, wanted in expect.get("headers", {}).items():
        actual = _header(exchange.response_headers, name)
        problems += matchers.mismatches(wanted, actual, f"header {name}")
    return problems


def _schema_errors(name: str, body: Any) -> list[str]:
    from conformance import schemas  # loaded on first use: collecting scenarios needs no schemas

    return schemas.errors(name, body)[:10]


def _header(headers: dict[str, str], name: str) -> Any:
    lowered = {k.lower(): v for k, v in headers.items()}
    return lowered.get(name.lower(), matchers.ABSENT)


def substitute(value: Any, variables: dict[str, Any]) -> Any:
    """Replace ``{name}`` with saved values; a string that is only ``{name}`` takes the raw value."""
    if isinstance(value, str):
        whole = _VAR.fullmatch(value)
        if whole and whole.group(1) in variables:
            return variables[whole.group(1)]
        return _VAR.sub(lambda m: str(variables[m.group(1)]) if m.group(1) in variables else m.group(0), value)
    if isinstance(value, dict):
        return {substitute(k, variables): substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    return value


def _dig(body: Any, path: str) -> Any:
    """``data.0.id`` -> ``body["data"][0]["id"]``; ``.`` is the whole body."""
    if path == ".":
        return body
    current = body
    for part in path.split("."):
        if isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            raise HarnessError(f"cannot save {path!r}: the response has no such value")
    return current
