"""pytest options for reports, known-failures manifests and baselines (entry point ``pytest11``).

``--report DIR`` writes results.json, report.md and report.html; ``--expect-failures FILE``
marks the listed scenarios as expected failures (pytest's ``--strict`` makes their unexpected
passes fail the run); ``--baseline RESULTS`` fails the run on every regression since that run.
Under pytest-xdist the workers attach each phase's verdict to its report and the controller,
which receives every report, writes the files.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conformance import __version__
from conformance import options as run_options
from conformance.plugin import TARGET
from conformance.reporting import gate as gates
from conformance.reporting import manifest as manifests
from conformance.reporting import model, outcomes, writers
from conformance.reporting.collect import Collector, describe_item, phase_record

# The options (--report, --expect-failures, --baseline, --target-name) are rows of the one table,
# conformance/options.py, registered by conformance.plugin, which registers this plugin when needed.

LISTED = pytest.StashKey[str]()  # on an item the manifest lists: its xfail marker is ours, not the test's

# Sessions that ended before the suite could judge the target: a report would say nothing true.
NO_VERDICT = (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR)


def _value(config: pytest.Config, option: str):
    return run_options.value(config, option)


def pytest_configure(config: pytest.Config) -> None:
    try:
        manifest = _manifest(_value(config, "--expect-failures"))
        baseline = _value(config, "--baseline")
        baseline = model.load(baseline) if baseline else None
    except (manifests.ManifestError, model.ResultsFileError) as exc:
        raise pytest.UsageError(str(exc)) from exc
    config.pluginmanager.register(ReportingSession(config, manifest, baseline), "stripe-conformance-reporting")


def _manifest(path: str | None) -> manifests.Manifest | None:
    if not path:
        return None
    manifest = manifests.load(path)
    # Keys naming other tests ("test_fuzz.py::...") are checked once the tests are collected.
    manifest.check_keys(manifests.known_keys() | {key for key in manifest.reasons if "::" in key})
    return manifest


def strict(config: pytest.Config) -> bool:
    """pytest's own ``--strict`` (or its strict-xfail setting) also makes unexpected passes fail."""
    if config.getoption("strict", False):
        return True
    for name in ("strict_xfail", "xfail_strict", "strict"):  # the names pytest 9 and pytest 8 know
        try:
            value = config.getini(name)
        except ValueError:
            continue
        if value is not None:
            return bool(value)
    return False


class ReportingSession:
    def __init__(self, config: pytest.Config, manifest: manifests.Manifest | None, baseline: model.Results | None):
        self.config = config
        self.manifest = manifest
        self.baseline = baseline
        self.directory = _value(config, "--report")
        self.active = bool(self.directory or manifest or baseline)
        self.worker = hasattr(config, "workerinput")
        self.collector = Collector()
        self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.start = time.monotonic()
        self.results: model.Results | None = None
        self.written: list[Path] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if self.manifest is None:
            return
        described = [(item, describe_item(item)) for item in items]
        try:
            self.manifest.check_keys(manifests.known_keys(extra_ids=[info["id"] for _, info in described]))
        except manifests.ManifestError as exc:
            pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)
        strictness = strict(config)
        for item, info in described:
            reason = self.manifest.reason_for(info["id"], info["features"])
            if reason is not None:
                item.add_marker(pytest.mark.xfail(reason=f"known failure: {reason}", strict=strictness))
                item.stash[LISTED] = reason
                item.user_properties.append(("known_failure", reason))

    @pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: sees the report as other plugins leave it
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        if self.active or getattr(self.config.option, "xmlpath", None):
            declared = None if LISTED in item.stash else getattr(report, "wasxfail", None)
            phase = phase_record(item, call, report, declared)
            if phase and declared is not None:
                phase["declared"] = declared or "expected to fail (no reason given)"
            record = {"phase": phase}
            if call.when == "setup":
                record["item"] = describe_item(item)
            report.conformance = record
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = getattr(report, "conformance", None)
        if record and record.get("item", {}).get("kind") == "scenario":
            _junit_classname(self.config, report, record["item"]["group"])
        if self.active and not self.worker:
            self.collector.add(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.active or self.worker or session.exitstatus in NO_VERDICT:
            return
        target = session.config.stash.get(TARGET, None)
        self.results = model.Results(
            target=(target and target.base_url) or "the bundled reference server", target_name=_value(
                self.config, "--target-name"), suite_version=__version__, started_at=self.started_at,
            duration=time.monotonic() - self.start, items=self.collector.results())
        gate = gates.evaluate(self.results, self.manifest, self.baseline, strict(self.config))
        if self.directory:
            self.written = writers.write_all(self.results, self.directory)
        if not gate.passed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.results is None:
            return
        gate = self.results.gate
        terminalreporter.section("stripe-conformance gate")
        for line in gates.explain(self.results):
            terminalreporter.line(line, red=not line.startswith("IMPROVEMENT"))
        expected = sum(1 for item in self.results.items if item.outcome == outcomes.EXPECTED_FAIL)
        terminalreporter.line(
            f"gate {'passed' if gate.passed else 'FAILED'}: {expected} expected failures, "
            f"{len(gate.unlisted)} not in the manifest, {len(gate.unexpected_passes)} unexpected passes"
            + (f", {len(gate.regressions)} regressions and {len(gate.improvements)} improvements since "
               f"{gate.baseline}" if gate.baseline else ""), green=gate.passed, red=not gate.passed)
        for path in self.written:
            terminalreporter.line(f"report: {path}")


def _junit_classname(config: pytest.Config, report: pytest.TestReport, group: str) -> None:
    """Name a scenario's JUnit class after its endpoint group (``payment_intents.capture``).

    pytest would name it after the file that collects every scenario; the JUnit writer keeps
    attributes set before it records the test case, which is how ``record_xml_attribute`` works.
    """
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pytest moved it: the default class name is still a valid one
        return
    xml = config.stash.get(xml_key, None)
    if xml is not None and report.when == "setup":
        xml.node_reporter(report).add_attribute("classname", group.replace("/", "."))
