"""The line for the "Watch it learn" trainings: one runs, a few wait, one place per client.

    line = TrainingLine(waiting=3, alive=pages.open, grace=5)
    place = line.join(address, session)      # raises Refused with a message for the visitor
    with place:                              # leaves the line however the run ends
        while not place.wait_turn(1.0):      # True once it is this place's turn to train
            show(place.ahead())

Trainings do not wait in Gradio's queue: that queue's room (`max_size`) is shared by every
event, so trainings waiting there would turn uploads and corrections away ("Queue is full").
Here a Train press is answered at once, admitted to this short line or refused, so at most
1 + `waiting` trainings are ever held. A client (its network address, ui/clients.py) has at most
one place, whatever session hashes it sends. A place whose page has gone (`alive(session)` is
False, once it was seen open or `grace` seconds after it joined: a page opens its event stream
just after it joins) does not count against its client or the line, and its run is dropped when it notices.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ui.words import text

# In English (ui/strings/); the tab says them in the visitor's language (ui/learn.py).
FULL = text("learn.full")
ONE_EACH = text("learn.one_each")


class Refused(Exception):
    """No place in the line; the message is for the visitor."""


class Place:
    """A client's place in the line (a context manager that leaves it)."""

    def __init__(self, line: TrainingLine, address: str, session: str) -> None:
        self.line = line
        self.address = address
        self.session = session
        self.joined = time.monotonic()
        self.seen = False  # its page has been seen open: from then on, only that counts

    def alive(self) -> bool:
        """Its page is open, or it joined too recently to tell."""
        if self.line.alive(self.session):
            self.seen = True
            return True
        return not self.seen and time.monotonic() - self.joined < self.line.grace

    def wait_turn(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds; True when this place is first (its turn to train)."""
        with self.line._changed:
            return self.line._changed.wait_for(lambda: self.line._first() is self, timeout)

    def ahead(self) -> int:
        """Trainings before this one (0: it is training, or next)."""
        with self.line._changed:
            return self.line._places.index(self) if self in self.line._places else 0

    def leave(self) -> None:
        with self.line._changed:
            if self in self.line._places:
                self.line._places.remove(self)
                self.line._changed.notify_all()

    def __enter__(self) -> Place:
        return self

    def __exit__(self, *exc) -> None:
        self.leave()


class TrainingLine:
    """First come, first trained: one at a time, `waiting` more, one place per client."""

    def __init__(
        self, waiting: int, alive: Callable[[str], bool] = lambda session: True, grace: float = 5.0
    ) -> None:
        self.waiting = max(0, waiting)
        self.alive = alive
        self.grace = grace
        self._places: list[Place] = []
        self._changed = threading.Condition()

    def join(self, address: str, session: str) -> Place:
        """A place at the end of the line, or Refused: this client already has one, or it is full.
        Places whose page has gone are passed over (their runs stop when they notice)."""
        with self._changed:
            live = [p for p in self._places if p.alive()]
            if any(p.address == address or p.session == session for p in live):
                raise Refused(ONE_EACH)
            if len(live) >= 1 + self.waiting:
                raise Refused(FULL)
            place = Place(self, address, session)
            self._places.append(place)
            return place

    def __len__(self) -> int:
        with self._changed:
            return len(self._places)

    def _first(self) -> Place | None:
        return self._places[0] if self._places else None
