"""The corrections table, and the migrations that bring any older file up to date.

    version = migrate(connection)      # creates or upgrades; refuses files from a newer app

The file carries its schema version in SQLite's header (PRAGMA user_version): 0 for a new, empty
file, then one step per entry in MIGRATIONS. A file written by a newer version of the app is
refused with a message saying so, never altered or misread.
"""

from __future__ import annotations

import sqlite3

INPUT_BYTES = 28 * 28 * 4  # the model's input as float32, exactly what it saw
NOT_A_DIGIT = -1  # the label of a drawing a visitor says is not a digit at all (schema 2 on)

# One row per digit a visitor marked right or wrong, and nothing else: no address, no free text.
MIGRATIONS: tuple[str, ...] = (
    f"""
    CREATE TABLE corrections (
        id       INTEGER PRIMARY KEY,
        created  REAL    NOT NULL,                      -- unix time, seconds (UTC)
        input    BLOB    NOT NULL CHECK (length(input) = {INPUT_BYTES}),  -- 28x28 float32, the model's input
        drawing  BLOB    NOT NULL,                      -- PNG, grey: the digit as drawn, downscaled
        label    INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),           -- what the visitor says it is
        answer   INTEGER NOT NULL CHECK (answer BETWEEN 0 AND 9),          -- what the model said
        probs    TEXT    NOT NULL,                      -- JSON list of the ten probabilities
        weights  TEXT    NOT NULL,                      -- sha256 of the weights file (16 hex digits)
        session  TEXT    NOT NULL                       -- anonymous: groups one visit's rows, nothing more
    );
    CREATE INDEX corrections_created ON corrections (created);
    """,
    # 2: a drawing can be labelled "not a digit" (label -1), and each row keeps the reading's
    # verdict (NULL in rows stored before there was one). SQLite cannot change a CHECK in place,
    # so the table is copied into a new one, every row and id kept, in the step's one transaction.
    f"""
    CREATE TABLE corrections_2 (
        id       INTEGER PRIMARY KEY,
        created  REAL    NOT NULL,
        input    BLOB    NOT NULL CHECK (length(input) = {INPUT_BYTES}),
        drawing  BLOB    NOT NULL,
        label    INTEGER NOT NULL CHECK (label BETWEEN {NOT_A_DIGIT} AND 9),  -- 0-9, or -1: not a digit
        answer   INTEGER NOT NULL CHECK (answer BETWEEN 0 AND 9),
        probs    TEXT    NOT NULL,
        weights  TEXT    NOT NULL,
        session  TEXT    NOT NULL,
        verdict  TEXT    CHECK (verdict IN ('number', 'unsure', 'not_a_digit'))  -- the reading's
    );
    INSERT INTO corrections_2 (id, created, input, drawing, label, answer, probs, weights, session)
        SELECT id, created, input, drawing, label, answer, probs, weights, session FROM corrections;
    DROP TABLE corrections;
    ALTER TABLE corrections_2 RENAME TO corrections;
    CREATE INDEX corrections_created ON corrections (created);
    """,
)
VERSION = len(MIGRATIONS)


class SchemaError(Exception):
    """The file's schema is one this app cannot use (written by a newer version)."""


def migrate(connection: sqlite3.Connection) -> int:
    """Bring the database to VERSION, one transaction per step; returns the version found."""
    found = connection.execute("PRAGMA user_version").fetchone()[0]
    if found > VERSION:
        raise SchemaError(
            f"it was written by a newer version of this app (schema {found}; this one knows up to "
            f"{VERSION}): update the app, or point DIGIT_FEEDBACK_DB at another file"
        )
    for version in range(found, VERSION):
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[version].split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version + 1}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return found
