"""It never falls over: broken weights at start-up, overload, a short soak.

python -m pytest tests/test_reliability.py
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

import psutil
import pytest
from gradio_client import Client, handle_file

from harness.pad_client import PadClient, png_data_url
from harness.server import ROOT, AppServer
from model.synth.sketches import Placement, draw_digit
from ui.pad import CANVAS

DAMAGES = ["missing", "truncated", "not safetensors"]


@pytest.fixture(scope="module")
def broken_starts(tmp_path_factory) -> dict[str, tuple[int, str]]:
    """`python app.py` on each kind of broken weights: {damage: (exit status, stderr)}, the
    three started at once."""
    folder = tmp_path_factory.mktemp("broken")
    starts = {}
    for damage in DAMAGES:
        weights = folder / f"{damage}.safetensors"
        if damage == "truncated":
            weights.write_bytes((ROOT / "weights" / "mlp.safetensors").read_bytes()[:5000])
        elif damage == "not safetensors":
            weights.write_bytes(b"PK\x03\x04 this is a zip, or a pickle, or anything else")
        env = {"DIGIT_WEIGHTS": str(weights), "DIGIT_FEEDBACK_DB": str(folder / "db")}
        log, errors = folder / f"{damage}.log", folder / f"{damage}.errors"
        starts[damage] = (AppServer(log, env=env, errors=errors, wait=False), errors)
    codes = {damage: server.process.wait(120) for damage, (server, _) in starts.items()}
    for server, _ in starts.values():
        server.stop()
    return {damage: (codes[damage], errors.read_text()) for damage, (_, errors) in starts.items()}


@pytest.mark.slow  # three starts of the app
@pytest.mark.parametrize("damage", DAMAGES)
def test_the_app_refuses_to_start_on_broken_weights_and_says_how_to_fix_it(broken_starts, damage):
    returncode, stderr = broken_starts[damage]
    assert returncode != 0
    assert "Cannot start" in stderr and "python train.py" in stderr
    assert "Traceback" not in stderr


def drawing(tmp_path, digit: int = 3) -> str:
    path = tmp_path / f"digit-{digit}.png"
    draw_digit(digit, Placement(CANVAS, (320, 160), 220, 0, 12), "white").save(path)
    return str(path)


def at_once(calls: list[Callable[[], object]]) -> list[tuple[object, float]]:
    """Every call in its own thread, all at the same moment: [(result or "error: ...", seconds)]."""
    outcomes: list[tuple[object, float]] = []
    start = threading.Barrier(len(calls))

    def one(call: Callable[[], object]) -> None:
        start.wait()
        tic = time.monotonic()
        try:
            outcomes.append((call(), time.monotonic() - tic))
        except Exception as e:
            outcomes.append((f"error: {e}", time.monotonic() - tic))

    threads = [threading.Thread(target=one, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.mark.slow
def test_a_full_server_says_busy_instead_of_hanging(tmp_path):
    path = drawing(tmp_path)
    seven = png_data_url(draw_digit(7, Placement(CANVAS, (320, 160), 220, 0, 12), "white"))
    env = {"DIGIT_QUEUE_SIZE": "1", "DIGIT_CONCURRENCY": "1"}
    with AppServer(tmp_path / "app.log", env=env) as server:
        # the pad's readings (no Gradio queue: the app's own gate): 1 running, 1 waiting
        replies = at_once([functools.partial(PadClient(server.url).read, seven) for _ in range(30)])
        assert len(replies) == 30, "some requests hung"
        assert not [r for r, _ in replies if isinstance(r, str)], "errors instead of answers"
        busy = [r for r, _ in replies if r["busy"]]
        assert busy, "30 readings at once into room for 2 should turn some away"
        assert all("Lots of people are drawing" in r["html"] and r["number"] == "" for r in busy)
        assert all(r["number"] == "7" for r, _ in replies if not r["busy"])
        assert max(seconds for _, seconds in replies) < 30

        # the upload tab's readings go through Gradio's queue, of size 1
        def upload(client: Client) -> str:
            return client.predict(handle_file(path), api_name="/read_image")[1]["number"]

        outcomes = at_once([functools.partial(upload, Client(server.url, verbose=False)) for _ in range(30)])
        assert len(outcomes) == 30, "some requests hung"
        refused = [o for o, _ in outcomes if o != "3"]
        assert refused, "30 requests at once into a queue of 1 should turn some away"
        assert all("queue is full" in o.lower() for o in refused), refused  # gradio_client's QueueError
        assert max(seconds for _, seconds in outcomes) < 30

        # and once the rush is over, the next visitor is served
        assert PadClient(server.url).read(seven)["number"] == "7"
        assert "Traceback" not in server.log()


@pytest.mark.slow
def test_a_short_soak_has_no_errors_and_flat_memory(app_server):
    drawings = {d: png_data_url(draw_digit(d, Placement(CANVAS, (320, 160), 220, 0, 12))) for d in (1, 4, 7)}
    server = psutil.Process(app_server.process.pid)
    errors: list[str] = []
    served = [0]

    def visitor(stop_at: float) -> None:
        pad = PadClient(app_server.url)
        k = 0
        while time.monotonic() < stop_at:
            digit = (1, 4, 7)[k % 3]
            k += 1
            try:
                reply = pad.read(drawings[digit])
                if reply["number"] != str(digit):
                    errors.append(f"read {reply['number']!r} for {digit}")
                served[0] += 1
            except Exception as e:
                errors.append(str(e))
        pad.close()

    def run(seconds: float) -> None:
        stop_at = time.monotonic() + seconds
        threads = [threading.Thread(target=visitor, args=(stop_at,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 60)

    run(5)  # warm up: caches, thread pools, allocator
    before = server.memory_info().rss
    run(20)
    grown = (server.memory_info().rss - before) / 2**20
    assert errors == []
    assert served[0] > 200
    assert grown < 40, f"server memory grew {grown:.0f} MB in 20 s"
