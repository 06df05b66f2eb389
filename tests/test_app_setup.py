"""The app is made from settings: importing app.py builds nothing, writes nothing and starts no
thread; `create_app(settings)` opens what the settings name (a test's own database) and closes it.

    python -m pytest tests/test_app_setup.py
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading

import gradio as gr
import pytest
import torch

from harness.pad_client import png_data_url
from harness.server import ROOT
from harness.sketches import Placement, draw_digit
from tests.conftest import checkout_files
from ui.pad import CANVAS
from ui.settings import Settings

SEVEN = draw_digit(7, Placement(CANVAS, (300, 160), 220, 4, 12), "white")

IMPORT = """
import threading
before = threading.active_count()
import app
print(threading.active_count() - before, "demo" in vars(app))
"""


def test_importing_the_app_builds_nothing_writes_nothing_and_starts_no_thread(tmp_path):
    before = checkout_files()
    env = {
        **os.environ,
        "DIGIT_FEEDBACK_DB": str(tmp_path / "db.sqlite3"),
        "DIGIT_DATA": str(tmp_path / "data"),
        "PYTHONDONTWRITEBYTECODE": "1",  # Python's own caches are not the app's doing
    }
    result = subprocess.run(
        [sys.executable, "-c", IMPORT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "0 False"  # no thread started, no page built
    assert list(tmp_path.iterdir()) == []  # the database it names was not opened
    assert checkout_files() == before  # nor anything in the checkout (data/corrections.sqlite3)


@pytest.fixture
def app(tmp_path):
    """An app of this test's own, in this process, with its database in a temporary folder."""
    import app as module

    threads = torch.get_num_threads()  # the app serves with one; the other tests train with more
    made = module.create_app(Settings(feedback_db=tmp_path / "db.sqlite3", data=tmp_path / "data"))
    yield made
    made.close()
    torch.set_num_threads(threads)


def test_an_app_reads_and_keeps_corrections_in_the_database_its_settings_name(app, tmp_path):
    assert isinstance(app.demo, gr.Blocks)
    reply = asyncio.run(app.read_pad({"image": png_data_url(SEVEN), "inside": 0}))
    assert reply["number"] == "7" and 'data-testid="inside" data-digit="7"' in reply["inside"]
    body = {"image": png_data_url(SEVEN), "digit": 0, "label": 7, "consent": True}
    stored = asyncio.run(app.correct_pad(body, gr.Request(session_hash="a-visitor")))
    assert stored["stored"] is True
    app.close()  # what was acknowledged is committed; the writer thread ends
    db = sqlite3.connect(tmp_path / "db.sqlite3")
    assert db.execute("SELECT label, answer FROM corrections").fetchall() == [(7, 7)]
    db.close()
    assert not [t for t in threading.enumerate() if t.is_alive() and "writer" in t.name.lower()]


def test_settings_come_from_the_environment_and_a_bad_number_is_named():
    settings = Settings.from_env(
        {"DIGIT_FEEDBACK_DB": "/srv/db.sqlite3", "DIGIT_KIOSK_IDLE": "45", "DIGIT_CONCURRENCY": ""}
    )
    assert str(settings.feedback_db) == "/srv/db.sqlite3" and settings.kiosk_idle == 45.0
    assert settings.concurrency == Settings().concurrency  # empty: the default
    assert Settings.from_env({}) == Settings()
    assert Settings().feedback_db == ROOT / "data" / "corrections.sqlite3"
    with pytest.raises(ValueError, match="DIGIT_QUEUE_SIZE='lots' is not a whole number"):
        Settings.from_env({"DIGIT_QUEUE_SIZE": "lots"})
