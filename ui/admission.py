"""A bound on the pad's readings, which do not pass through Gradio's queue.

    gate = ReadingGate(running=4, waiting=256)
    answer = await gate.run(read, payload)      # raises Busy when `running + waiting` are in

The pad calls its server function with one plain POST (no queue, no event stream: that is what
makes it fast), so the queue's limits and its "busy" shedding do not apply. This does the same
job: a few readings run at once in worker threads (the work is CPU-bound, and more threads only
contend for the same cores), a bounded number wait, and anyone beyond is told to come back at
once instead of piling up in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio

T = TypeVar("T")


class Busy(Exception):
    """Too many readings are running or waiting; try again shortly."""


class ReadingGate:
    """At most `running` calls at once in threads, `waiting` more queued, the rest refused."""

    def __init__(self, running: int, waiting: int) -> None:
        self.running = max(1, running)
        self.capacity = self.running + max(0, waiting)
        self.admitted = 0  # touched only on the event loop's thread: no lock needed
        self._limiter: anyio.CapacityLimiter | None = None

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self.admitted >= self.capacity:
            raise Busy
        if self._limiter is None:  # made inside the running event loop, as anyio wants
            self._limiter = anyio.CapacityLimiter(self.running)
        self.admitted += 1
        try:
            return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)
        finally:
            self.admitted -= 1
