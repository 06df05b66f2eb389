"""A bound on the pad's readings, which do not pass through Gradio's queue.

    gate = ReadingGate(running=4, waiting=256)
    answer = await gate.run(read, payload)      # raises Busy when `running + waiting` are in

The pad calls its server function with one plain POST (no queue, no event stream: that is what
makes it fast), so the queue's limits and its "busy" shedding do not apply. This does the same
job: a few readings run at once in worker threads (the work is CPU-bound, and more threads only
contend for the same cores), a bounded number wait, and anyone beyond is told to come back at
once instead of piling up in memory. A call whose client has hung up while it waited is dropped
when its turn comes (issue 24, H1: four abandoned requests held a normal reading up for 61 s).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TypeVar

import anyio

T = TypeVar("T")


# Set for each HTTP request by the door middleware (ui/limits.py): a check, without waiting,
# of whether the client has gone. None (unknown, e.g. a queued event's worker): the call runs.
CLIENT_GONE: ContextVar[Callable[[], Awaitable[bool]] | None] = ContextVar("client_gone", default=None)


class Busy(Exception):
    """Too many readings are running or waiting; try again shortly."""


class Gone(Busy):
    """The client left while its call waited: nobody would read the answer, so none is made."""


class ReadingGate:
    """At most `running` calls at once in threads, `waiting` more queued, the rest refused."""

    def __init__(self, running: int, waiting: int) -> None:
        self.running = max(1, running)
        self.capacity = self.running + max(0, waiting)
        self.admitted = 0  # touched only on the event loop's thread: no lock needed
        self._limiter: anyio.CapacityLimiter | None = None
        self._threads: anyio.CapacityLimiter | None = None

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self.admitted >= self.capacity:
            raise Busy
        if self._limiter is None:  # made inside the running event loop, as anyio wants
            self._limiter = anyio.CapacityLimiter(self.running)
            self._threads = anyio.CapacityLimiter(self.running)  # never waited on: ours, not anyio's 40
        self.admitted += 1
        try:
            async with self._limiter:
                gone = CLIENT_GONE.get()
                if gone is not None and await gone():
                    raise Gone
                return await anyio.to_thread.run_sync(fn, *args, limiter=self._threads)
        finally:
            self.admitted -= 1
