"""Run a function over chunks of work in several processes: one-off jobs such as tracing and
drawing the 60,000 training digits (strokes.py, pad.py), not the training loop.

    results = run_chunks(trace_all, [(images[:2000],), (images[2000:],)], workers=2)
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_chunks(function: Callable[..., T], chunks: Sequence[tuple], workers: int) -> list[T]:
    """[function(*args) for args in chunks], in order; in `workers` processes when that is more
    than one (a module-level function, picklable arguments). Not forked from this process: it
    has torch's thread pools, which do not survive a fork. The processes are forked from
    multiprocessing's fork server instead, a fresh interpreter that imports torch and the
    function's module once and runs nothing, so each costs a fork, not a cold start (about 3 s
    of CPU each when spawned); a script that gets here needs the usual `if __name__ ==
    "__main__":` guard (train.py has it)."""
    if workers <= 1 or len(chunks) <= 1:
        return [function(*args) for args in chunks]
    context = multiprocessing.get_context("forkserver")
    # what the server imports when it starts (once per process: later calls reuse it)
    context.set_forkserver_preload(["torch", function.__module__])
    with ProcessPoolExecutor(min(workers, len(chunks)), mp_context=context) as pool:
        return list(pool.map(function, *zip(*chunks)))


def spans(count: int, size: int) -> list[tuple[int, int]]:
    """[(start, stop), ...] covering range(count) in pieces of `size`."""
    return [(start, min(start + size, count)) for start in range(0, count, size)]
