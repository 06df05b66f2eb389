"""The corrections database on its own: rows, the single writer, migrations, and every way the
file can be unusable (no server, no MNIST).

python -m pytest tests/test_feedback_store.py
"""

from __future__ import annotations

import io
import json
import pickle
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from PIL import Image

from harness.server import ROOT
from model import load_classifier, read_drawing
from model.feedback import Correction, FeedbackOff, FeedbackStore, LabelError, anonymous, parse_label
from model.feedback.correction import DRAWING_BYTES, DRAWING_SIDE
from model.feedback.schema import MIGRATIONS, NOT_A_DIGIT, VERSION
from model.feedback.writer import Writer
from model.synth.sketches import Placement, draw_digit
from ui.pad import CANVAS

COLUMNS = ["id", "created", "input", "drawing", "label", "answer", "probs", "weights", "session", "verdict"]


@pytest.fixture(scope="module")
def seven():
    """A drawn 7, the drawing and the server's reading of it."""
    drawing = draw_digit(7, Placement(CANVAS, (300, 160), 220, 4, 12), "white")
    return drawing, read_drawing(drawing, load_classifier(device="cpu"))


def row(seven, label: int = 1, session: str = "visit") -> Correction:
    drawing, reading = seven
    return Correction.of(reading, 0, label, drawing, weights="0123456789abcdef", session=anonymous(session))


def test_a_row_holds_what_the_model_saw_and_said_and_nothing_else(tmp_path, seven):
    store = FeedbackStore.open(tmp_path / "db.sqlite3")
    row_id = store.add(row(seven, label=1))
    store.close()
    db = sqlite3.connect(tmp_path / "db.sqlite3")
    assert [c[1] for c in db.execute("PRAGMA table_info(corrections)")] == COLUMNS
    created, pixels, drawing, label, answer, probs, weights, session, verdict = db.execute(
        f"SELECT {', '.join(COLUMNS[1:])} FROM corrections WHERE id = ?", (row_id,)
    ).fetchone()
    reading = seven[1].digits[0]
    assert abs(created - time.time()) < 60
    assert np.array_equal(np.frombuffer(pixels, np.float32).reshape(28, 28), reading.image)
    assert (label, answer, verdict) == (1, 7, "number")
    assert json.loads(probs) == pytest.approx(list(reading.probabilities), abs=1e-6)
    assert weights == "0123456789abcdef"
    assert len(session) == 16 and session != "visit" and session == anonymous("visit")
    picture = Image.open(io.BytesIO(drawing))
    assert picture.mode == "L" and max(picture.size) <= DRAWING_SIDE
    ink = np.asarray(picture) < 128
    assert 0.02 < ink.mean() < 0.5  # the 7 itself, not a blank or black square


def test_the_stored_drawing_is_capped_even_for_a_huge_noisy_photo(seven):
    _, reading = seven
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (3000, 3000), np.uint8))
    # the reading's box is in the working pixels: the whole noisy picture is "the digit"
    correction = Correction.of(reading, 0, 7, noise, weights="w", session="s")
    assert len(correction.drawing) <= DRAWING_BYTES


@pytest.mark.parametrize("value", [0, 7, 9, 7.0, "7"])
def test_a_label_is_one_digit(value):
    assert parse_label(value) == int(value)


@pytest.mark.parametrize("value", ["not_a_digit", -1, -1.0])
def test_a_label_can_say_not_a_digit(value):
    assert parse_label(value) == NOT_A_DIGIT == -1


@pytest.mark.parametrize(
    "value", [10, -2, "-1", 7.5, "77", "", " 7", "seven", "not a digit", None, True, [7], {"label": 7}]
)
def test_anything_else_is_refused_with_a_plain_message(value):
    with pytest.raises(LabelError, match="one digit, 0 to 9"):
        parse_label(value)


def test_a_crowd_of_writers_gets_every_row_stored_exactly_once_and_acknowledged_after_commit(tmp_path, seven):
    store = FeedbackStore.open(tmp_path / "db.sqlite3")
    ids, unseen = [], []

    def visitor(k: int) -> None:
        watcher = sqlite3.connect(tmp_path / "db.sqlite3")  # another connection, as another process
        for _ in range(50):
            row_id = store.add(row(seven, label=k % 10, session=str(k)))
            ids.append(row_id)
            # acknowledged means committed: another connection sees it at once
            if watcher.execute("SELECT id FROM corrections WHERE id = ?", (row_id,)).fetchall() != [
                (row_id,)
            ]:
                unseen.append(row_id)
        watcher.close()

    threads = [threading.Thread(target=visitor, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    watcher = sqlite3.connect(tmp_path / "db.sqlite3")
    stored = [r[0] for r in watcher.execute("SELECT id FROM corrections")]
    assert len(ids) == 800 and sorted(ids) == sorted(stored) and unseen == []
    assert watcher.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert watcher.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_tally_counts_right_answers_and_what_each_digit_was_read_as(tmp_path, seven):
    store = FeedbackStore.open(tmp_path / "db.sqlite3")
    for label in (7, 7, 1):  # two "Right!", one "No, it was 1"
        store.add(row(seven, label=label))
    tally = store.tally(0)
    assert (tally.right, tally.total) == (2, 3)
    assert tally.confusion[1][7] == 1 and tally.mistakes() == [(1, 1, 7)]
    assert store.tally(time.time() + 60).total == 0  # nothing from tomorrow
    store.close()


def test_a_new_file_gets_the_current_schema_and_an_old_one_is_migrated(tmp_path, seven):
    sqlite3.connect(tmp_path / "old.sqlite3").close()  # an empty file: schema version 0
    store = FeedbackStore.open(tmp_path / "old.sqlite3")
    store.add(row(seven))
    store.close()
    db = sqlite3.connect(tmp_path / "old.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
    assert db.execute("SELECT COUNT(*) FROM corrections").fetchone()[0] == 1
    db.close()
    FeedbackStore.open(tmp_path / "old.sqlite3").close()  # reopening changes nothing


def test_a_drawing_marked_not_a_digit_is_stored_and_counted_apart_from_the_digits(tmp_path, seven):
    store = FeedbackStore.open(tmp_path / "db.sqlite3")
    for label in (7, 1, NOT_A_DIGIT, NOT_A_DIGIT):
        store.add(row(seven, label=label))
    tally = store.tally(0)
    assert (tally.right, tally.total, tally.not_digits) == (1, 2, 2)
    assert tally.not_digits_doubted == 0  # the reading had said "number" for this 7
    assert tally.confusion[9] == (0,) * 10  # label -1 never lands in the digits' grid
    assert store.tally(0, share=3).not_digits == 1  # one session's share holds for these too
    store.close()


def test_a_file_of_schema_1_keeps_its_rows_and_ids_and_takes_not_a_digit(tmp_path, seven):
    path = tmp_path / "v1.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    old = row(seven, label=3).values()[:-1]  # the columns schema 1 had
    db.execute(
        "INSERT INTO corrections (id, created, input, drawing, label, answer, probs, weights, session) "
        "VALUES (41, ?, ?, ?, ?, ?, ?, ?, ?)",
        old,
    )
    with pytest.raises(sqlite3.IntegrityError):  # schema 1 holds digits only
        db.execute("UPDATE corrections SET label = -1")
    db.close()
    store = FeedbackStore.open(path)
    new_id = store.add(row(seven, label=NOT_A_DIGIT))
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
    rows = db.execute("SELECT id, label, answer, verdict, input FROM corrections ORDER BY id").fetchall()
    assert [r[:4] for r in rows] == [(41, 3, 7, None), (new_id, NOT_A_DIGIT, 7, "number")]
    assert rows[0][4] == old[1] and new_id > 41
    assert db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall() == [
        ("corrections_created",)
    ]
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_a_file_from_a_newer_app_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "newer.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {VERSION + 1}")
    db.close()
    before = path.read_bytes()
    with pytest.raises(
        FeedbackOff, match=rf"newer version of this app \(schema {VERSION + 1}.*DIGIT_FEEDBACK_DB"
    ):
        FeedbackStore.open(path)
    assert path.read_bytes() == before


def test_a_damaged_file_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "damaged.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(FeedbackOff, match="damaged or not a SQLite database: move it away"):
        FeedbackStore.open(path)


def test_a_place_where_no_file_can_be_made_is_refused(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(FeedbackOff, match="a-file"):
        FeedbackStore.open(tmp_path / "a-file" / "db.sqlite3")


# A real full disk: a 1 MB tmpfs in a private mount namespace (root on Linux, as in CI).
# argv: the database, a pickled row (made here: importing this module would cost the fresh
# interpreter some 5 s of CPU more than model.feedback alone)
FILL_THE_DISK = """
import pickle, sys
from pathlib import Path
from model.feedback import FeedbackError, FeedbackStore
store = FeedbackStore.open(sys.argv[1])
correction, acked = pickle.loads(Path(sys.argv[2]).read_bytes()), []
try:
    while len(acked) < 100000:
        acked.append(store.add(correction))
except FeedbackError as e:
    print("refused:", e)
print("off:", store.off_reason)
print("acked:", len(acked), "stored:", store.count())
"""


@pytest.mark.slow  # a fresh interpreter fills a small disk
def test_a_full_disk_turns_feedback_off_with_the_reason_and_keeps_what_was_acknowledged(tmp_path, seven):
    if (
        sys.platform != "linux"
        or shutil.which("unshare") is None
        or subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode
    ):
        pytest.skip("needs a private mount namespace (unshare -m) for a small tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    correction = tmp_path / "row.pickle"
    correction.write_bytes(pickle.dumps(row(seven)))
    script = (
        f'mount -t tmpfs -o size=1m tmpfs "{disk}" && exec "$0" -c "$1" "{disk}/db.sqlite3" "{correction}"'
    )
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, sys.executable, FILL_THE_DISK],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert lines["refused"] == lines["off"] == f"the disk holding {disk}/db.sqlite3 is full"
    acked, stored = (int(n) for n in lines["acked"].replace(" stored:", "").split())
    assert 10 < acked == stored  # every acknowledged row is there, and nothing else


def test_a_correction_whose_caller_gave_up_is_not_written_and_the_others_are_told_the_truth(tmp_path):
    db = sqlite3.connect(tmp_path / "w.sqlite3", isolation_level=None, check_same_thread=False)
    db.execute("CREATE TABLE t (x)")
    first_inside = threading.Event()
    go_on = threading.Event()

    def insert(connection, x):
        if x == 1:  # hold the writer inside the first transaction
            first_inside.set()
            go_on.wait(10)
        return connection.execute("INSERT INTO t VALUES (?)", (x,)).lastrowid

    writer = Writer(db, insert)
    first = writer.submit(1)
    first_inside.wait(10)
    gave_up, waited = writer.submit(2), writer.submit(3)
    assert gave_up.cancel()  # still queued: a caller that timed out
    go_on.set()
    assert first.result(10) == 1 and waited.result(10) == 2  # row 3 took the next id: 2 was never written
    writer.close()
    check = sqlite3.connect(tmp_path / "w.sqlite3")
    assert [r[0] for r in check.execute("SELECT x FROM t")] == [1, 3]
