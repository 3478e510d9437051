"""Memory per stored PaymentIntent, measured in-process: RSS growth and tracemalloc's count.

``python -m benchmarks memory [--count 100k]`` makes a fresh store and application in this
process and sends it ``count`` creates (the benchmark's create request) through the ASGI
interface, no HTTP. It reports the growth of the process's resident memory per intent (what
the benchmark's server-side figure measures, without the HTTP server's own buffers) and
tracemalloc's count of the bytes still allocated per intent (what Python holds, without the
allocator's slack), each in a run of its own: tracemalloc slows every allocation and adds its
own memory. It also prints the CPU time per create in each tenth of the run, to show whether a
create costs more as the store grows.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import tracemalloc
from array import array
from pathlib import Path

from benchmarks.runner import CREATE
from benchmarks.units import count

KEY = "sk_test_bench"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--count", type=count, default=count("100k"), help="creates (default 100k)")
    parser.add_argument("--db", type=Path, help="on the durable store in this (new) file")


def main(args: argparse.Namespace) -> int:
    rss = _measure(args.count, traced=False, db=args.db)
    traced = _measure(args.count, traced=True, db=None)
    print(f"{args.count:,} creates in-process")
    print(f"RSS growth: {rss['rss_per']:,.0f} bytes per intent ({rss['rss_grown'] / 2**20:.1f} MB)")
    print(f"tracemalloc: {traced['traced_per']:,.0f} bytes per intent still allocated")
    print("CPU microseconds per create, by tenth of the run: "
          + " ".join(f"{us:.0f}" for us in rss["tenths_us"]))
    each = sorted(rss["each_us"])
    print(f"CPU microseconds of one create (service time, no queueing): p50 {_pick(each, 0.5):.0f}, "
          f"p99 {_pick(each, 0.99):.0f}, p99.9 {_pick(each, 0.999):.0f}, max {each[-1]:.0f} "
          f"(the once-a-second collection included)")
    return 0


def _measure(total: int, traced: bool, db: Path | None) -> dict:
    from reference_impl import heap  # noqa: F401 - the server's collector policy, applied below as it runs
    from reference_impl.app import create_app
    from reference_impl.serve import make_store

    if db is not None and db.exists():
        db.unlink()
    app = create_app(make_store(str(db) if db else None))
    gc.collect()
    gc.freeze()
    if traced:
        tracemalloc.start()
    before_rss, before_traced = _rss(), tracemalloc.get_traced_memory()[0] if traced else 0
    each_us = array("d")
    tenths_us = asyncio.run(_drive(app, total, each_us))
    gc.collect()
    grown = _rss() - before_rss
    result = {"rss_grown": grown, "rss_per": grown / total, "tenths_us": tenths_us, "each_us": each_us}
    if traced:
        result["traced_per"] = (tracemalloc.get_traced_memory()[0] - before_traced) / total
        tracemalloc.stop()
    app.store.close()
    return result


async def _drive(app, total: int, each_us: "array | None" = None) -> list[float]:
    body = CREATE.body.encode()
    scope = {"type": "http", "method": "POST", "path": CREATE.path, "query_string": b"",
             "headers": [(b"authorization", f"Bearer {KEY}".encode()),
                         (b"content-type", b"application/x-www-form-urlencoded"),
                         (b"content-length", str(len(body)).encode())]}
    message = {"type": "http.request", "body": body, "more_body": False}
    statuses = []

    async def receive() -> dict:
        return message

    async def send(event: dict) -> None:
        if event["type"] == "http.response.start":
            statuses.append(event["status"])

    tenths, step = [], max(1, total // 10)
    last_settle = time.monotonic()
    for start in range(0, total, step):
        began = time.process_time()
        for _ in range(min(step, total - start)):
            one = time.process_time()
            await app(scope, receive, send)
            if time.monotonic() - last_settle > 1.0:  # what reference_impl.heap does once a second
                gc.collect()
                gc.freeze()
                last_settle = time.monotonic()
            if each_us is not None:
                each_us.append((time.process_time() - one) * 1e6)
        tenths.append((time.process_time() - began) / step * 1e6)  # CPU time: the machine is shared
    refused = [s for s in statuses if s != 200]
    if refused:
        raise RuntimeError(f"{len(refused)} creates were refused: {sorted(set(refused))}")
    return tenths


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _pick(ordered, share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0
