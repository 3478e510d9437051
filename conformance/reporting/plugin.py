"""pytest options for reports, known-failures manifests and baselines (entry point ``pytest11``).

``--report DIR`` writes results.json, report.md and report.html; ``--expect-failures FILE``
marks the listed results as expected failures (pytest's ``--strict`` makes their unexpected
passes fail the run); ``--baseline RESULTS`` fails the run on every regression since that run
(a pass that only warns now fails it with ``--strict-should``). Every session that runs the
suite ends with a closing summary (:mod:`terminal`). Under pytest-xdist the workers attach
each phase's verdict to its report and the controller, which receives every report, writes
the files and the summary. A session that does not run the suite is left as it is.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conformance import __version__, outcomes
from conformance import options as run_options
from conformance.outcomes import Verdict
from conformance.plugin import TARGET, ScenarioItem
from conformance.reporting import manifest as manifests
from conformance.reporting import results as model
from conformance.reporting import terminal
from conformance.reporting.collect import FUZZ, Collector, describe_item, phase_record, to_plain

LISTED = pytest.StashKey[str]()  # on an item the manifest lists: its xfail marker is ours, not the test's

# Sessions that ended before the suite could judge the target: a report would say nothing true.
NO_VERDICT = (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR)

# How pytest's own status line names a verdict it would otherwise count as a failure or a skip.
TEST_STATUS = {Verdict.HARNESS_ERROR.value: ("error", "E", "HARNESS ERROR"),
               Verdict.UNSUPPORTED.value: ("unsupported", "u", "UNSUPPORTED")}


def _value(config: pytest.Config, option: str):
    return run_options.value(config, option)


def pytest_configure(config: pytest.Config) -> None:
    worker = hasattr(config, "workerinput")
    try:
        manifest = _manifest(_value(config, "--expect-failures"))
        baseline = _value(config, "--baseline")
        baseline = model.load(baseline) if baseline and not worker else None
    except (manifests.ManifestError, model.ResultsFileError) as exc:
        raise pytest.UsageError(str(exc)) from exc
    directory = _value(config, "--report")
    if directory and not worker and (problem := model.unwritable(directory)):
        raise pytest.UsageError(f"--report {directory}: {problem}")
    config.pluginmanager.register(ReportingSession(config, manifest, baseline), "stripe-conformance-reporting")
    config.pluginmanager.register(JunitErrors(config), "stripe-conformance-junit-errors")


def _manifest(path: str | None) -> manifests.Manifest | None:
    if not path:
        return None
    manifest = manifests.load(path)
    # Keys naming other tests ("test_x.py::...") are checked once the tests are collected.
    manifest.check_keys(key for key in manifest.reasons if "::" in key)
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


def fuzz_seed(config: pytest.Config) -> int | None:
    """The fuzz checks' seed as the fuzz plugin resolved it (given, fixed under CI, or drawn)."""
    options = sys.modules.get("conformance.fuzz.options")
    if options is None:
        return None
    key = getattr(options, "STASH_KEY", None)
    if key is not None and key in config.stash:
        return config.stash[key].seed
    given = _value(config, "--seed")
    return given if given is not None else options.active().seed


def is_suite_item(item: pytest.Item) -> bool:
    return isinstance(item, ScenarioItem) or item.get_closest_marker(FUZZ) is not None \
        or outcomes.verdict_of(item) is not None


class ReportingSession:
    def __init__(self, config: pytest.Config, manifest: manifests.Manifest | None, baseline: model.Results | None):
        self.config = config
        self.manifest = manifest
        self.baseline = baseline
        self.directory = _value(config, "--report")
        self.asked = bool(self.directory or manifest or baseline)  # reports of every test, not only the suite's
        self.worker = hasattr(config, "workerinput")
        self.collector = Collector()
        self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.start = time.monotonic()
        self.results: model.Results | None = None
        self.written: list[Path] = []
        self.seed_warning: str | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if self.manifest is None:
            return
        described = [(item, describe_item(item)) for item in items]
        try:
            self.manifest.check_keys(info["id"] for _, info in described)
        except manifests.ManifestError as exc:
            raise pytest.UsageError(str(exc)) from exc
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
        if self.asked or is_suite_item(item) or getattr(self.config.option, "xmlpath", None):
            declared = None if LISTED in item.stash else getattr(report, "wasxfail", None)
            phase = phase_record(item, call, report, declared)
            if phase and declared is not None:
                phase["declared"] = declared or "expected to fail (no reason given)"
            if phase and phase.get("findings") and report.failed and self.manifest is not None:
                self._expect_findings(report, phase["findings"], describe_item(item)["features"])
            record = {"phase": to_plain(phase)}
            if call.when == "setup":
                record["item"] = describe_item(item)
                if item.get_closest_marker(FUZZ) is not None:  # the seed this process fuzzed with (an xdist worker's)
                    record["seed"] = fuzz_seed(self.config)
            report.conformance = record
        return report

    def _expect_findings(self, report: pytest.TestReport, findings: list[str], features: list[str]) -> None:
        """A fuzz check whose every finding the manifest lists is an expected failure, as a listed scenario is.

        Its findings are known only once it ran, so it is judged here rather than marked beforehand.
        """
        reasons = [self.manifest.reason_for(finding, features) for finding in findings]
        if all(reason is not None for reason in reasons):
            report.outcome = "skipped"
            report.wasxfail = f"known failure: {reasons[0]}"

    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config):
        phase = (getattr(report, "conformance", None) or {}).get("phase") or {}
        if (report.failed or report.skipped) and not hasattr(report, "wasxfail"):
            return TEST_STATUS.get(phase.get("verdict"))
        return None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = getattr(report, "conformance", None)
        if record and record.get("item", {}).get("kind") == "scenario":
            _junit_classname(self.config, report, record["item"]["group"])
        if not self.worker:
            self.collector.add(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.worker or session.exitstatus in NO_VERDICT or not (self.asked or self.collector.items):
            return
        target = session.config.stash.get(TARGET, None)
        self.results = model.Results(
            target=(target and target.base_url) or "the bundled reference server",
            target_name=_value(self.config, "--target-name"), suite_version=__version__,
            started_at=self.started_at, duration=time.monotonic() - self.start, items=self.collector.results(),
            stripe_version=target and target.stripe_version, traffic=target.traffic() if target else {})
        seeds = self.collector.seeds
        if seeds:
            self.results.seed = min(seeds) if len(seeds) > 1 else next(iter(seeds))
            if len(seeds) > 1:
                self.seed_warning = f"the fuzz checks ran with different seeds: {', '.join(map(str, sorted(seeds)))}"
        gate = self.results.judge(self.manifest, self.baseline, strict(self.config),
                                  bool(_value(self.config, "--strict-should")))
        if self.directory:
            self.written = model.write_all(self.results, self.directory)
        if not gate.passed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.results is None:
            return
        terminalreporter.section("stripe-conformance")
        for text, markup in terminal.lines(self.results, self.written, self.results.seed):
            terminalreporter.line(text, **markup)
        if self.seed_warning:
            terminalreporter.line(self.seed_warning, yellow=True)
        if _all_reported(terminalreporter.stats):  # pytest's short summary would name each of them again
            terminalreporter.reportchars = "".join(c for c in terminalreporter.reportchars
                                                   if c not in terminal.REPLACED_REPORT_CHARS)


def _all_reported(stats: dict) -> bool:
    """Whether every test pytest's short summary would list is one of the results summarised."""
    return all(getattr(report, "conformance", None) for category in ("failed", "error", "skipped", "xfailed",
               "xpassed", "unsupported") for report in stats.get(category, ()))


class JunitErrors:
    """A harness error is no verdict on the target: JUnit counts it as an error, not a failure."""

    def __init__(self, config: pytest.Config):
        self.config = config

    @pytest.hookimpl(trylast=True)  # after the JUnit writer has recorded the report as a failure
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        phase = (getattr(report, "conformance", None) or {}).get("phase") or {}
        if phase.get("verdict") != Verdict.HARNESS_ERROR.value or report.when != "call" or not report.failed:
            return
        xml = _junit_writer(self.config)
        if xml is None:
            return
        for node in xml.node_reporter(report).nodes:
            if node.tag == "failure":
                node.tag = "error"
                xml.stats["failure"] -= 1
                xml.stats["error"] += 1


def _junit_writer(config: pytest.Config):
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pytest moved it: the defaults stand
        return None
    return config.stash.get(xml_key, None)


def _junit_classname(config: pytest.Config, report: pytest.TestReport, group: str) -> None:
    """Name a scenario's JUnit class after its endpoint group (``payment_intents.capture``).

    pytest would name it after the file that collects every scenario; the JUnit writer keeps
    attributes set before it records the test case, which is how ``record_xml_attribute`` works.
    """
    xml = _junit_writer(config)
    if xml is not None and report.when == "setup":
        xml.node_reporter(report).add_attribute("classname", group.replace("/", "."))
