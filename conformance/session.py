"""The target of one pytest session, and what the session has learnt about it.

Shared by the scenario items and the fuzz items: the endpoints the target lacks (reported once),
the endpoints that timed out (not waited on again), and the connection failures in a row (a
target that died mid-run stops the run with exit code 2, naming what was running).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import pytest

from conformance import launcher, options, outcomes
from conformance.target import Client, ConnectionFailed, Keys, TargetTimeout

FAILURES_BEFORE_STOP = 3  # connection failures in a row, over consecutive items, that mean the target is gone


@dataclass
class TargetSession:
    """The session's target: a given base URL, or the bundled server started on first use."""

    base_url: str | None
    keys: Keys | None
    timeout: float
    max_poll: float | None = None
    server: launcher.BundledServer | None = None
    unsupported: dict[str, str] = field(default_factory=dict)  # endpoint -> the item that found it missing
    timed_out: dict[str, str] = field(default_factory=dict)  # endpoint -> the item in which it timed out
    failures_in_a_row: int = 0
    _client: Client | None = None

    @classmethod
    def from_config(cls, config: Any) -> "TargetSession":
        base_url = options.value(config, "--base-url") or None
        secret = options.value(config, "--api-key")
        keys = None
        if secret or base_url:
            keys = Keys.derive(secret or launcher.DEFAULT_SECRET_KEY, options.value(config, "--publishable-key"),
                               options.value(config, "--other-api-key"))
        max_poll = options.value(config, "--max-poll")
        return cls(base_url, keys, float(options.value(config, "--target-timeout")),
                   None if max_poll is None else float(max_poll))

    def client(self) -> Client:
        if self._client is None:
            if self.base_url is None:
                self.server = launcher.BundledServer().start()
                self.base_url = self.server.base_url
                self.keys = Keys.derive(launcher.DEFAULT_SECRET_KEY, None, launcher.DEFAULT_OTHER_SECRET_KEY)
            self._client = Client(self.base_url, self.keys, self.timeout)
            self._client.max_poll = self.max_poll
        return self._client

    def before(self, item: str, endpoints: Iterable[str]) -> None:
        """Refuse at once what an earlier item learnt: a missing endpoint, one that timed out."""
        for endpoint in endpoints:
            if endpoint in self.unsupported:
                raise outcomes.UnsupportedEndpoint(endpoint, f"found by {self.unsupported[endpoint]}")
            if endpoint in self.timed_out:
                raise TargetTimeout(f"{endpoint} gave no answer within {self.timeout:g} s in "
                                    f"{self.timed_out[endpoint]}; it is not waited on again in this run")

    def answered(self) -> None:
        self.failures_in_a_row = 0

    def harness_error(self, error: BaseException, item: str) -> None:
        """Learn from a failed exchange; stop the run (exit 2) when the target is gone."""
        if isinstance(error, TargetTimeout) and error.endpoint:
            self.timed_out.setdefault(error.endpoint, item)
        if not isinstance(error, ConnectionFailed):
            return
        self.failures_in_a_row += 1
        if self.failures_in_a_row >= FAILURES_BEFORE_STOP:
            pytest.exit(f"stripe-conformance: the target {self.base_url} stopped answering while {item} ran "
                        f"({FAILURES_BEFORE_STOP} tests in a row could not reach it: {error})", returncode=2)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self.server is not None:
            self.server.stop()
