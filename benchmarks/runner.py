"""The benchmark plan: fill every server to each level, then run each workload on each,
alternating the servers (A B, then B A) so that drift of a shared machine cancels."""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import requests

from benchmarks import wrk
from benchmarks.servers import Server
from benchmarks.wrk import Request, Result

CREATE = Request("POST", "/v1/payment_intents",
                 "amount=2000&currency=usd&metadata[order_id]=6735&payment_method_types[]=card")
CONFIRMABLE = Request("POST", "/v1/payment_intents",
                      "amount=2000&currency=usd&payment_method=pm_card_visa&capture_method=manual")
RETRIEVE = Request("GET", "/v1/payment_intents/{id}")
CONFIRM = Request("POST", "/v1/payment_intents/{id}/confirm", "")
CAPTURE = Request("POST", "/v1/payment_intents/{id}/capture", "")
LIST_10 = Request("GET", "/v1/payment_intents?limit=10")
LIST_100 = Request("GET", "/v1/payment_intents?limit=100")
SEARCH = Request("GET", "/v1/payment_intents/search?query=amount%3E1000")
# A query nothing stored matches (every intent here is in usd): walking the store would visit
# every object, so this shows what the search index is for.
SEARCH_RARE = Request("GET", "/v1/payment_intents/search?query=currency%3A%22eur%22")

WORKLOADS = ("create", "retrieve", "confirm", "capture", "list-10", "list-100", "search", "search-rare")
RETRIEVE_SAMPLE = 10_000  # ids retrieved in turn, drawn from everything stored
MIN_POOL, MAX_POOL = 200, 50_000  # intents made for a confirm + capture round
FILL_CHUNK_S = (2.0, 60.0)  # each wrk run of a fill: long enough to be efficient, short enough to stop on time


@dataclass
class Settings:
    levels: list[int]
    localstripe_max_level: int
    duration_s: float
    rounds: int
    connections: int
    fill_budget_s: float
    server_cpu: int | None = 0
    client_cpu: int | None = 1


@dataclass
class Target:
    """A running server and what the benchmark has stored in it."""

    server: Server
    workdir: Path
    stored: int = 0  # payment intents created (answered 200); in-flight ones cut off by a stop are not counted
    short: bool = False  # a fill ran out of time: it is not filled further

    @property
    def name(self) -> str:
        return self.server.name

    @property
    def stateless(self) -> bool:
        return self.server.stateless

    def file(self, what: str) -> Path:
        return self.workdir / f"{self.name}-{what}.txt"


@dataclass
class Run:
    workload: str
    level: int
    server: str
    stored: int | None  # intents stored when the run started (None: a stateless server stores none)
    result: Result
    cpu_s: float = 0.0  # CPU time the server used during the run

    @property
    def per_cpu_second(self) -> float:
        return self.result.answers / self.cpu_s if self.cpu_s else 0.0


@dataclass
class Fill:
    server: str
    level: int
    reached: int
    seconds: float
    last_rate: float


@dataclass
class Memory:
    server: str
    stored: int
    rss_bytes: int


@dataclass
class Outcome:
    runs: list[Run] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    memory: list[Memory] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Benchmark:
    def __init__(self, settings: Settings, targets: list[Target], log: Callable[[str], None] = print):
        self.settings = settings
        self.targets = targets
        self.log = log
        self.outcome = Outcome()

    def run(self) -> Outcome:
        for target in self.targets:
            self._record_memory(target)
        for level in self.settings.levels:
            active = [t for t in self.targets if t.name != "localstripe" or level <= self.settings.localstripe_max_level]
            for target in active:
                self.fill(target, level)
                self._record_memory(target)
            self._alternate(active, level, "create", self.create)
            self._alternate(active, level, "retrieve", self.retrieve)
            self._confirm_and_capture(active, level)
            self._alternate(active, level, "list-10", self.list_10)
            self._alternate(active, level, "list-100", self.list_100)
            answering = [t for t in active if self._answers(t, SEARCH, level)]
            self._alternate(answering, level, "search", self.search)
            self._alternate(answering, level, "search-rare", self.search_rare)
        return self.outcome

    # ------------------------------------------------------------ the workloads

    def create(self, target: Target) -> Result:
        return self._wrk(target, CREATE, capture_file=target.file("ids"))

    def retrieve(self, target: Target) -> Result:
        sample = target.file("retrieve-sample")
        sample.write_text("".join(f"{ident}\n" for ident in _sample_lines(target.file("ids"), RETRIEVE_SAMPLE)))
        return self._wrk(target, RETRIEVE, ids_file=sample)

    def list_10(self, target: Target) -> Result:
        return self._wrk(target, LIST_10)

    def list_100(self, target: Target) -> Result:
        return self._wrk(target, LIST_100)

    def search(self, target: Target) -> Result:
        return self._wrk(target, SEARCH)

    def search_rare(self, target: Target) -> Result:
        return self._wrk(target, SEARCH_RARE)

    # ------------------------------------------------------------ measuring

    def _alternate(self, targets: list[Target], level: int, workload: str, measure: Callable[[Target], Result]) -> None:
        for round_index in range(self.settings.rounds):
            for target in targets if round_index % 2 == 0 else targets[::-1]:
                self._measure(target, level, workload, measure)

    def _measure(self, target: Target, level: int, workload: str, measure: Callable[[Target], Result]) -> Result:
        stored, cpu = None if target.stateless else target.stored, target.server.cpu_seconds()
        result = measure(target)
        run = Run(workload, level, target.name, stored, result, target.server.cpu_seconds() - cpu)
        self.outcome.runs.append(run)
        shown = "-" if stored is None else f"{stored:,}"
        self.log(f"  {workload:<11} {target.name:<12} stored {shown:>9}  {result.rate:>9.1f}/s  "
                 f"p50 {result.latency_ms['p50']:7.2f} ms  p99 {result.latency_ms['p99']:8.2f} ms  "
                 f"{run.per_cpu_second:>8.0f}/CPU-s  busy: server {_share(run.cpu_s, result.elapsed_s)}, "
                 f"wrk {_share(result.client_cpu_s, result.elapsed_s)}"
                 + (f"  {result.failed} non-2xx {result.statuses}" if result.failed else ""))
        return result

    def _wrk(self, target: Target, request: Request, duration_s: float | None = None, **options) -> Result:
        result = wrk.run(target.server.base_url, request, key=target.server.key,
                         duration_s=duration_s or self.settings.duration_s, connections=self.settings.connections,
                         cpu=self.settings.client_cpu, **options)
        if (request.method, request.path) == (CREATE.method, CREATE.path):  # CREATE and CONFIRMABLE
            target.stored += result.succeeded
        return result

    def _confirm_and_capture(self, targets: list[Target], level: int) -> None:
        """Each round makes fresh confirmable intents, confirms them, then captures the confirmed ones."""
        for round_index in range(self.settings.rounds):
            order = targets if round_index % 2 == 0 else targets[::-1]
            for target in order:
                pool = target.file("pool")
                pool.write_text("")
                self._create_until(target, CONFIRMABLE, self._pool_size(target, level), self.settings.fill_budget_s,
                                   capture=pool)
            for target in order:
                confirmed = target.file("confirmed")
                confirmed.write_text("")
                if self._has_ids(target, "pool", level, "confirm"):
                    self._measure(target, level, "confirm", lambda t: self._wrk(
                        t, CONFIRM, ids_file=t.file("pool"), consume=True, capture_file=t.file("confirmed")))
            for target in order:
                if self._has_ids(target, "confirmed", level, "capture"):
                    self._measure(target, level, "capture", lambda t: self._wrk(
                        t, CAPTURE, ids_file=t.file("confirmed"), consume=True))

    def _has_ids(self, target: Target, what: str, level: int, workload: str) -> bool:
        """Whether the ids a consuming workload needs were made; when not, the run is skipped with a note."""
        if target.file(what).read_text().strip():
            return True
        self.outcome.notes.append(f"{workload}: {target.name} made no intents to {workload} in the fill budget "
                                  f"(at {level:,} stored): a round skipped")
        return False

    def _pool_size(self, target: Target, level: int) -> int:
        """As many intents as this server creates in one run's duration at this level."""
        rates = [r.result.rate for r in self.outcome.runs
                 if r.server == target.name and r.level == level and r.workload == "create"]
        wanted = int(statistics.mean(rates) * self.settings.duration_s) if rates else MIN_POOL
        return max(MIN_POOL, min(MAX_POOL, wanted))

    def _answers(self, target: Target, request: Request, level: int) -> bool:
        answer = requests.get(target.server.base_url + request.path, auth=(target.server.key, ""), timeout=60)
        if answer.status_code != 200:
            self.outcome.notes.append(f"search: {target.name} answered {answer.status_code} "
                                      f"(at {level:,} stored): not measured")
        return answer.status_code == 200

    # ------------------------------------------------------------ filling

    def fill(self, target: Target, level: int) -> None:
        """Create intents until ``level`` are stored, within the fill budget (a stateless server: none)."""
        if target.short or target.stateless or target.stored >= level:
            return
        started = time.monotonic()
        last_rate = self._create_until(target, CREATE, level - target.stored, self.settings.fill_budget_s,
                                       capture=target.file("ids"))
        seconds = time.monotonic() - started
        self.outcome.fills.append(Fill(target.name, level, target.stored, seconds, last_rate))
        self.log(f"  fill      {target.name:<12} to {level:,}: {target.stored:,} in {seconds:.0f} s "
                 f"(last {last_rate:.0f}/s)")
        if target.stored < level:
            target.short = True
            self.outcome.notes.append(
                f"{target.name} reached {target.stored:,} of {level:,} intents in the fill budget of "
                f"{self.settings.fill_budget_s:g} s (last {last_rate:.0f} creates/s); measured there, not filled further")

    def _create_until(self, target: Target, request: Request, count: int, budget_s: float, capture: Path) -> float:
        """Create ``count`` intents (or as many as ``budget_s`` allows) in short wrk runs; the last rate."""
        deadline = time.monotonic() + budget_s
        made, rate, shortest = 0, 0.0, FILL_CHUNK_S[0]
        while made < count and time.monotonic() < deadline:
            estimate = (count - made) / rate * 1.1 + 1 if rate else shortest
            chunk = min(max(estimate, shortest), FILL_CHUNK_S[1], max(1.0, deadline - time.monotonic()))
            result = self._wrk(target, request, duration_s=chunk, capture_file=capture, limit=count - made)
            made += result.succeeded
            rate = result.rate or rate
            if not result.answers:
                # A server slower than the run (localstripe past ~9k intents) answers nothing in it:
                # run longer, and give up only when the longest run got no answer either.
                if chunk >= FILL_CHUNK_S[1]:
                    break
                shortest = min(2 * max(shortest, chunk), FILL_CHUNK_S[1])
        return rate

    def _record_memory(self, target: Target) -> None:
        if target.stateless or any(m.server == target.name and m.stored == target.stored for m in self.outcome.memory):
            return
        self.outcome.memory.append(Memory(target.name, target.stored, target.server.rss_bytes()))


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:3.0f}%" if whole else "  -"


def _sample_lines(path: Path, count: int) -> list[str]:
    lines = path.read_text().split() if path.exists() else []
    return random.Random(0).sample(lines, min(count, len(lines)))
