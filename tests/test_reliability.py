"""It never falls over: broken weights at start-up, overload, a short soak, forgotten uploads.

python -m pytest tests/test_reliability.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import gradio as gr
import psutil
import pytest
from gradio.components.image_editor import AcceptBlobs
from gradio_client import Client, handle_file

from harness.server import ROOT, AppServer
from harness.sketches import Placement, draw_digit
from ui import sketchpad

CANVAS = (640, 320)


@pytest.mark.parametrize("damage", ["missing", "truncated", "not safetensors"])
def test_the_app_refuses_to_start_on_broken_weights_and_says_how_to_fix_it(tmp_path, damage):
    weights = tmp_path / "mlp.safetensors"
    if damage == "truncated":
        weights.write_bytes((ROOT / "weights" / "mlp.safetensors").read_bytes()[:5000])
    elif damage == "not safetensors":
        weights.write_bytes(b"PK\x03\x04 this is a zip, or a pickle, or anything else")
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DIGIT_WEIGHTS": str(weights)},
    )
    assert result.returncode != 0
    assert "Cannot start" in result.stderr and "python train.py" in result.stderr
    assert "Traceback" not in result.stderr


def drawing(tmp_path, digit: int = 3) -> str:
    path = tmp_path / f"digit-{digit}.png"
    draw_digit(digit, Placement(CANVAS, (320, 160), 220, 0, 12), "white").save(path)
    return str(path)


def sketch(path: str) -> dict:
    return {"background": None, "layers": [], "composite": handle_file(path), "id": None}


@pytest.mark.slow
def test_a_full_queue_says_busy_instead_of_hanging(tmp_path):
    path = drawing(tmp_path)
    env = {"DIGIT_QUEUE_SIZE": "1", "DIGIT_CONCURRENCY": "1"}
    with AppServer(tmp_path / "app.log", env=env) as server:
        outcomes: list[tuple[str, float]] = []

        def visitor() -> None:
            client = Client(server.url, verbose=False)
            tic = time.monotonic()
            try:
                client.predict(sketch(path), api_name="/read_sketch")
                outcomes.append(("ok", time.monotonic() - tic))
            except Exception as e:
                outcomes.append((str(e), time.monotonic() - tic))

        threads = [threading.Thread(target=visitor) for _ in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(outcomes) == 30, "some requests hung"
        refused = [message for message, _ in outcomes if message != "ok"]
        assert refused, "30 requests at once into a queue of 1 should turn some away"
        assert all("full" in m.lower() or "busy" in m.lower() or "try again" in m.lower() for m in refused), (
            refused
        )
        assert max(seconds for _, seconds in outcomes) < 30
        # and once the rush is over, the next visitor is served
        result = Client(server.url, verbose=False).predict(sketch(path), api_name="/read_sketch")
        assert result[1]["number"] == "3"


@pytest.mark.slow
def test_a_short_soak_has_no_errors_and_flat_memory(app_server, tmp_path):
    paths = {d: drawing(tmp_path, d) for d in (1, 4, 7)}
    server = psutil.Process(app_server.process.pid)
    errors: list[str] = []
    served = [0]

    def visitor(stop_at: float) -> None:
        client = Client(app_server.url, verbose=False)
        k = 0
        while time.monotonic() < stop_at:
            digit = (1, 4, 7)[k % 3]
            k += 1
            try:
                reading = client.predict(sketch(paths[digit]), api_name="/read_sketch")[1]
                if reading["number"] != str(digit):
                    errors.append(f"read {reading['number']} for {digit}")
                served[0] += 1
            except Exception as e:
                errors.append(str(e))

    def run(seconds: float) -> None:
        stop_at = time.monotonic() + seconds
        threads = [threading.Thread(target=visitor, args=(stop_at,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 60)

    run(5)  # warm up: caches, thread pools, allocator
    before = server.memory_info().rss
    run(20)
    grown = (server.memory_info().rss - before) / 2**20
    assert errors == []
    assert served[0] > 50
    assert grown < 40, f"server memory grew {grown:.0f} MB in 20 s"


def test_uploads_whose_event_never_comes_are_forgotten(monkeypatch):
    with gr.Blocks():
        pad = sketchpad.DigitSketchpad(canvas_size=CANVAS)
    clock = [1000.0]
    monkeypatch.setattr(sketchpad.time, "monotonic", lambda: clock[0])

    def upload(upload_id: str) -> None:
        blob = {"type": "composite", "index": None, "file": b"", "id": upload_id}
        pad.accept_blobs(AcceptBlobs(data=blob, files=[("blob", b"png bytes")]))

    upload("abandoned")  # e.g. superseded by a later stroke, or the visitor closed the tab
    upload("read")
    assert pad.take_composite({"id": "read", "composite": None}) == b"png bytes"
    assert pad.pending_uploads == 1
    clock[0] += sketchpad.UPLOAD_TTL + 1
    upload("fresh")  # any later upload sweeps out what has waited too long
    assert pad.pending_uploads == 1
    assert pad.take_composite({"id": "fresh", "composite": None}) == b"png bytes"
    assert pad.pending_uploads == 0
