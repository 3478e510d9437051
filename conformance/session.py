"""The target of one pytest session, and what the session has learnt about it.

Shared by the scenario items and the fuzz items: the endpoints the target lacks (reported once),
the endpoints that timed out (not waited on again), and the connection failures in a row (a
target that died mid-run stops the run with exit code 2, naming what was running).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import pytest

from conformance import cleanup as cleaning, launcher, options, outcomes, real_stripe, recording
from conformance.rundir import RunDir
from conformance.target import Client, ConnectionFailed, Keys, TargetTimeout
from conformance.transport import Pacer, Transport

FAILURES_BEFORE_STOP = 3  # connection failures in a row, over consecutive items, that mean the target is gone


@dataclass
class TargetSession:
    """The session's target: a given base URL, or the bundled server started on first use."""

    base_url: str | None
    keys: Keys | None
    timeout: float
    server: launcher.BundledServer | None = None
    unsupported: dict[str, str] = field(default_factory=dict)  # endpoint -> the item that found it missing
    timed_out: dict[str, str] = field(default_factory=dict)  # endpoint -> the item in which it timed out
    failures_in_a_row: int = 0
    stripe_version: str | None = None
    max_rps: float | None = None
    poll_timeout: float | None = None
    cleanup: bool = True  # cancel what the run left open (never on the bundled server the session starts)
    record: str | None = None  # --record FILE.har
    lacks: tuple[str, ...] = ()  # account capabilities the target is known to lack (a fresh Stripe test account)
    rundir: RunDir | None = None  # shared by the run's processes; set by the plugin
    tracker: cleaning.Tracker = field(default_factory=cleaning.Tracker)
    recorder: recording.Recorder | None = None
    listeners: list[Any] = field(default_factory=list)  # more transport observers (the fuzz tests' ids seen)
    _client: Client | None = None

    @classmethod
    def from_config(cls, config: Any) -> "TargetSession":
        """The session's target, as the options and, against api.stripe.com, its settings make it.

        A live key is refused here, before anything is sent (a usage error).
        """
        base_url = options.value(config, "--base-url") or None
        secret = options.value(config, "--api-key")
        publishable, other = options.value(config, "--publishable-key"), options.value(config, "--other-api-key")
        refused = real_stripe.refusal(secret, publishable, other)
        if refused:
            raise ValueError(refused)
        settings = real_stripe.settings_for(base_url)
        keys = None
        if secret or base_url:
            secret = secret or launcher.DEFAULT_SECRET_KEY
            keys = Keys.derive(secret, publishable, other) if settings.derive_publishable or publishable \
                else Keys(secret, "", other)
        given_rps, given_poll = options.value(config, "--max-rps"), options.value(config, "--poll-timeout")
        record = options.value(config, "--record")
        return cls(base_url, keys, float(options.value(config, "--target-timeout")),
                   stripe_version=options.value(config, "--stripe-version") or None,
                   max_rps=given_rps if given_rps is not None else settings.max_rps,
                   poll_timeout=given_poll if given_poll is not None else settings.poll_timeout,
                   cleanup=not options.value(config, "--no-cleanup"), record=record,
                   recorder=recording.Recorder() if record else None, lacks=settings.lacks)

    def client(self) -> Client:
        if self._client is None:
            if self.base_url is None:
                self.server = launcher.BundledServer().start()
                self.base_url = self.server.base_url
                self.keys = Keys.derive(launcher.DEFAULT_SECRET_KEY, None, launcher.DEFAULT_OTHER_SECRET_KEY)
                self.cleanup = False
            self._client = Client(self.base_url, self.keys, self.timeout, self._transport(), self.poll_timeout)
        return self._client

    def _transport(self) -> Transport:
        search_rps = real_stripe.settings_for(self.base_url).search_rps
        transport = Transport(self.stripe_version, Pacer(self.rundir, "pace", self.max_rps),
                              Pacer(self.rundir, "pace-search", search_rps))
        transport.observers.append(self.tracker)
        transport.observers.extend(self.listeners)
        if self.recorder is not None:
            self.recorder.redact = recording.Redactor(
                {"secret": self.keys.secret, "publishable": self.keys.publishable, "other": self.keys.other_secret})
            transport.observers.append(self.recorder)
        return transport

    def finish(self, process: str) -> None:
        """At the end of this process's part of the run: clean up, then leave counts and recording for the controller."""
        if self._client is None or self.rundir is None:
            return
        counts = {}
        if self.cleanup:
            counts = cleaning.cancel_left_open(self.tracker, self._client.session, self.base_url, self.timeout)
        self.rundir.write_part("counts", process, {**self._client.session.counts, **counts})  # the cleanup's included
        if self.recorder is not None:
            self.rundir.write_part("har", process, self.recorder.part())

    def own_accounts(self, worker: str) -> None:
        """Under pytest-xdist, on a reference server's default keys: this worker's own two accounts.

        Every key is an account there, so each worker's objects are its own: one worker never
        changes an object another saw (the fuzz checks judge a call by the status they last saw).
        Keys the run was given are kept: they name the accounts there are.
        """
        if self.keys is None or self.keys != Keys.derive(launcher.DEFAULT_SECRET_KEY, None,
                                                         launcher.DEFAULT_OTHER_SECRET_KEY):
            return
        self.keys = Keys.derive(f"{launcher.DEFAULT_SECRET_KEY}_{worker}", None,
                                f"{launcher.DEFAULT_OTHER_SECRET_KEY}_{worker}")

    def version_headers(self) -> dict[str, str]:
        return {"Stripe-Version": self.stripe_version} if self.stripe_version else {}

    def traffic(self) -> dict[str, int]:
        """Every process's counts (requests, 429s, retries, cleanup), once their parts are written."""
        return self.rundir.counts() if self.rundir is not None else {}

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
