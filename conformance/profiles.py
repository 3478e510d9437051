"""Target profiles: ``targets/NAME/profile.yaml``, one per target the suite is run against.

A profile says how to reach a target (``url``) or start it (``start.command``, with a port
placeholder), its keys, its API version, what it lacks, the fuzz seed its known-failures manifest
(``known-failures.yaml`` beside it) was recorded with, and its polling limits. Its latest passing
run is ``results.json`` beside it. Profiles are validated against ``schemas/profile.schema.json``
on load; a bad one is refused in one line (:class:`ProfileError`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PROFILE = "profile.yaml"
MANIFEST = "known-failures.yaml"
RESULTS = "results.json"
SCHEMA_FILE = "profile.schema.json"
ENV_REFERENCE = re.compile(r"^\$\{([A-Z_][A-Z0-9_]*)\}$")


class ProfileError(ValueError):
    """A profile that cannot be used: missing, unreadable or not of the schema (one line)."""


@dataclass(frozen=True)
class Profile:
    name: str
    directory: Path
    data: dict[str, Any]

    @property
    def title(self) -> str:
        return self.data["title"]

    @property
    def version(self) -> str | None:
        if "version" in self.data:
            return self.data["version"]
        if self.name == "reference":
            from conformance import __version__

            return __version__
        return None

    @property
    def label(self) -> str:
        """How reports name the target: its title and version."""
        return f"{self.title} {self.version}" if self.version else self.title

    @property
    def url(self) -> str | None:
        return self.data.get("url")

    @property
    def start(self) -> dict[str, Any] | None:
        return self.data.get("start")

    @property
    def manifest(self) -> Path:
        return self.directory / MANIFEST

    @property
    def results(self) -> Path:
        return self.directory / RESULTS

    def key(self, role: str) -> str | None:
        """A key of the profile; ``${VAR}`` reads it from the environment (None when unset)."""
        text = self.data["keys"].get(role)
        match = ENV_REFERENCE.match(text or "")
        return os.environ.get(match.group(1)) or None if match else text

    @property
    def lacks(self) -> list[str]:
        return list(self.data.get("lacks", []))

    @property
    def skip_features(self) -> list[str]:
        return list(self.data.get("skip_features", []))

    @property
    def seed(self) -> int | None:
        return self.data.get("fuzz", {}).get("seed")

    @property
    def fuzz_examples(self) -> int | None:
        return self.data.get("fuzz", {}).get("examples")

    def limit(self, name: str) -> float | None:
        return self.data.get("limits", {}).get(name)

    def run_options(self) -> dict[str, Any]:
        """The ``stripe-conformance run`` options the profile sets, by flag (the user's own win)."""
        values = {
            "--api-key": self.key("secret"), "--other-api-key": self.key("other"),
            "--publishable-key": self.key("publishable"), "--target-name": self.label,
            "--lacks": ",".join(self.lacks) or None, "--skip-features": ",".join(self.skip_features) or None,
            "--seed": self.seed, "--fuzz-examples": self.fuzz_examples,
            "--poll-timeout": self.limit("poll_timeout"), "--target-timeout": self.limit("timeout"),
            "--stripe-version": self.data.get("api_version"), "--max-rps": self.limit("max_rps"),
            "--expect-failures": shown(self.manifest) if self.manifest.is_file() else None,
        }
        return {flag: value for flag, value in values.items() if value is not None}


def shown(path: Path) -> str:
    """A path relative to the current directory when inside it (reports show it), else absolute."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def targets_dir() -> Path:
    """``targets/`` of the checkout, or of the installed package."""
    from conformance.resources import data_root

    return Path(str(data_root().joinpath("targets")))


def names(directory: Path | None = None) -> list[str]:
    root = directory or targets_dir()
    return sorted(path.parent.name for path in root.glob(f"*/{PROFILE}"))


def load(name: str, directory: Path | None = None, check: bool = True) -> Profile:
    """The profile ``name`` (a name under targets/, or a path to a profile file), validated unless
    ``check`` is False (a committed profile read at every start, which the tests validate)."""
    path = Path(name)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        path = (directory or targets_dir()) / name / PROFILE
        if not path.is_file():
            known = ", ".join(names(directory)) or "none"
            raise ProfileError(f"no target profile {name!r} (known: {known})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: cannot read the profile: {str(exc).splitlines()[0]}") from exc
    problem = first_problem(data) if check else None
    if problem:
        raise ProfileError(f"{path}: {problem}")
    if data["name"] != path.parent.name and path.name == PROFILE:
        raise ProfileError(f"{path}: name {data['name']!r} is not its directory's name {path.parent.name!r}")
    return Profile(data["name"], path.parent, data)


@lru_cache(maxsize=None)
def schema() -> dict[str, Any]:
    from conformance.resources import schemas_dir

    return json.loads(schemas_dir().joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


def first_problem(data: Any) -> str | None:
    """Where ``data`` first departs from the profile schema, in one line, or None."""
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(schema()).iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = errors[0]
    where = "/".join(map(str, error.absolute_path)) or "(top level)"
    message = error.message if error.validator != "oneOf" else "needs either start (a command) or url"
    return f"{where}: {message}"
