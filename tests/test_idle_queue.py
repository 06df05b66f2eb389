"""An app nobody is using sleeps (ui/idle_queue.py), and still starts a queued event at once.

    python -m pytest tests/test_idle_queue.py

Against `python app.py`: its threads' voluntary context switches counted from /proc while nobody
uses it (each wake-up of Gradio's queue loops is one), then photos read through the queued
/read_image event, as the Upload tab sends them, each after a pause long enough for the queue to
fall idle.
"""

from __future__ import annotations

import time
from pathlib import Path

from harness.bad_inputs import png_bytes
from harness.floods import read_photo
from model.synth.sketches import Placement, draw_digit

SEVEN = draw_digit(7, Placement((280, 280), (140, 140), 180, 0, 14))


def wakeups_per_second(pid: int, seconds: float) -> float:
    """Voluntary context switches a second of every thread of process `pid`, over `seconds`: a
    thread that sleeps or waits gives up its core, one switch per wake-up. Not the involuntary
    ones, which count how often a busy machine preempted it: both together came to 55 a second
    once, in a clean clone's run with the other pytest worker's tests beside it."""

    def switches() -> int:
        total = 0
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                status = (task / "status").read_text()
            except OSError:  # a thread that ended meanwhile
                continue
            lines = status.splitlines()
            total += sum(int(line.split()[1]) for line in lines if line.startswith("voluntary_ctxt_switches"))
        return total

    before, start = switches(), time.monotonic()
    time.sleep(seconds)
    return (switches() - before) / (time.monotonic() - start)


def test_an_idle_app_sleeps_instead_of_looking_for_work(app_server):
    read_photo(app_server.url, png_bytes(SEVEN))  # it has served something, then nothing
    time.sleep(1.0)
    # Gradio's queue alone, looking for work every 10 ms in two loops: well over 100 a second (146
    # with ui/idle_queue.py left out), in every window; an idle app about 22. The quieter of two
    # windows: a burst of the app's own (once 55 a second in a loaded run) is not polling.
    assert min(wakeups_per_second(app_server.process.pid, 3.0) for _ in range(2)) < 50


def test_an_idle_app_starts_a_queued_event_at_once(app_server):
    photo = png_bytes(SEVEN)
    read_photo(app_server.url, photo)
    times = []
    # idle again after each: pauses of several lengths, so that a queue that only looked now and
    # then would be caught at several points of its sleep
    for pause in (0.3, 0.55, 0.8, 1.05, 1.3):
        time.sleep(pause)
        seconds, number = read_photo(app_server.url, photo)
        assert number == "7", number
        times.append(seconds)
    # a photo takes tens of milliseconds; an idle sleep that missed the push would add up to 1 s
    assert sorted(times)[2] < 0.3, times
