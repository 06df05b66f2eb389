"""How the model has done at this booth: right N of M times, and what it read for each digit.

    tally = Tally.since(connection, start_of_today())
    tally.right, tally.total, tally.confusion[label][answer]

Counts only rows visitors agreed to keep: "Right!" is stored as a row whose label is the answer.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tally:
    """Counts over a span of time; confusion[label][answer] is how often a drawn `label` was read
    as `answer`."""

    confusion: tuple[tuple[int, ...], ...] = field(
        default_factory=lambda: tuple((0,) * 10 for _ in range(10))
    )

    @property
    def total(self) -> int:
        return sum(map(sum, self.confusion))

    @property
    def right(self) -> int:
        return sum(self.confusion[k][k] for k in range(10))

    def mistakes(self, limit: int = 3) -> list[tuple[int, int, int]]:
        """The commonest mistakes, as (times, drawn, read), most frequent first."""
        found = [
            (n, label, answer) for label, row in enumerate(self.confusion) for answer, n in enumerate(row)
        ]
        return sorted(((n, a, b) for n, a, b in found if n and a != b), key=lambda m: (-m[0], m[1], m[2]))[
            :limit
        ]

    @classmethod
    def since(cls, connection: sqlite3.Connection, start: float) -> Tally:
        rows = connection.execute(
            "SELECT label, answer, COUNT(*) FROM corrections WHERE created >= ? GROUP BY label, answer",
            (start,),
        ).fetchall()
        grid = [[0] * 10 for _ in range(10)]
        for label, answer, n in rows:
            grid[label][answer] = n
        return cls(tuple(tuple(row) for row in grid))


def start_of_today(now: float | None = None) -> float:
    """Unix time of the last local midnight (the server's clock): what "today" means."""
    t = time.localtime(time.time() if now is None else now)
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))
