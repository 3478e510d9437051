"""The programs a profile's ``start.command`` names, found or installed, or why they are not at hand.

Placeholders: ``{port}`` and ``{spare_port}`` (free ports), ``{python}`` (this interpreter),
``{stripe-mock}`` (:func:`binaries.find_stripe_mock`) and ``{npm:PACKAGE@VERSION}`` (the package's
directory, installed with npm into a cache on first use).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from conformance.peers import binaries

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
NPM_HINT = "npm not found: install Node.js and npm (Debian: apt-get install nodejs npm)"


class Unavailable(RuntimeError):
    """The target cannot be started here; the message says how to get what is missing (one line)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_requirements(start: dict[str, Any]) -> None:
    distribution = start.get("requires", {}).get("python")
    if distribution:
        try:
            metadata.version(distribution)
        except metadata.PackageNotFoundError:
            raise Unavailable(f"{distribution} is not installed: pip install -e '.[peers]'") from None


def resolver(stripe_mock: str | None = None) -> "Resolver":
    return Resolver(stripe_mock)


class Resolver:
    """Fills in one start command's placeholders; the same ports for the command and its environment."""

    def __init__(self, stripe_mock: str | None = None):
        self.stripe_mock = stripe_mock
        self.values: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        return PLACEHOLDER.sub(lambda match: self.value(match.group(1)), text)

    def value(self, name: str) -> str:
        if name not in self.values:
            self.values[name] = self._find(name)
        return self.values[name]

    @property
    def port(self) -> int:
        return int(self.value("port"))

    def _find(self, name: str) -> str:
        if name in ("port", "spare_port"):
            return str(free_port())
        if name == "python":
            return sys.executable
        if name == "stripe-mock":
            found = binaries.find_stripe_mock(self.stripe_mock)
            if found is None:
                raise Unavailable(binaries.STRIPE_MOCK_HINT)
            return found
        if name.startswith("npm:"):
            return str(npm_package(name[4:]))
        raise Unavailable(f"unknown placeholder {{{name}}} in the profile's start command")


def npm_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "stripe-conformance" / "npm"


def npm_package(spec: str) -> Path:
    """``PACKAGE@VERSION`` installed into its own cache directory (once); its directory."""
    package = spec.rsplit("@", 1)[0]
    prefix = npm_cache() / spec
    installed = prefix / "node_modules" / package
    if (installed / "package.json").is_file():
        return installed
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable(NPM_HINT)
    prefix.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", spec],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or not (installed / "package.json").is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise Unavailable(f"npm install {spec} failed: {last}")
    return installed
