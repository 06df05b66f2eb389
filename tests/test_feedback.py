"""Corrections over HTTP against the running app (`python app.py`, its database in a temporary
folder): consent, the stored row, refusals, the rate limit, the booth's score, the API endpoint,
and an unusable database that leaves reading untouched.

python -m pytest tests/test_feedback.py
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from harness.pad_client import PadClient, png_data_url
from harness.server import AppServer
from model.feedback import FeedbackStore
from model.feedback.schema import INPUT_BYTES
from model.synth.nondigits import drawings, render
from model.synth.sketches import Placement, draw_digit
from model.weights import DEFAULT_WEIGHTS
from ui.corrections import KEPT, NO_CONSENT, TOO_MANY
from ui.feedback import OFF_TEXT
from ui.pad import CANVAS

pytestmark = pytest.mark.slow
SEVEN = draw_digit(7, Placement(CANVAS, (300, 160), 220, 4, 12), "white")
COLUMNS = ["id", "created", "input", "drawing", "label", "answer", "probs", "weights", "session", "verdict"]
STAR = render(next(d for d in drawings("test", per_kind=220) if d.item == "star" and d.style == "pad"))


@pytest.fixture(scope="module")
def server(feedback_server):
    return feedback_server  # this module's own app and database (conftest.py)


@pytest.fixture
def pad(server):
    client = PadClient(server.url)  # a fresh visitor (session) for each test
    yield client
    client.close()


def rows(server) -> list[dict]:
    db = sqlite3.connect(server.db)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM corrections ORDER BY id")]
    finally:
        db.close()


def test_without_consent_nothing_is_written(server, pad):
    before = len(rows(server))
    for consent in (False, None, "true", 1):  # only a real `true` counts as yes
        reply = pad.correct(SEVEN, digit=0, label=1, consent=consent)
        assert reply["stored"] is False and reply["message"] == NO_CONSENT
    assert len(rows(server)) == before


def test_with_consent_the_row_holds_the_servers_own_reading_and_nothing_else(server, pad):
    reading = pad.read(SEVEN)["reading"]["digits"][0]
    # a client that claims the model said 3 with certainty is not believed
    claims = {"answer": 3, "probabilities": [1] + [0] * 9}
    body = {"image": png_data_url(SEVEN), "digit": 0, "label": 1, "consent": True, **claims}
    reply = pad.call("correct_pad", body)
    assert (
        reply["stored"] is True and reply["message"] == KEPT and (reply["label"], reply["answer"]) == (1, 7)
    )
    row = rows(server)[-1]
    assert list(row) == COLUMNS  # no address, no free text
    assert row["id"] == reply["id"] and (row["label"], row["answer"]) == (1, 7)
    assert abs(row["created"] - time.time()) < 60
    probs = json.loads(row["probs"])
    assert probs == pytest.approx([reading["probabilities"][str(k)] for k in range(10)], abs=1e-4)
    assert len(row["input"]) == INPUT_BYTES
    seen = np.frombuffer(row["input"], np.float32).reshape(28, 28)
    assert seen.min() >= 0 and seen.max() <= 1 and seen[0].max() == 0  # MNIST-style: ink centred
    assert row["weights"] == hashlib.sha256(DEFAULT_WEIGHTS.read_bytes()).hexdigest()[:16]
    assert len(row["session"]) == 16 and pad.session not in row["session"]
    drawing = Image.open(io.BytesIO(row["drawing"]))
    assert drawing.mode == "L" and max(drawing.size) <= 128 and (np.asarray(drawing) < 128).mean() > 0.02


@pytest.mark.parametrize("label", [10, -2, 7.5, "77", "seven", "not a digit", "", None, True, [7]])
def test_a_label_that_is_not_one_digit_is_refused_and_not_stored(server, pad, label):
    before = len(rows(server))
    reply = pad.correct(SEVEN, digit=0, label=label)
    assert reply["stored"] is False and "the label must be one digit, 0 to 9" in reply["message"]
    assert len(rows(server)) == before


@pytest.mark.parametrize(("payload", "message"), [
    ({"digit": 1}, "there is no digit number 2 in that drawing (it has 1)"),
    ({"digit": -1}, "position must be a whole number"),
    ({"image": "data:image/png;base64,AAAA"}, "I can't read that drawing"),
    ({"image": None}, "I can't read that drawing"),
])  # fmt: skip
def test_a_wrong_digit_or_drawing_is_refused_with_a_message(server, pad, payload, message):
    before = len(rows(server))
    body = {"image": png_data_url(SEVEN), "digit": 0, "label": 7, "consent": True, **payload}
    reply = pad.call("correct_pad", body)
    assert reply["stored"] is False and message in reply["message"]
    assert len(rows(server)) == before


def test_one_visitor_cannot_flood_the_database(server, pad):
    before = len(rows(server))
    replies = [pad.correct(SEVEN, digit=0, label=7) for _ in range(30)]
    stored = [r for r in replies if r["stored"]]
    assert 5 <= len(stored) < 30 and len(rows(server)) == before + len(stored)
    assert all(r["message"] == TOO_MANY for r in replies if not r["stored"])
    other = PadClient(server.url, address="127.0.0.2")  # someone else is not held up by it
    assert other.correct(SEVEN, digit=0, label=7)["stored"] is True
    other.close()


def test_the_booth_counts_right_answers_and_mistakes_today(server, pad):
    def score() -> tuple[int, int]:
        time.sleep(2.1)  # the screen is counted at most every 2 s
        html = pad.booth()["html"]
        if "booth-total" not in html:
            return 0, 0
        right = html.split('data-testid="booth-right">')[1].split("<")[0]
        total = html.split('data-testid="booth-total">')[1].split("<")[0]
        return int(right), int(total)

    right, total = score()
    assert pad.correct(SEVEN, digit=0, label=7)["stored"]  # "Right!"
    assert score() == (right + 1, total + 1)
    assert pad.correct(SEVEN, digit=0, label=2)["stored"]  # "No, it was 2"
    assert score() == (right + 1, total + 2)
    assert 'title="drawn 2, read as 7: ' in pad.booth()["html"]


def test_a_drawing_marked_not_a_digit_is_kept_with_consent_and_counted_apart(server, pad):
    before = len(rows(server))
    digits_before = sum(r["label"] >= 0 for r in rows(server))
    reply = pad.correct(STAR, digit=0, label="not_a_digit", consent=False)
    assert reply["stored"] is False and reply["message"] == NO_CONSENT and len(rows(server)) == before
    verdict = pad.read(STAR)["reading"]["verdict"]
    assert verdict == "not_a_digit"
    reply = pad.correct(STAR, digit=0, label="not_a_digit")
    assert reply["stored"] is True and reply["label"] == -1
    row = rows(server)[-1]
    assert (row["id"], row["label"], row["verdict"]) == (reply["id"], -1, verdict)
    time.sleep(2.1)  # the screen is counted at most every 2 s
    html = pad.booth()["html"]
    doubted = int(html.split('data-testid="booth-not-digits-doubted">')[1].split("<")[0])
    total = int(html.split('data-testid="booth-not-digits-total">')[1].split("<")[0])
    assert doubted == total >= 1  # the reading had said so too
    digits = html.split('data-testid="booth-total">')[1].split("<")[0] if "booth-total" in html else "0"
    assert int(digits) == digits_before  # not counted as a digit


def test_programs_correct_through_the_documented_api(server, tmp_path):
    SEVEN.save(tmp_path / "seven.png")
    client = Client(server.url, verbose=False)
    before = len(rows(server))
    reply = client.predict(handle_file(str(tmp_path / "seven.png")), 0, 4, True, api_name="/correct")
    assert reply["stored"] is True and (reply["label"], reply["answer"]) == (4, 7)
    assert rows(server)[-1]["label"] == 4
    # consent is explicit: left out, nothing is kept
    assert (
        client.predict(image=handle_file(str(tmp_path / "seven.png")), label=4, api_name="/correct")["stored"]
        is False
    )
    assert (
        "one digit"
        in client.predict(handle_file(str(tmp_path / "seven.png")), 0, 12, True, api_name="/correct")[
            "message"
        ]
    )
    # a path on the server that was not uploaded is never opened
    with pytest.raises(Exception):  # noqa: B017 (gradio_client raises its own AppError)
        client.predict({"path": str(server.db)}, 0, 4, True, api_name="/correct")
    assert len(rows(server)) == before + 1


def unusable(kind: str, folder: Path) -> Path:
    """A database file that cannot be used (by an app without capabilities: see below)."""
    path = folder / "db.sqlite3"
    if kind == "damaged":
        path.write_bytes(b"not a database " * 1000)
        return path
    FeedbackStore.open(path).close()  # a good database of the current schema, then made read-only
    path.chmod(0o444)
    folder.chmod(0o555)
    return path


@pytest.mark.parametrize("kind", ["read-only", "damaged"])
def test_an_unusable_database_leaves_reading_alone_and_says_feedback_is_off(tmp_path, kind):
    folder = tmp_path / "db"
    folder.mkdir()
    path = unusable(kind, folder)
    before = path.read_bytes()
    # root writes anything: the app drops its capabilities, so file permissions apply to it too
    # (harness/warm_start.py's drop_capabilities, or setpriv when it starts cold)
    env = {"DIGIT_FEEDBACK_DB": str(path)}
    try:
        with AppServer(tmp_path / "app.log", env=env, no_capabilities=True) as app:
            pad = PadClient(app.url)
            assert pad.read(SEVEN)["number"] == "7"  # reading goes on
            booth = pad.booth()
            assert booth["on"] is False and OFF_TEXT in booth["html"]
            reply = pad.correct(SEVEN, digit=0, label=7)
            assert reply == {"stored": False, "message": OFF_TEXT, "off": True}
            config = pad.http.get(f"{app.url}config").json()
            (footer,) = [c for c in config["components"] if c.get("props", {}).get("elem_id") == "footer"]
            key = re.search(r'"key": "([\w.]+)"', footer["props"]["value"])[1]  # gr.I18n: per language
            assert "Corrections are off on this server right now." in config["i18n_translations"]["en"][key]
            pad.close()
            assert "Corrections are off:" in app.log() and "Traceback" not in app.log()
    finally:
        folder.chmod(0o755)
    assert path.read_bytes() == before
