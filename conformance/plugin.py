"""The pytest plugin (entry point ``pytest11``): options, the target, one item per scenario.

``pytest --pyargs conformance.suite --base-url URL`` runs the suite against any server;
without ``--base-url`` the bundled reference server is started for the session.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from conformance import engine, launcher, outcomes
from conformance.scenario import Scenario, load_all
from conformance.target import DEFAULT_TIMEOUT, Client, Exchange, HarnessError, Keys, probe

ANCHOR = "scenarios.collect"  # the file in conformance/suite that stands for every scenario

OPTIONS = [
    # (option, environment variable, help)
    ("--base-url", "STRIPE_BASE_URL", "target server (default: start the bundled reference server)"),
    ("--api-key", "STRIPE_API_KEY", "secret API key for the target (default for the bundled server: sk_test_conformance)"),
    ("--publishable-key", "STRIPE_PUBLISHABLE_KEY", "publishable key of the same account (default: the secret key with pk_ for sk_)"),
    ("--other-api-key", "STRIPE_OTHER_API_KEY", "secret key of a second account, for isolation scenarios"),
    ("--target-timeout", "STRIPE_CONFORMANCE_TIMEOUT", f"seconds to wait for each answer (default {DEFAULT_TIMEOUT:g})"),
    ("--features", "STRIPE_CONFORMANCE_FEATURES", "run only scenarios with one of these comma-separated feature tags"),
    ("--skip-features", "STRIPE_CONFORMANCE_SKIP_FEATURES", "leave out scenarios with any of these comma-separated tags"),
    ("--lacks", "STRIPE_CONFORMANCE_LACKS", "account capabilities the target lacks (scenarios/features.yaml), comma-separated:"
                                            " scenarios requiring them are not applicable"),
]

TARGET = pytest.StashKey["TargetSession"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stripe-conformance", "Stripe conformance suite")
    for option, env, help_text in OPTIONS:
        group.addoption(option, dest=_dest(option), default=None, help=f"{help_text} [env: {env}]")


def _dest(option: str) -> str:
    return "stripe_" + option.lstrip("-").replace("-", "_")


def option(config: pytest.Config, name: str) -> str | None:
    """An option's value: the command line first, then its environment variable."""
    for opt, env, _ in OPTIONS:
        if opt == name:
            return config.getoption(_dest(opt)) or os.environ.get(env) or None
    raise KeyError(name)


@dataclass
class TargetSession:
    """The session's target: a given base URL, or the bundled server started on first use."""

    base_url: str | None
    keys: Keys | None
    timeout: float
    server: launcher.BundledServer | None = None
    unsupported: dict[str, str] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)  # endpoints seen answering: they exist
    _client: Client | None = None

    @classmethod
    def from_config(cls, config: pytest.Config) -> "TargetSession":
        secret = option(config, "--api-key")
        keys = None
        if secret or option(config, "--base-url"):
            keys = Keys.derive(secret or launcher.DEFAULT_SECRET_KEY, option(config, "--publishable-key"),
                               option(config, "--other-api-key"))
        timeout = float(option(config, "--target-timeout") or DEFAULT_TIMEOUT)
        return cls(option(config, "--base-url"), keys, timeout)

    def client(self) -> Client:
        if self._client is None:
            if self.base_url is None:
                self.server = launcher.BundledServer().start()
                self.base_url = self.server.base_url
                self.keys = Keys.derive(launcher.DEFAULT_SECRET_KEY, None, launcher.DEFAULT_OTHER_SECRET_KEY)
            self._client = Client(self.base_url, self.keys, self.timeout)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self.server is not None:
            self.server.stop()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[TARGET] = TargetSession.from_config(config)
    config.addinivalue_line("markers", "scenario: a documented-behaviour scenario from scenarios/")


def pytest_sessionstart(session: pytest.Session) -> None:
    target = session.config.stash[TARGET]
    if target.base_url and not hasattr(session.config, "workerinput"):
        reason = probe(target.base_url, timeout=min(5.0, target.timeout))
        if reason:
            pytest.exit(f"stripe-conformance: cannot use target {target.base_url}: {reason}", returncode=2)


def pytest_unconfigure(config: pytest.Config) -> None:
    target = config.stash.get(TARGET, None)
    if target is not None:
        target.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.name == ANCHOR and file_path.parent.name == "suite":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self):
        for scenario in load_all():
            yield ScenarioItem.from_parent(self, name=scenario.id, scenario=scenario)


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kwargs: Any):
        super().__init__(**kwargs)
        self.scenario = scenario
        self.record: engine.Run | None = None
        self.unsupported_endpoint: str | None = None  # set when skipped for an endpoint the target lacks
        self.add_marker(pytest.mark.scenario)
        self.extra_keyword_matches.update(scenario.features)
        self.user_properties.append(("title", scenario.title))
        self.user_properties.append(("features", ",".join(scenario.features)))
        source = scenario.sources[0]
        self.user_properties.append(("source", source.get("url") or source.get("seed") or source.get("spec")))

    def runtest(self) -> None:
        target = self.config.stash[TARGET]
        lacking = sorted(set(self.scenario.requires) & _tags(option(self.config, "--lacks")))
        if lacking:
            reason = f"needs the account capability {', '.join(lacking)}, which the run declared lacking (--lacks)"
            outcomes.set_verdict(self, outcomes.ItemVerdict(outcomes.Verdict.NOT_APPLICABLE, detail=reason))
            pytest.skip(reason)
        for endpoint in self.scenario.endpoints:
            if endpoint in target.unsupported:
                self.unsupported_endpoint = endpoint
                pytest.skip(f"{endpoint} is not implemented by the target "
                            f"(reported once, by scenario {target.unsupported[endpoint]})")
        self.record = engine.Run(self.scenario)
        try:
            engine.run(self.scenario, target.client(), self.record, target.answered)
        except engine.Unsupported as exc:
            if _answers_otherwise(target.client(), exc.exchange):
                raise self._wrong_answer(exc) from exc
            target.unsupported.setdefault(exc.endpoint, self.scenario.id)
            raise
        except engine.MissingKey as exc:
            pytest.skip(str(exc))
        if self.record.warnings:  # every MUST held; the SHOULDs missed fail the run only with --strict-should
            outcomes.set_verdict(self, outcomes.ItemVerdict(outcomes.Verdict.WARNED, warnings=tuple(self.record.warnings)))
            if self.config.getoption("strict_should", default=False):
                pytest.fail("SHOULD missed (--strict-should):\n" + "\n".join(f"  - {w}" for w in self.record.warnings),
                            pytrace=False)

    def _wrong_answer(self, unsupported: engine.Unsupported) -> engine.ScenarioFailure:
        step = next(step for step in self.scenario.steps if step.endpoint == unsupported.endpoint)
        problems = engine.judge(step, unsupported.exchange, self.record.variables)
        return engine.ScenarioFailure(self.scenario, step, unsupported.exchange, problems)

    def repr_failure(self, excinfo, style=None):
        error = excinfo.value
        if isinstance(error, engine.ScenarioFailure):
            return error.report()
        if isinstance(error, HarnessError):
            return f"HARNESS ERROR (no verdict on the target) in scenario {self.scenario.id}: {error}"
        if isinstance(error, engine.Unsupported):
            return (f"UNSUPPORTED ENDPOINT: {error}. Other scenarios using it are skipped.\n"
                    + error.exchange.describe(limit=600))
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"scenario {self.scenario.id}"


def _answers_otherwise(client: Client, exchange: Exchange) -> bool:
    """Whether an endpoint that answered 404/405/501 exists after all.

    Some mocks answer 404 without ``resource_missing`` when a request names an object they do
    not know (localstripe: "Not Found" for an unknown payment method). Asked again with no
    parameters, an endpoint that exists answers something else (a 400, say); a missing one the same.
    """
    key = exchange.request_headers.get("Authorization", "").removeprefix("Bearer ") or None
    try:
        probe = client.send(exchange.method, urlsplit(exchange.url).path, key=key)
    except HarnessError:
        return False
    return probe.status != exchange.status


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = _tags(option(config, "--features"))
    unwanted = _tags(option(config, "--skip-features"))
    if not wanted and not unwanted:
        return
    keep, drop = [], []
    for item in items:
        tags = set(item.scenario.features) if isinstance(item, ScenarioItem) else set()
        chosen = isinstance(item, ScenarioItem) and (not wanted or tags & wanted) and not tags & unwanted
        (keep if chosen or (not isinstance(item, ScenarioItem) and not wanted) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _tags(text: str | None) -> set[str]:
    return {tag.strip() for tag in (text or "").split(",") if tag.strip()}
