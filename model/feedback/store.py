"""Visitors' corrections in an embedded SQLite file: opened once, written by one thread.

    store = FeedbackStore.open("data/corrections.sqlite3", max_bytes=256 * 2**20)  # FeedbackOff if unusable
    row_id = store.add(correction)                  # returns once committed; FeedbackError if not
    future = store.submit(correction)               # the same, without waiting (async callers)
    store.tally(start_of_today()), store.count()    # reads on their own connection
    store.size()                                    # bytes; at `max_bytes` new rows get FeedbackFull
    store.close()

WAL mode (readers and the writer never block each other) and synchronous=FULL (a commit is on
disk before it is acknowledged, so `kill -9` loses nothing that was). Opening creates the file,
brings its schema up to date (schema.py), and proves it can be written, so a read-only, damaged,
or too-new file is found at start-up, not by the first visitor who agrees to help.
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import Future
from pathlib import Path

from .correction import Correction
from .errors import FeedbackFull, FeedbackOff, describe
from .schema import SchemaError, migrate
from .tally import Tally
from .writer import Writer

DEFAULT_DB = Path("data") / "corrections.sqlite3"
DEFAULT_MAX_BYTES = 256 * 2**20  # about 50,000 digits (a row is 4-6 KB): a Space's disk is not ours alone
BUSY_TIMEOUT_MS = 5000  # another process (an export, a backup) holding the lock: wait this long
INSERT = (
    "INSERT INTO corrections (created, input, drawing, label, answer, probs, weights, session, verdict) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def connect(path: str | Path, read_only: bool = False) -> sqlite3.Connection:
    """A connection with the store's settings; `read_only` for exports and statistics."""
    if read_only:
        db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    else:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return db


class FeedbackStore:
    """The corrections database of one app process."""

    def __init__(
        self, path: Path, writer: Writer, reader: sqlite3.Connection, max_bytes: int | None = None
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._writer = writer
        self._reader = reader
        self._read_lock = threading.Lock()

    @classmethod
    def open(cls, path: str | Path = DEFAULT_DB, max_bytes: int | None = DEFAULT_MAX_BYTES) -> FeedbackStore:
        """Create or open the file, migrate it and check it can be written; FeedbackOff if not.
        Once the database holds `max_bytes` (None: no cap), new rows are refused (FeedbackFull)."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = connect(path)
            try:
                migrate(db)  # first: a file from a newer app is refused before anything changes
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = FULL")
                _prove_writable(db)
            except BaseException:
                db.close()
                raise
            reader = connect(path)
        except SchemaError as e:
            raise FeedbackOff(f"{path} cannot be used: {e}") from None
        except (sqlite3.Error, OSError) as e:
            raise FeedbackOff(describe(e, path)) from None
        return cls(path, Writer(db, _insert, path), reader, max_bytes)

    @property
    def off_reason(self) -> str | None:
        """Why writing stopped (full disk, ...), or None while the store works."""
        return self._writer.off_reason

    def submit(self, correction: Correction) -> Future:
        """Queue a row; the future gives its id once committed (FeedbackError otherwise).
        Raises FeedbackFull at once when the database is at its size cap."""
        if self.max_bytes is not None and self.size() >= self.max_bytes:
            raise FeedbackFull(f"the corrections database is full ({self.max_bytes // 2**20} MB)")
        return self._writer.submit(correction)

    def add(self, correction: Correction, timeout: float = 30) -> int:
        """Store a row and return its id once it is committed."""
        return self.submit(correction).result(timeout)

    def tally(self, start: float, share: int | None = None, client_of=lambda session: None) -> Tally:
        """Today's score (tally.py: `share` caps what one session or client counts)."""
        with self._read_lock:
            return Tally.since(self._reader, start, share, client_of)

    def size(self) -> int:
        """The database's size in bytes, as committed (WAL included; free pages too)."""
        with self._read_lock:
            pages = self._reader.execute("PRAGMA page_count").fetchone()[0]
            return pages * self._reader.execute("PRAGMA page_size").fetchone()[0]

    def count(self) -> int:
        with self._read_lock:
            return self._reader.execute("SELECT COUNT(*) FROM corrections").fetchone()[0]

    def close(self) -> None:
        self._writer.close()
        with self._read_lock:
            self._reader.close()


def _insert(db: sqlite3.Connection, row: Correction) -> int:
    return db.execute(INSERT, row.values()).lastrowid


def _prove_writable(db: sqlite3.Connection) -> None:
    """A real write (the header's version, unchanged), so a read-only file fails here."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.execute("BEGIN IMMEDIATE")
    db.execute(f"PRAGMA user_version = {version}")
    db.execute("COMMIT")
