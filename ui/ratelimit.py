"""A per-visitor bound on corrections: a few in a burst, then a steady trickle.

    limit = RateLimit(per_minute=30, burst=12)
    if not limit.allow(session): refuse("wait a moment")

A token bucket per key (a visitor's session): `burst` at once, refilled at `per_minute`. Keys
are kept in memory only, and forgotten once their bucket is full again, so a crowd of passers-by
never grows it without bound.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimit:
    """At most `burst` actions at once and `per_minute` sustained, for each key."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.rate = per_minute / 60  # tokens per second
        self.burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token for `key`; False when its bucket is empty."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > self._max_keys:
                self._forget_full(now)
            return True

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: forgetting them changes nothing."""
        full = [k for k, (t, then) in self._buckets.items() if t + (now - then) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]
