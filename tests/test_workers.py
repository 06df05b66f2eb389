"""Readings in worker processes (ui/workers.py): `python app.py` with DIGIT_WORKERS=2 over HTTP,
a worker killed under load, one killed with a reading waiting in its pipe, DIGIT_WORKERS=0, and
nothing left behind at shutdown.

python -m pytest tests/test_workers.py
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from harness.pad_client import PadClient, png_data_url
from harness.server import ROOT, AppServer
from model.synth.sketches import Placement, draw_digit
from model.weights import DEFAULT_WEIGHTS
from tests.conftest import run_apart
from ui.answers import TRY_AGAIN_PAD
from ui.pad import CANVAS
from ui.workers import WorkerFailed, Workers

pytestmark = pytest.mark.slow
SEVEN = png_data_url(draw_digit(7, Placement(CANVAS, (300, 160), 220, 4, 12), "white"))


def workers_of(pid: int) -> list[psutil.Process]:
    """The reading workers under process `pid` (python -m ui.worker), alive."""
    found = []
    for p in psutil.Process(pid).children(recursive=True):
        try:
            if "ui.worker" in p.cmdline() and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except psutil.NoSuchProcess:
            continue
    return found


def gone(processes: list[psutil.Process], within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    with AppServer(tmp_path_factory.mktemp("workers") / "app.log", env={"DIGIT_WORKERS": "2"}) as server:
        yield server


def test_with_two_workers_a_drawing_is_read_right_in_another_process(two_workers):
    pad = PadClient(two_workers.url)
    reply = pad.read(SEVEN)
    assert reply["number"] == "7" and reply["busy"] is False and 'class="card' in reply["html"]
    workers = {p.pid for p in workers_of(two_workers.process.pid)}
    assert len(workers) == 2 and reply["worker"] in workers  # read there, not in the server's process
    # the corrections' re-reading goes through them too, and the row keeps the worker's answer
    stored = pad.correct(SEVEN, 0, 7)
    assert stored["stored"] is True and stored["answer"] == 7


def test_a_worker_killed_under_load_costs_only_its_own_reading(two_workers):
    pad = PadClient(two_workers.url)
    before = workers_of(two_workers.process.pid)
    victim = before[0]

    def read(_: int) -> dict:
        response = PadClient(two_workers.url).send({"image": SEVEN})  # one client each, as visitors
        assert response.status_code == 200
        return response.json()

    with ThreadPoolExecutor(8) as pool:
        replies = pool.map(read, range(60))
        time.sleep(0.3)  # readings are flowing
        os.kill(victim.pid, signal.SIGKILL)
        replies = list(replies)
    # every request got an answer: the drawing read, or a clean "try again"; never an error page
    assert all(r["number"] == "7" or r["reading"]["message"] == TRY_AGAIN_PAD for r in replies), replies
    assert sum(r["number"] == "7" for r in replies) >= 50
    # the pool has two workers again, one of them new, and reads as before
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = {p.pid for p in workers_of(two_workers.process.pid)}
        if len(now) == 2 and victim.pid not in now and pad.read(SEVEN)["worker"] not in (victim.pid,):
            break
        time.sleep(0.5)
    assert len(now) == 2 and victim.pid not in now
    assert {pad.read(SEVEN)["number"] for _ in range(6)} == {"7"}
    assert "Traceback" not in two_workers.log()


def test_a_worker_that_dies_fails_only_the_reading_it_was_on_not_the_one_waiting_behind_it():
    async def run() -> tuple[object, object, int, int]:
        workers = Workers(1, DEFAULT_WEIGHTS, device="cpu")
        try:
            assert (await workers.call("pad", {"image": SEVEN}))["number"] == "7"  # ready
            victim = workers.pids[0]
            os.kill(victim, signal.SIGSTOP)  # it reads nothing more: both readings wait in its pipe
            first = asyncio.ensure_future(workers.call("pad", {"image": SEVEN}))
            second = asyncio.ensure_future(workers.call("pad", {"image": SEVEN}))
            await asyncio.sleep(0.2)
            os.kill(victim, signal.SIGKILL)
            done = await asyncio.gather(first, second, return_exceptions=True)
            return *done, victim, workers.pids[0]
        finally:
            workers.close()

    first, second, victim, now = run_apart(run())
    assert isinstance(first, WorkerFailed)  # the caller answers "please try again"
    assert isinstance(second, dict) and second["number"] == "7"  # read by the worker that replaced it
    assert second["worker"] == now != victim


def test_with_no_workers_the_server_reads_in_its_own_process(tmp_path):
    with AppServer(tmp_path / "app.log", env={"DIGIT_WORKERS": "0"}) as server:
        reply = PadClient(server.url).read(SEVEN)
        assert reply["number"] == "7" and "worker" not in reply
        assert workers_of(server.process.pid) == []


def test_stopping_the_server_leaves_no_worker_behind(tmp_path):
    server = AppServer(tmp_path / "app.log", env={"DIGIT_WORKERS": "2"})
    try:
        assert PadClient(server.url).read(SEVEN)["number"] == "7"
        workers = workers_of(server.process.pid)
        assert len(workers) == 2
        server.process.kill()  # not even a chance to clean up: the workers see their stdin close
        server.process.wait(15)
        assert gone(workers, within_s=15)
    finally:
        server.stop()


# In an interpreter of its own (forked warm: harness/warm_start.py), as `python app.py` makes it
# (nothing imports app.py; test_boundaries.py): it prints its workers' pids, closes the app when
# told (a file appears), and runs on until it is killed.
CLOSE = """
import sys, time
from pathlib import Path
from app import create_app
from ui.settings import Settings

app = create_app(Settings(feedback_db=sys.argv[1], workers=2))
print(*app.workers.pids, flush=True)
while not Path(sys.argv[2]).exists():
    time.sleep(0.05)
app.close()
print("closed", flush=True)
time.sleep(600)
"""


def printed(log: Path, lines: int, process, within_s: float = 120) -> list[str]:
    """The first `lines` lines `process` printed to `log`, once it has (or all it printed when it exits)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and process.poll() is None:
        text = log.read_text()
        if text.count("\n") >= lines:
            break
        time.sleep(0.05)
    return log.read_text().splitlines()[:lines]


def test_closing_the_app_stops_its_workers(tmp_path, warm_starts):
    told, log, errors = tmp_path / "close", tmp_path / "app.log", tmp_path / "errors.log"
    args = ["-c", CLOSE, str(tmp_path / "db.sqlite3"), str(told)]
    log.touch()  # (the forked child opens it to append)
    app = warm_starts.start(args, dict(os.environ), ROOT, log, errors)
    try:
        pids = printed(log, 1, app)
        assert pids, errors.read_text()[-2000:]
        workers = [psutil.Process(int(pid)) for pid in pids[0].split()]
        assert len(workers) == 2 and all(p.is_running() for p in workers)
        told.touch()
        assert printed(log, 2, app)[1:] == ["closed"], errors.read_text()[-2000:]
        assert gone(workers, within_s=10) and app.poll() is None  # gone while the app's process still runs
    finally:
        app.kill()
        app.wait(15)
