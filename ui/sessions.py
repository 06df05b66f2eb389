"""Something per visitor (their own trained network), kept by Gradio session hash, bounded.

    networks = SessionStore(size=64, idle_s=3600)
    networks.put(request.session_hash, classifier)
    networks.get(session)                 # None once expired, evicted or dropped
    networks.drop(session)                # the visitor closed the page (demo.unload)
    networks.drop_if(lambda value: ...)   # every value that matches

Memory stays bounded however many visitors come: at most `size` values (the least recently
used goes first), each forgotten after `idle_s` seconds unused, and dropped at once when the
page that made it closes. Safe to use from Gradio's worker threads.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SessionStore(Generic[T]):
    """At most `size` values by session, each expiring `idle_s` seconds after its last use."""

    def __init__(self, size: int, idle_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = max(1, size)
        self.idle_s = idle_s
        self.clock = clock
        self._items: OrderedDict[str, tuple[float, T]] = OrderedDict()  # oldest use first
        self._lock = threading.Lock()

    def put(self, session: str, value: T) -> None:
        with self._lock:
            self._items[session] = (self.clock(), value)
            self._items.move_to_end(session)
            self._expire()
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, session: str | None) -> T | None:
        """The session's value (and it counts as a use), or None."""
        with self._lock:
            self._expire()
            if session not in self._items:
                return None
            value = self._items.pop(session)[1]
            self._items[session] = (self.clock(), value)
            return value

    def drop(self, session: str | None) -> None:
        with self._lock:
            self._items.pop(session, None)

    def drop_if(self, matches: Callable[[T], bool]) -> None:
        with self._lock:
            for key in [k for k, (_, value) in self._items.items() if matches(value)]:
                del self._items[key]

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._items)

    def _expire(self) -> None:
        deadline = self.clock() - self.idle_s
        while self._items and next(iter(self._items.values()))[0] < deadline:
            self._items.popitem(last=False)
