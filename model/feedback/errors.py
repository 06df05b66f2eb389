"""What can go wrong with the corrections database, in words an operator can act on.

raise FeedbackOff(describe(sqlite_error, path))
"""

from __future__ import annotations

from pathlib import Path


class FeedbackError(Exception):
    """A correction was not stored; the message says why, for a visitor or a program."""


class FeedbackOff(FeedbackError):
    """The database cannot be written (unwritable, corrupt, full disk, newer schema): feedback is
    off, readings go on."""


class FeedbackFull(FeedbackError):
    """The database has reached the size it may grow to: no more rows, until an operator makes
    room (exports and moves the file, or raises the cap)."""


class FeedbackBusy(FeedbackError):
    """Too much is waiting, or another process holds the lock: try again shortly."""


def describe(error: BaseException, path: str | Path | None = None) -> str:
    """A SQLite error as the reason feedback is off, naming the file and what to do."""
    where = f" {path}" if path else " the database"
    text = str(error).lower()
    if "readonly" in text or "read-only" in text or "permission" in text:
        return f"the database file{where} is read-only"
    if "full" in text:
        return f"the disk holding{where} is full"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"the database file{where} is damaged or not a SQLite database: move it away to start a new one"
        )
    if "unable to open" in text:
        return f"cannot create or open{where}: is its folder there and writable?"
    if "disk i/o" in text:
        return f"the disk holding{where} reported an I/O error"
    return f"the database{where} failed ({' '.join(str(error).split())[:120]})"
