"""A bound on the pad's readings, which do not pass through Gradio's queue.

    gate = ReadingGate(running=4, waiting=256, per_client=2)
    answer = await gate.run(read, payload)      # raises Busy when `running + waiting` are in,
                                                # or this client already has `per_client` in

The pad calls its server function with one plain POST (no queue, no event stream: that is what
makes it fast), so the queue's limits and its "busy" shedding do not apply. This does the same
job: a few readings run at once (in threads here, or, for a coroutine function, awaited: the
reading worker processes, ui/workers.py), a bounded number wait, and anyone beyond is told to come back at
once instead of piling up in memory. One client holds at most `per_client` places (a pad has one
reading in flight, two for a moment when its pen-up frame overtakes a live one; a client sending
many costly drawings at once held everyone else up), and
a call whose client has hung up while it waited is dropped when its turn comes (issue 24, H1:
four abandoned requests held a normal reading up for 61 s). Who the client is, and whether it
is still there, the door middleware says for each request (ui/limits.py, `CALLER`).
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

import anyio

T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    """Who an HTTP request is from, and a check, without waiting, of whether they have gone."""

    address: str | None  # None: not limited per client (this machine itself, ui/limits.py)
    gone: Callable[[], Awaitable[bool]]


# Set for each HTTP request by the door middleware (ui/limits.py). None (not known, e.g. in a
# queued event's worker): no per-client bound, and the call runs.
CALLER: ContextVar[Caller | None] = ContextVar("caller", default=None)


class Busy(Exception):
    """Too many readings are running or waiting; try again shortly."""


class Gone(Busy):
    """The client left while its call waited: nobody would read the answer, so none is made."""


class ReadingGate:
    """At most `running` calls at once (a plain function in a thread, a coroutine function
    awaited), `waiting` more queued, `per_client` of them from one client, the rest refused."""

    def __init__(self, running: int, waiting: int, per_client: int = 2) -> None:
        self.running = max(1, running)
        self.capacity = self.running + max(0, waiting)
        self.per_client = max(1, per_client)
        self.admitted = 0  # touched only on the event loop's thread: no lock needed
        self._by_client: dict[str, int] = {}  # places held, per client address; no empty entries
        self._free = self.running  # places to run not taken
        # who waits for a place, oldest first: pen-up and other readings, then live frames
        self._waiting: tuple[deque[anyio.Event], deque[anyio.Event]] = (deque(), deque())
        self._threads: anyio.CapacityLimiter | None = None

    async def run(self, fn: Callable[..., T], *args: object, live: bool = False) -> T:
        """`fn(*args)` once a place is free. A `live` call (a frame sent while the pen moves) waits
        behind every other: under load, the answers visitors wait for at pen-up come first."""
        caller = CALLER.get()
        client = caller.address if caller is not None else None
        if self.admitted >= self.capacity or self._by_client.get(client, 0) >= self.per_client:
            raise Busy
        if self._threads is None:  # made inside the running event loop, as anyio wants
            self._threads = anyio.CapacityLimiter(self.running)  # never waited on: ours, not anyio's 40
        self.admitted += 1
        if client is not None:
            self._by_client[client] = self._by_client.get(client, 0) + 1
        try:
            await self._place(live)
            try:
                if caller is not None and await caller.gone():
                    raise Gone
                if inspect.iscoroutinefunction(fn):  # it holds no thread while it waits
                    return await fn(*args)
                return await anyio.to_thread.run_sync(fn, *args, limiter=self._threads)
            finally:
                self._leave()
        finally:
            self.admitted -= 1
            if client is not None:
                self._by_client[client] -= 1
                if not self._by_client[client]:
                    del self._by_client[client]

    async def _place(self, live: bool) -> None:
        """Wait for a place to run: taken at once when one is free, else handed over by `_leave`."""
        if self._free > 0:
            self._free -= 1
            return
        turn = anyio.Event()
        queue = self._waiting[live]
        queue.append(turn)
        try:
            await turn.wait()
        except BaseException:  # cancelled (the request went): give back a place handed over meanwhile
            if turn.is_set():
                self._leave()
            else:
                queue.remove(turn)
            raise

    def _leave(self) -> None:
        """A place is given up: to the oldest waiting call that is not live, else to the oldest live one."""
        for queue in self._waiting:
            if queue:
                queue.popleft().set()
                return
        self._free += 1
