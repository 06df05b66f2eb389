"""The app is made from settings: importing app.py builds nothing, writes nothing and starts no
thread; `create_app(settings)` opens what the settings name (a test's own database) and closes it.

    python -m pytest tests/test_app_setup.py
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from harness.pad_client import png_data_url
from harness.python_run import run_python
from harness.server import ROOT
from model.synth.sketches import Placement, draw_digit
from tests.conftest import checkout_files
from ui.pad import CANVAS
from ui.settings import Settings, cores_worth_a_worker

SEVEN = draw_digit(7, Placement(CANVAS, (300, 160), 220, 4, 12), "white")


def test_importing_the_app_builds_nothing_writes_nothing_and_starts_no_thread(fresh_app_import):
    # in a fresh interpreter (tests/conftest.py): no thread started, no page built, the
    # database not opened
    assert fresh_app_import["at_import"] == {"threads": 0, "demo": False, "files": []}
    # a host that asks for `app.demo` gets one page, made from the environment's settings
    assert fresh_app_import["asked"] == {"blocks": True, "same": True, "database": True}
    assert fresh_app_import["checkout unchanged"]  # such as data/corrections.sqlite3


# An app of a test's own, with its database in a temporary folder: in an interpreter of its own, as
# `python app.py` would make it (nothing imports app.py; tests/test_boundaries.py).
CREATE = """
import asyncio, json, sys, threading
import gradio as gr
from app import create_app
from ui.settings import Settings

folder, pad = sys.argv[1], json.loads(sys.argv[2])
app = create_app(Settings(feedback_db=f"{folder}/db.sqlite3", data=f"{folder}/data"))
writers = [t.name for t in threading.enumerate() if t.name == "feedback-writer"]
reply = asyncio.run(app.read_pad({**pad, "inside": 0}))
mark = {**pad, "digit": 0, "label": 7, "consent": True}
stored = asyncio.run(app.correct_pad(mark, gr.Request(session_hash="a-visitor")))
app.close()
left = [t.name for t in threading.enumerate() if t.name == "feedback-writer"]
print(json.dumps({"blocks": isinstance(app.demo, gr.Blocks), "writers": writers, "left": left,
                  "number": reply["number"], "inside": reply["inside"], "stored": stored["stored"]}))
"""


@pytest.mark.slow  # makes an app: the weights, the page, the database
def test_an_app_reads_and_keeps_corrections_in_the_database_its_settings_name(tmp_path):
    before = checkout_files()
    pad = json.dumps({"image": png_data_url(SEVEN)})
    result = run_python(["-c", CREATE, str(tmp_path), pad])  # forked warm (harness/python_run.py)
    assert result.returncode == 0, result.stderr
    made = json.loads(result.stdout.strip().splitlines()[-1])
    assert made["blocks"] and made["writers"] == ["feedback-writer"] and made["left"] == []
    assert made["number"] == "7" and 'data-testid="inside" data-digit="7"' in made["inside"]
    assert made["stored"] is True
    db = sqlite3.connect(tmp_path / "db.sqlite3")  # the row is in the database the settings named
    assert db.execute("SELECT label, answer FROM corrections").fetchall() == [(7, 7)]
    db.close()
    assert checkout_files() == before


def test_settings_come_from_the_environment_and_a_bad_number_is_named():
    settings = Settings.from_env(
        {"DIGIT_FEEDBACK_DB": "/srv/db.sqlite3", "DIGIT_KIOSK_IDLE": "45", "DIGIT_CONCURRENCY": ""}
    )
    assert str(settings.feedback_db) == "/srv/db.sqlite3" and settings.kiosk_idle == 45.0
    assert settings.concurrency == Settings().concurrency  # empty: the default
    # unset: the defaults, but for the served app's reading workers (one per core; Settings()
    # alone, for a program or a test, reads in its own process)
    assert Settings.from_env({}) == Settings(workers=cores_worth_a_worker())
    assert Settings.from_env({"DIGIT_WORKERS": "0"}).workers == 0 == Settings().workers
    assert Settings().feedback_db == ROOT / "data" / "corrections.sqlite3"
    with pytest.raises(ValueError, match="DIGIT_QUEUE_SIZE='lots' is not a whole number"):
        Settings.from_env({"DIGIT_QUEUE_SIZE": "lots"})
