"""One thread writes, everyone else queues: a crowd never corrupts or locks up the database.

    writer = Writer(connection, insert)      # insert(connection, row) -> row id, inside a transaction
    future = writer.submit(row)              # resolved with the row id once it is committed
    writer.close()                           # finishes what is queued, then stops

Rows are taken off the queue in batches (whatever is waiting, up to MAX_BATCH) and committed in
one transaction, and each row's future is resolved only after that commit returned: an
acknowledged row is on disk (the store sets synchronous=FULL). A row the database refuses
(a CHECK constraint) fails alone; an error that says the file can no longer be written
(read-only, full disk, corrupt, I/O) switches the writer off, with that reason, for good.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from .errors import FeedbackBusy, FeedbackOff, describe

MAX_BATCH = 64  # rows per transaction: one fsync for many visitors
MAX_WAITING = 2000  # rows queued before new ones are told "busy"
_STOP = object()
log = logging.getLogger(__name__)

Insert = Callable[[sqlite3.Connection, Any], int]


class Writer:
    """The database's only writer: a thread that owns `connection` and commits queued rows."""

    def __init__(self, connection: sqlite3.Connection, insert: Insert, path: object = None) -> None:
        self._connection = connection
        self._path = path  # for the messages
        self._insert = insert
        self._queue: queue.Queue = queue.Queue(MAX_WAITING)
        self.off_reason: str | None = None  # set once writing has failed for good
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="feedback-writer", daemon=True)
        self._thread.start()

    def submit(self, row: Any) -> Future:
        """Queue a row; the future gives its id after the commit, or FeedbackOff / FeedbackBusy."""
        if self.off_reason is not None:
            raise FeedbackOff(self.off_reason)
        if self._closed:
            raise FeedbackOff("the database is closed")
        future: Future = Future()
        try:
            self._queue.put_nowait((row, future))
        except queue.Full:
            raise FeedbackBusy(
                "too many corrections are waiting to be saved; try again in a moment"
            ) from None
        return future

    def close(self, timeout: float = 10) -> None:
        """Commit what is queued, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            batch = [item]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            # a caller that gave up waiting (cancelled) gets nothing written; the rest can no
            # longer be cancelled, so each is told exactly what happened to its row
            batch = [(row, future) for row, future in batch if future.set_running_or_notify_cancel()]
            try:
                if batch:
                    self._commit(batch)
            except Exception as e:  # a bug, not the database: fail these rows, keep serving
                log.exception("feedback writer failed")
                _fail(batch, e)
            if stop:
                break
        self._connection.close()

    def _commit(self, batch: list[tuple[Any, Future]]) -> None:
        if self.off_reason is not None:
            _fail(batch, FeedbackOff(self.off_reason))
            return
        db = self._connection
        try:
            db.execute("BEGIN IMMEDIATE")
            ids = [self._insert(db, row) for row, _ in batch]
            db.execute("COMMIT")
        except sqlite3.Error as e:
            _rollback(db)
            if isinstance(e, sqlite3.IntegrityError) and len(batch) > 1:
                for one in batch:  # find the row the database refuses; commit the others
                    self._commit([one])
            elif isinstance(e, sqlite3.IntegrityError):
                _fail(batch, FeedbackBusy(f"the database refused this row ({e})"))
            elif _transient(e):
                _fail(batch, FeedbackBusy("the database is busy; try again in a moment"))
            else:
                self.off_reason = describe(e, self._path)
                log.error("feedback is off: %s", self.off_reason)
                _fail(batch, FeedbackOff(self.off_reason))
            return
        for (_, future), row_id in zip(batch, ids):
            future.set_result(row_id)


def _transient(error: sqlite3.Error) -> bool:
    """Another process holds the lock for longer than the busy timeout: worth another try."""
    return "locked" in str(error) or "busy" in str(error)


def _rollback(db: sqlite3.Connection) -> None:
    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _fail(batch: list[tuple[Any, Future]], error: Exception) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)
