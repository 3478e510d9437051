"""Start a profile's target, probe whether it keeps state, stop it: what ``run --target`` needs.

The target is a program run in its own process, reached over HTTP like any target; how to start
it, its keys and its known failures are its profile (``targets/NAME/``, :mod:`conformance.profiles`).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
from pathlib import Path

import requests

from conformance.launcher import BundledServer, LaunchError, terminate
from conformance.peers import programs
from conformance.profiles import Profile

STATE_NOT_KEPT = "state not kept: the object read back is not the one written"


class PeerError(LaunchError):
    pass


class ProfileProcess(BundledServer):
    """``with ProfileProcess(profile) as running: running.base_url``: stopped like the bundled server."""

    def __init__(self, profile: Profile, stripe_mock: str | None = None):
        super().__init__(startup_timeout=float(profile.start.get("startup_timeout", 30.0)))
        self.profile = profile
        self.stripe_mock = stripe_mock

    def command(self) -> tuple[list[str], dict[str, str]]:
        """The command and environment, placeholders filled in; :class:`programs.Unavailable` if not at hand."""
        start = self.profile.start
        programs.check_requirements(start)
        fill = programs.resolver(self.stripe_mock)
        command = [fill(part) for part in start["command"]]
        env = {**os.environ, **{name: fill(value) for name, value in start.get("env", {}).items()}}
        self.base_url = f"http://127.0.0.1:{fill.port}"
        return command, env

    def start(self) -> "ProfileProcess":
        command, env = self.command()
        with tempfile.NamedTemporaryFile(prefix=f"{self.profile.name}-", suffix=".log", delete=False) as log:
            self.log_path = log.name
            try:  # stdin is a pipe, as for the bundled server, whose stop() closes it
                self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.PIPE,
                                                env=env)
            except OSError as exc:
                raise PeerError(f"{self.profile.label} could not be started ({command[0]}: {exc.strerror})") from exc
        try:
            self._wait_until_ready()
        except BaseException:  # as for the bundled server: nothing is left running
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process, grace_s=5)
            self.process.stdin.close()
            self.process = None

    def _startup_error(self, what: str) -> Exception:
        return PeerError(f"{self.profile.label} {what}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])


def unavailable(profile: Profile, stripe_mock: str | None = None) -> str | None:
    """Why ``profile``'s target cannot be run here (one line saying how to get it), or None."""
    if profile.start is None:
        return None if profile.key("secret") else f"{profile.label} needs its keys: {profile.data['keys']['secret']}"
    try:
        ProfileProcess(profile, stripe_mock).command()
    except programs.Unavailable as exc:
        return str(exc)
    return None


def state_kept(base_url: str, secret: str, timeout: float = 5.0) -> bool | None:
    """Whether an object written is the one read back (a customer's description); None: no answer to judge.

    A stateless mock answers any id with a canned object, so every scenario that reads back what it
    wrote fails there for that one reason: the run says so once, up front.
    """
    marker = f"conformance state probe {secrets.token_hex(4)}"
    auth = {"Authorization": f"Bearer {secret}"}
    try:
        created = requests.post(f"{base_url}/v1/customers", data={"description": marker}, headers=auth, timeout=timeout)
        ident = created.json().get("id") if created.ok else None
        if not isinstance(ident, str):
            return None
        read = requests.get(f"{base_url}/v1/customers/{ident}", headers=auth, timeout=timeout)
        return read.ok and read.json().get("description") == marker
    except (requests.RequestException, ValueError, AttributeError):
        return None
