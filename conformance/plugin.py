"""The pytest plugin (entry point ``pytest11``): the run's options, and the suite when it is collected.

``pytest --pyargs conformance.suite --base-url URL`` runs the suite against any server; without
``--base-url`` the bundled reference server is started for the session. ``--base-url`` is
pytest-base-url's option (and ``base_url`` its fixture), shared with pytest-playwright and
pytest-selenium rather than taken from them.

In every other pytest session this plugin only registers its options: its hooks, the fuzz
plugin and the reporting plugin are registered when the session's arguments reach the suite
(``conformance/suite``), or, for reports, when a report option is given on the command line.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from conformance import engine, options, outcomes, recording, selection
from conformance.rundir import RunDir, new_id
from conformance.scenario import Scenario, load_all
from conformance.session import TargetSession
from conformance.target import HarnessError, probe

ANCHOR = "scenarios.collect"  # the file in conformance/suite that stands for every scenario
SUITE_DIR = Path(__file__).resolve().parent / "suite"
REPORT_FLAGS = ("--report", "--expect-failures", "--baseline")
NOT_WALKED = ("site-packages", "node_modules", "venv", "build", "dist")  # pytest does not collect below these

TARGET = pytest.StashKey[TargetSession]()


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, title in options.GROUPS.items():
        group = parser.getgroup(f"stripe-conformance-{name}", f"Stripe conformance: {title}")
        for option in options.ours():
            if option.group == name:
                group.addoption(option.flag, **_argparse_kwargs(option))


def _argparse_kwargs(option: options.Option) -> dict[str, Any]:
    help_text = option.help + (f" [env: {option.env}]" if option.env else "")
    if option.switch:
        return {"dest": option.pytest_dest, "action": "store_true", "default": False, "help": help_text}
    return {"dest": option.pytest_dest, "default": None, "type": option.type, "metavar": option.metavar,
            "help": f"{help_text} (default: {options.describe_default(option)})"}


def pytest_configure(config: pytest.Config) -> None:
    in_play = suite_in_play(config)
    if in_play:
        config.pluginmanager.register(SuitePlugin(config), "stripe-conformance-suite")
        config.pluginmanager.import_plugin("conformance.fuzz.plugin")
    if in_play or any(options.value(config, flag) for flag in REPORT_FLAGS):
        config.pluginmanager.import_plugin("conformance.reporting.plugin")


def suite_in_play(config: pytest.Config) -> bool:
    """Whether the session's arguments (or testpaths) reach the suite's directory."""
    for arg in config.args:
        path = _arg_path(config, arg.split("::")[0])
        if path is None:
            continue
        if path == SUITE_DIR or SUITE_DIR in path.parents:
            return True
        if path in SUITE_DIR.parents and not _hidden_below(path):
            return True
    return False


def _arg_path(config: pytest.Config, arg: str) -> Path | None:
    if config.getoption("pyargs", False) and not Path(arg).exists():
        try:
            spec = importlib.util.find_spec(arg)
        except (ImportError, ValueError):
            return None
        if spec is None:
            return None
        location = (spec.submodule_search_locations or [spec.origin])[0]
        return Path(location).resolve() if location else None
    return (config.invocation_params.dir / arg).resolve()


def _hidden_below(start: Path) -> bool:
    """Whether pytest, walking down from ``start``, would skip the suite (a venv, a hidden directory)."""
    for directory in [SUITE_DIR, *SUITE_DIR.parents]:
        if directory == start:
            return False
        if directory.name.startswith(".") or directory.name in NOT_WALKED or (directory / "pyvenv.cfg").exists():
            return True
    return False


class SuitePlugin:
    """The suite's hooks, registered only in a session that collects it."""

    def __init__(self, config: pytest.Config):
        self.config = config
        try:
            selection.check(options.value(config, "--features"), options.value(config, "--skip-features"))
            target = TargetSession.from_config(config)
        except (selection.UnknownFeature, ValueError) as exc:
            raise pytest.UsageError(str(exc)) from exc
        self.worker = getattr(config, "workerinput", None)
        target.rundir = RunDir(self.worker["stripe_conformance_run"] if self.worker else new_id())
        if self.worker:
            target.own_accounts(self.worker["workerid"])
        config.stash[TARGET] = target
        config.addinivalue_line("markers", "scenario: a documented-behaviour scenario from scenarios/")

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """pytest-xdist: every worker shares the controller's run directory (rate ceiling, counts, recording)."""
        node.workerinput["stripe_conformance_run"] = self.config.stash[TARGET].rundir.run_id

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        recorder = self.config.stash[TARGET].recorder
        if recorder is None:
            return (yield)
        recorder.begin(item.scenario.id if isinstance(item, ScenarioItem) else item.nodeid)
        try:
            return (yield)
        finally:
            record = getattr(item, "record", None)
            recorder.end(record.variables if record is not None else None)

    @pytest.hookimpl(tryfirst=True)  # before the reports, which count the cleanup
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        target = session.config.stash[TARGET]
        target.finish(self.worker["workerid"] if self.worker else "main")
        if target.record and not self.worker:
            recording.merge(target.rundir.parts("har"), target.record, target.stripe_version)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        target = session.config.stash[TARGET]
        if target.base_url and not hasattr(session.config, "workerinput"):
            reason = probe(target.base_url, target.keys.secret if target.keys else None,
                           timeout=min(5.0, target.timeout), version=target.stripe_version)
            if reason:
                pytest.exit(f"stripe-conformance: cannot use target {target.base_url}: {reason}", returncode=2)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        target = config.stash[TARGET]
        target.close()
        if not self.worker:
            target.rundir.remove()

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector):
        if file_path.name == ANCHOR and file_path.parent.name == "suite":
            return ScenarioFile.from_parent(parent, path=file_path)
        return None

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        wanted = selection.tags(options.value(config, "--features"))
        unwanted = selection.tags(options.value(config, "--skip-features"))
        if not wanted and not unwanted:
            return
        keep, drop = [], []
        for item in items:
            suite_tags = _suite_tags(item)
            chosen = selection.chosen(suite_tags, wanted, unwanted) if suite_tags is not None else not wanted
            (keep if chosen else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep


def _suite_tags(item: pytest.Item) -> set[str] | None:
    if isinstance(item, ScenarioItem):
        return set(item.scenario.features)
    if item.get_closest_marker(selection.FUZZ) is not None:
        return {selection.FUZZ}
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
        declared = selection.tags(options.value(self.config, "--lacks"))
        lacking = sorted(set(self.scenario.requires) & (declared | set(target.lacks)))
        if lacking:
            why = "the run declared lacking (--lacks)" if declared.issuperset(lacking) else \
                "a Stripe test account lacks until Stripe enables it (conformance/real_stripe.py)"
            reason = f"needs the account capability {', '.join(lacking)}, which {why}"
            outcomes.set_verdict(self, outcomes.ItemVerdict(outcomes.Verdict.NOT_APPLICABLE, detail=reason))
            pytest.skip(reason)
        self.record = engine.Run(self.scenario)
        try:
            target.before(f"scenario {self.scenario.id}", self.scenario.endpoints)
            engine.run(self.scenario, target.client(), self.record)
        except outcomes.UnsupportedEndpoint as exc:
            self._unsupported(target, exc.endpoint)
        except outcomes.NotApplicable as exc:
            outcomes.set_verdict(self, outcomes.ItemVerdict(outcomes.Verdict.NOT_APPLICABLE, str(exc)))
            pytest.skip(f"not applicable: {exc}")
        except engine.ScenarioFailure:
            target.answered()
            outcomes.set_verdict(self, outcomes.ItemVerdict(outcomes.Verdict.FAILED))
            raise
        except HarnessError as exc:
            outcomes.set_verdict(self, outcomes.ItemVerdict(outcomes.Verdict.HARNESS_ERROR, str(exc)))
            target.harness_error(exc, f"scenario {self.scenario.id}")
            raise
        target.answered()
        outcomes.set_verdict(self, engine.verdict(self.record))
        if self.record.warnings and options.value(self.config, "--strict-should"):
            # every MUST held; the SHOULDs missed fail the run only with --strict-should
            pytest.fail("SHOULD missed (--strict-should):\n" + "\n".join(f"  - {w}" for w in self.record.warnings),
                        pytrace=False)

    def _unsupported(self, target: TargetSession, endpoint: str) -> None:
        self.unsupported_endpoint = endpoint
        target.unsupported.setdefault(endpoint, self.scenario.id)
        outcomes.set_verdict(self, outcomes.ItemVerdict(outcomes.Verdict.UNSUPPORTED, endpoint))
        # One wording per endpoint: pytest's summary counts the scenarios behind it on one line.
        pytest.skip(f"UNSUPPORTED ENDPOINT: the target does not implement {endpoint}")

    def repr_failure(self, excinfo, style=None):
        error = excinfo.value
        if isinstance(error, engine.ScenarioFailure):
            return error.report()
        if isinstance(error, HarnessError):
            return f"HARNESS ERROR (no verdict on the target) in scenario {self.scenario.id}: {error}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"scenario {self.scenario.id}"
