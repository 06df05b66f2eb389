"""A reading worker's pipe (ui/worker.py): after each reply it watches the pipe a moment before
it sleeps on it, and that moment must never keep a job waiting nor the worker alive past the
pipe's end. Each test makes the moment 30 s, so a worker that waited it out would fail them.

python -m pytest tests/test_worker_pipe.py
"""

from __future__ import annotations

import os
import threading

import pytest

from harness.pad_client import png_data_url
from model.synth.sketches import Placement, draw_digit
from model.weights import DEFAULT_WEIGHTS
from ui.answers import Answers, load_model
from ui.pad import CANVAS
from ui.worker import Jobs, frame, serve

SEVEN = {"image": png_data_url(draw_digit(7, Placement(CANVAS, (300, 160), 220, 4, 12), "white"))}
AWAKE_S = 30.0  # far longer than any test waits: only a worker that never polls too long passes


@pytest.fixture(scope="module")
def answers() -> Answers:
    return Answers(load_model(DEFAULT_WEIGHTS))


class Worker:
    """serve() in a thread, on a pair of pipes, as ui/workers.py runs it in a process."""

    def __init__(self, answers: Answers) -> None:
        self.to_worker, jobs = os.pipe()[::-1]  # (write end, read end)
        replies, self.from_worker = os.pipe()[::-1]
        self.replies = Jobs(self.from_worker)
        out = os.fdopen(replies, "wb")
        self.thread = threading.Thread(target=self._serve, args=(answers, jobs, out), daemon=True)
        self.thread.start()
        assert self.reply()[1] == "ready"

    def _serve(self, answers: Answers, jobs: int, out) -> None:
        serve(answers, jobs, out, awake_s=AWAKE_S)
        out.close()

    def send(self, *jobs: tuple) -> None:
        os.write(self.to_worker, b"".join(frame(job) for job in jobs))

    def reply(self, within_s: float = 20.0) -> tuple:
        got: list = []
        reader = threading.Thread(target=lambda: got.append(self.replies.next()), daemon=True)
        reader.start()
        reader.join(within_s)
        assert got, f"no reply within {within_s} s"
        return got[0]

    def close(self) -> None:
        os.close(self.to_worker)


def test_a_job_already_waiting_is_read_at_once(answers):
    worker = Worker(answers)
    worker.send((1, "pad", (SEVEN,)), (2, "pad", (SEVEN,)))  # both in the pipe before the first is read
    first, second = worker.reply(), worker.reply()
    assert (first[0], second[0]) == (1, 2)
    assert first[2]["number"] == second[2]["number"] == "7"
    worker.close()


def test_a_job_that_comes_while_the_worker_is_awake_is_read(answers):
    worker = Worker(answers)
    worker.send((1, "pad", (SEVEN,)))
    assert worker.reply()[2]["number"] == "7"
    worker.send((2, "pad", (SEVEN,)))  # within the worker's awake moment
    assert worker.reply()[:2] == (2, True)
    worker.close()


def test_the_pipes_end_ends_the_worker_even_while_it_is_awake(answers):
    worker = Worker(answers)
    worker.send((1, "pad", (SEVEN,)))
    assert worker.reply()[0] == 1
    worker.close()  # the app closed the pipe (or died) just after the reply
    worker.thread.join(20)
    assert not worker.thread.is_alive()
