"""The suite keeps to itself: nothing of the directory a run starts in reaches it, and the plugin
changes nothing in a pytest session that does not collect the suite (pytest-base-url installed).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HOSTILE_CONFTEST = 'raise RuntimeError("the conftest of the directory the run started in was imported")\n'
UNRELATED_TESTS = '''
def test_uses_pytest_base_url(base_url):
    assert base_url == "http://app.example"

def test_plain():
    assert 1 + 1 == 2
'''


@pytest.fixture
def hostile_directory(tmp_path: Path) -> Path:
    """A user's repository root whose pytest configuration would break the suite if it were read."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(HOSTILE_CONFTEST)
    (tmp_path / "conftest.py").write_text(HOSTILE_CONFTEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --no-such-option -x\ntestpaths = tests\n")
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "--no-such-option-either"\n')
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\naddopts = --nor-this-one\n")
    return tmp_path


@pytest.mark.parametrize("command", [["-m", "conformance.cli"], ["-c", "from conformance.cli import main; main()"]],
                         ids=["python-m", "entry-point"])
@pytest.mark.slow
def test_run_ignores_the_conftest_and_ini_files_of_the_directory_it_starts_in(hostile_directory, command):
    result = subprocess.run([sys.executable, *command, "run", "-q", "--no-fuzz", "-k", "retrieve"],
                            cwd=hostile_directory, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "was imported" not in result.stdout + result.stderr
    assert " passed" in result.stdout.splitlines()[-1]


@pytest.mark.slow
def test_an_unrelated_session_passes_and_registers_none_of_the_suite_s_hooks(tmp_path):
    (tmp_path / "test_mine.py").write_text(UNRELATED_TESTS)
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--trace-config",
                             "--base-url", "http://app.example", str(tmp_path)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 passed" in result.stdout
    registered = [line for line in result.stdout.splitlines() if "PLUGIN registered" in line]
    assert any("conformance.plugin" in line for line in registered)  # its options, and only them
    assert not [line for line in registered if "conformance.reporting" in line or "conformance.fuzz" in line
                or "SuitePlugin" in line]


SESSION_PROBE = '''
import sys
import pytest
from conformance import cli

class Probe:
    def pytest_collection_finish(self, session):
        rewriting = [hook for hook in sys.meta_path if type(hook).__name__ == "AssertionRewritingHook"]
        print("assertmode:", session.config.option.assertmode, "rewriting hooks:", len(rewriting))

args, _ = cli.build_parser().parse_known_args(["run"])
sys.exit(pytest.main(cli.pytest_arguments(args, None, ["--collect-only", "-q", "--no-fuzz"]), plugins=[Probe()]))
'''


@pytest.mark.slow
def test_the_suite_s_session_rewrites_no_asserts(tmp_path):
    # Rewriting every module of the distribution cost a second a run, uncached without bytecode files.
    result = subprocess.run([sys.executable, "-c", SESSION_PROBE], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "assertmode: plain rewriting hooks: 0" in result.stdout
