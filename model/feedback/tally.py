"""How the model has done at this booth: right N of M times, and what it read for each digit.

    tally = Tally.since(connection, start_of_today(), share=100, client_of=clients.get)
    tally.right, tally.total, tally.confusion[label][answer]

Counts only rows visitors agreed to keep: "Right!" is stored as a row whose label is the answer.
Drawings labelled "not a digit" are counted apart, with how many of them the reading doubted.
With a `share`, no one takes the screen over: each session counts at most `share` rows (its
earliest), and so does each client, the sessions that `client_of` puts together (one network
address; a session it does not know is a client of its own).
"""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from .schema import NOT_A_DIGIT

# A row whose reading doubted the drawing: shown as a guess, or said not to be a digit.
DOUBTED = "coalesce(verdict IN ('unsure', 'not_a_digit'), 0)"
# Each session's first `share` rows today, grouped: at most sessions x 100 groups to add up.
CAPPED = f"""
    SELECT session, label, answer, doubted, COUNT(*) FROM (
        SELECT session, label, answer, {DOUBTED} AS doubted, id,
               ROW_NUMBER() OVER (PARTITION BY session ORDER BY id) AS n
        FROM corrections WHERE created >= ?
    ) WHERE n <= ? GROUP BY session, label, answer, doubted ORDER BY MIN(id)
"""
ALL = f"""
    SELECT '', label, answer, {DOUBTED}, COUNT(*) FROM corrections WHERE created >= ?
    GROUP BY label, answer, {DOUBTED}
"""


@dataclass(frozen=True)
class Tally:
    """Counts over a span of time; confusion[label][answer] is how often a drawn `label` was read
    as `answer`."""

    confusion: tuple[tuple[int, ...], ...] = field(
        default_factory=lambda: tuple((0,) * 10 for _ in range(10))
    )
    not_digits: int = 0  # drawings visitors labelled "not a digit", counted apart from the digits
    not_digits_doubted: int = 0  # ... of which the reading had said "not a digit" or "unsure"

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
    def since(
        cls,
        connection: sqlite3.Connection,
        start: float,
        share: int | None = None,
        client_of: Callable[[str], str | None] = lambda session: None,
    ) -> Tally:
        """Rows created at or after `start`; with `share`, at most that many per session and per
        client (`client_of(session)`, None: the session is its own client)."""
        grid = [[0] * 10 for _ in range(10)]
        not_digits = [0, 0]  # not doubted, doubted
        left: defaultdict[str, int] = defaultdict(lambda: share if share is not None else 2**62)
        query = ALL, (start,)
        if share is not None:
            query = CAPPED, (start, share)
        for session, label, answer, doubted, n in connection.execute(*query):
            client = client_of(session) or f"session:{session}"
            counted = min(n, left[client])
            left[client] -= counted
            if label == NOT_A_DIGIT:
                not_digits[bool(doubted)] += counted
            else:
                grid[label][answer] += counted
        return cls(tuple(tuple(row) for row in grid), sum(not_digits), not_digits[1])


def start_of_today(now: float | None = None) -> float:
    """Unix time of the last local midnight (the server's clock): what "today" means."""
    t = time.localtime(time.time() if now is None else now)
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))
