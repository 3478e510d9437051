"""A fresh virtualenv with ``pip install .`` (no test extra), beside pytest-playwright (and so
pytest-base-url) and pytest-xdist: the README's first command from the clone's root, a user's
unrelated tests, and ``pytest --pyargs conformance.suite --base-url URL``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.launcher import DEFAULT_OTHER_SECRET_KEY, DEFAULT_SECRET_KEY

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parent.parent
NEIGHBOURS = ("pytest-playwright", "pytest-xdist")  # pytest-playwright brings pytest-base-url's users' setup


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=120)
    pip = [str(root / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    installed = subprocess.run([*pip, str(CHECKOUT), *NEIGHBOURS], capture_output=True, text=True, timeout=900)
    if installed.returncode != 0:
        reason = f"pip could not install the project and {', '.join(NEIGHBOURS)} here: {installed.stderr[-300:]}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    return root


def run(venv: Path, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "PYTEST_"))}
    return subprocess.run([str(venv / "bin" / args[0]), *args[1:]], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_the_test_extra_is_not_installed(venv):
    assert run(venv, "python", "-c", "import stripe", cwd=CHECKOUT).returncode != 0


def test_the_first_readme_command_passes_from_the_clone_root(venv):
    result = run(venv, "stripe-conformance", "run", "-q", "--no-fuzz", cwd=CHECKOUT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]


def test_a_users_unrelated_tests_pass_beside_pytest_base_url_and_playwright(venv, tmp_path):
    (tmp_path / "test_mine.py").write_text("def test_mine(base_url):\n    assert base_url == 'http://app.example'\n")
    result = run(venv, "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--base-url", "http://app.example",
                 str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


def test_the_suite_runs_by_pyargs_with_pytest_base_urls_option_under_xdist(venv, tmp_path, reference_server):
    result = run(venv, "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs", "conformance.suite",
                 "--base-url", reference_server.base_url, "--api-key", DEFAULT_SECRET_KEY, "--other-api-key",
                 DEFAULT_OTHER_SECRET_KEY, "--fuzz-examples", "2", "-n", "2", "-k", "capture", "-rA", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    summary = result.stdout.splitlines()[-1]
    assert " passed" in summary and "failed" not in summary
    # the capture operation's fuzz checks ran beside the scenarios
    assert "PASSED test_fuzz.py::test_operation[POST /v1/payment_intents/{intent}/capture]" in result.stdout
