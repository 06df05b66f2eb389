"""What one call to a reading worker costs the app's process: ui/workers.py's own pipes (watched
with the event loop's add_reader) against concurrent.futures.ProcessPoolExecutor awaited with
loop.run_in_executor, the other way the issue allowed.

    python -m bench.worker_calls            # 500 calls each way, twice, alternating

Each call is a trivial job (an empty pad payload: the worker answers "can't read that drawing" at
once), awaited one after the other, so what is measured is the round trip and the parent's CPU
per call (time.process_time: all its threads, so the executor's own threads count too).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import multiprocessing
import time

from bench.common import markdown_table, write
from model.weights import DEFAULT_WEIGHTS
from ui.render import pad_reply
from ui.workers import Workers


def refuse(payload: object) -> dict:
    """What Answers.pad answers for an empty payload, without the model (for the executor)."""
    return pad_reply(None, "Sorry, I can't read that drawing: expected a drawing.")


async def timed(call, n: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        await call()
    return 1e3 * (time.perf_counter() - wall) / n, 1e3 * (time.process_time() - cpu) / n


async def pipes(n: int) -> tuple[float, float]:
    workers = Workers(2, DEFAULT_WEIGHTS, "cpu")
    try:
        await workers.call("pad", {})  # both started, weights loaded
        await asyncio.sleep(3)
        return await timed(lambda: workers.call("pad", {}), n)
    finally:
        workers.close()


async def executor(n: int) -> tuple[float, float]:
    context = multiprocessing.get_context("forkserver")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(pool, refuse, {})
        await asyncio.sleep(1)
        return await timed(lambda: loop.run_in_executor(pool, refuse, {}), n)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=500)
    args = p.parse_args()
    rows = []
    for name, way in [("pipes + add_reader", pipes), ("ProcessPoolExecutor", executor)] * 2:
        wall, cpu = asyncio.run(way(args.calls))
        print(f"{name:22s} round trip {wall:.3f} ms, parent CPU {cpu:.3f} ms per call", flush=True)
        rows.append({"way": name, "round_trip_ms": wall, "parent_cpu_ms": cpu})
    table = markdown_table(
        ["way", "round trip ms", "app's process CPU per call ms"],
        [[r["way"], f"{r['round_trip_ms']:.3f}", f"{r['parent_cpu_ms']:.3f}"] for r in rows],
    )
    write("worker_calls", {"rows": rows}, table, f"python -m bench.worker_calls --calls {args.calls}")


if __name__ == "__main__":
    main()
