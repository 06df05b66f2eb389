"""Reading worker processes: every core reads, while the app's own process serves HTTP.

    workers = Workers(2, weights, device="cpu")   # starts them; each loads the weights once
    reply = await workers.call("pad", payload)    # Answers.pad in a worker; raises WorkerFailed
    workers.pids                                  # their process ids
    workers.close()                               # none left behind

Readings are Python (decoding, segmentation, rendering) that hold the interpreter lock: in one
process, more reading threads added switching, not throughput (issue 27: one core of two busy).
Each worker is `python -m ui.worker` (ui/worker.py) on a pair of pipes. The event loop watches
each worker's stdout with add_reader, so a call awaits its reply without holding a thread. A
worker reads one job at a time and holds at most DEPTH (two): the next is already in its pipe when
it finishes one, instead of waiting for the app's loop to see the reply and send another, which
under a crowd (the loop busy with HTTP) left each worker idle for milliseconds per reading.
What crosses is small: the pad's payload (a PNG data URL of a few KB) in, the reply dict out.

A worker that dies (its pipe ends) or takes longer than `timeout_s` on one job is killed and
replaced; the job it was reading fails with WorkerFailed (the caller answers "please try again"),
the one waiting behind it goes to another worker, the others carry on. Workers end when their
stdin closes, so close() and the app's process ending, even by kill -9, leave none behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from model import ImageError

from .worker import HEADER, frame

ROOT = Path(__file__).resolve().parent.parent  # the checkout: `python -m ui.worker` runs from here
TIMEOUT_S = 30.0  # one reading takes milliseconds; a worker this slow is stuck, not busy
DEPTH = 2  # jobs a worker holds: the one it reads and the next, already in its pipe
RESTART_PAUSE_S = 1.0  # before replacing a worker that died before it was ready (no restart storm)
log = logging.getLogger("draw-a-digit")


class WorkerFailed(Exception):
    """The worker reading this job died, hung, or failed on it: the caller says "try again"."""


@dataclass(eq=False)
class _Job:
    id: int
    method: str
    args: tuple
    future: asyncio.Future
    live: bool = False  # a live frame's reading: any other waiting job goes first


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    pid: int | None = None  # set when it says it is ready
    jobs: deque[_Job] = field(default_factory=deque)  # sent to it, oldest first: it answers in order
    inbox: bytearray = field(default_factory=bytearray)
    outbox: bytearray = field(default_factory=bytearray)

    @property
    def stdin(self) -> int:
        return self.process.stdin.fileno()

    @property
    def stdout(self) -> int:
        return self.process.stdout.fileno()


class Workers:
    """`count` reading worker processes, started at once, replaced when one dies."""

    def __init__(
        self, count: int, weights: str | Path, device: str | None = None, timeout_s: float = TIMEOUT_S
    ) -> None:
        self.argv = [sys.executable, "-m", "ui.worker", "--weights", str(Path(weights).resolve())]
        self.argv += ["--device", device] if device else []
        self.timeout_s = timeout_s
        self._ids = itertools.count(1)
        self._pending: deque[_Job] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None  # bound on the first call
        self._closed = False
        self._workers = [self._start() for _ in range(max(1, count))]

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers, started or ready."""
        return [w.process.pid for w in self._workers]

    async def call(self, method: str, *args: object, live: bool = False) -> object:
        """`Answers.<method>(*args)` in a worker; a `live` one waits behind every other waiting
        (one already next in a worker's pipe is read before a later pen-up reading). Raises
        ImageError as the reading did, and WorkerFailed when the worker died, hung or failed on it."""
        if self._closed:
            raise WorkerFailed("the workers are closed")
        self._bind(asyncio.get_running_loop())
        job = _Job(next(self._ids), method, args, self._loop.create_future(), live)
        self._queue(job)
        self._dispatch()
        try:
            return await asyncio.wait_for(job.future, self.timeout_s)
        except asyncio.TimeoutError:
            # stuck on it, not merely holding it next behind a slow one (that reply is dropped)
            stuck = next((w for w in self._workers if w.jobs and w.jobs[0] is job), None)
            if stuck is not None:
                log.warning("reading worker %s stuck on a reading: replaced", stuck.pid)
                self._lost(stuck)
            raise WorkerFailed("the reading took too long") from None

    def _queue(self, job: _Job, front: bool = False) -> None:
        """Put `job` among the waiting: other readings before live frames, each kind in turn (at
        the front of its kind when `front`: a job given back by a worker that died)."""
        first_live = next((i for i, j in enumerate(self._pending) if j.live), len(self._pending))
        if job.live:
            self._pending.insert(first_live if front else len(self._pending), job)
        else:
            self._pending.insert(0 if front else first_live, job)

    def close(self) -> None:
        """Stop every worker: stdin closed (each finishes what it reads, then ends), killed if
        not gone within a few seconds."""
        self._closed = True
        workers, self._workers = self._workers, []
        for w in workers:
            self._unwatch(w)
            with contextlib.suppress(OSError):
                w.process.stdin.close()
        deadline = time.monotonic() + 5
        for w in workers:
            try:
                w.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                w.process.kill()
                w.process.wait()
            with contextlib.suppress(OSError):
                w.process.stdout.close()
        closed = WorkerFailed("the workers are closed")
        for job in self._pending:  # from the loop's own thread, which may not be this one
            with contextlib.suppress(RuntimeError):
                job.future.get_loop().call_soon_threadsafe(self._fail, job, closed)
        self._pending.clear()

    # ---- the processes -------------------------------------------------------------------
    def _start(self) -> _Worker:
        process = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
        worker = _Worker(process)
        os.set_blocking(worker.stdin, False)
        os.set_blocking(worker.stdout, False)
        if self._loop is not None:
            self._loop.add_reader(worker.stdout, self._readable, worker)
        return worker

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Watch the workers' pipes from `loop` (a program or a test may run several in turn)."""
        if loop is self._loop:
            return
        for w in self._workers:
            self._unwatch(w)
            w.outbox.clear()
            # their callers' loop is gone: the replies will be dropped
            w.jobs = deque(_Job(j.id, j.method, (), loop.create_future(), j.live) for j in w.jobs)
        self._pending = deque(j for j in self._pending if j.future.get_loop() is loop)
        self._loop = loop
        for w in self._workers:
            loop.add_reader(w.stdout, self._readable, w)

    def _unwatch(self, worker: _Worker) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError, ValueError, OSError):
            if asyncio.get_running_loop() is loop:  # the loop's own thread only
                loop.remove_reader(worker.stdout)
                loop.remove_writer(worker.stdin)

    def _lost(self, worker: _Worker) -> None:
        """`worker` died or hung: the job it was reading fails, the one behind it (never begun)
        waits again for another worker, and a new worker takes its place."""
        if worker not in self._workers:
            return
        self._workers.remove(worker)
        self._unwatch(worker)
        worker.process.kill()
        code = worker.process.wait()
        for pipe in (worker.process.stdin, worker.process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        if worker.jobs:
            self._fail(worker.jobs[0], WorkerFailed("the reading worker stopped"))
        for job in reversed(list(worker.jobs)[1:]):
            if self._closed:
                self._fail(job, WorkerFailed("the workers are closed"))
            else:
                self._queue(job, front=True)
        if self._closed:
            return
        log.warning("reading worker %s stopped (exit code %s): starting another", worker.pid, code)
        if worker.pid is None and self._loop is not None:  # died while starting: not in a tight loop
            self._loop.call_later(RESTART_PAUSE_S, self._replace)
        else:
            self._replace()
        if self._loop is not None and self._pending:  # the jobs given back, to the workers left
            self._loop.call_soon(self._dispatch)

    def _replace(self) -> None:
        if not self._closed:
            self._workers.append(self._start())

    # ---- the pipes -----------------------------------------------------------------------
    def _dispatch(self) -> None:
        """Give waiting jobs to ready workers: first to idle ones, then as the next of busy ones."""
        for depth in range(1, DEPTH + 1):
            for worker in list(self._workers):
                while self._pending and worker.pid is not None and len(worker.jobs) < depth:
                    if worker not in self._workers:
                        break
                    job = self._pending.popleft()
                    if not job.future.done():  # its caller may have given up
                        self._send(worker, job)

    def _send(self, worker: _Worker, job: _Job) -> None:
        worker.jobs.append(job)
        worker.outbox += frame((job.id, job.method, job.args))
        self._flush(worker)

    def _flush(self, worker: _Worker) -> None:
        try:
            sent = os.write(worker.stdin, worker.outbox)
        except BlockingIOError:
            sent = 0
        except OSError:  # its stdin is closed: it died
            self._lost(worker)
            return
        del worker.outbox[:sent]
        if worker.outbox:  # the rest when the pipe has room (a drawing over 64 KB)
            self._loop.add_writer(worker.stdin, self._flush, worker)
        else:
            self._loop.remove_writer(worker.stdin)

    def _readable(self, worker: _Worker) -> None:
        try:
            data = os.read(worker.stdout, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # its stdout ended: it died
            self._lost(worker)
            return
        worker.inbox += data
        while len(worker.inbox) >= HEADER.size:
            size = HEADER.unpack_from(worker.inbox)[0]
            if len(worker.inbox) < HEADER.size + size:
                break
            body = bytes(worker.inbox[HEADER.size : HEADER.size + size])
            del worker.inbox[: HEADER.size + size]
            self._reply(worker, *pickle.loads(body))
        self._dispatch()

    def _reply(self, worker: _Worker, job_id: int, ok: object, value: object) -> None:
        if job_id == 0:  # (0, "ready", pid): the weights are loaded
            worker.pid = value
            log.info("reading worker %s ready", value)
            return
        job = worker.jobs.popleft() if worker.jobs else None
        if job is None or job.id != job_id or job.future.done():
            return  # its caller gave up (a timeout, or a loop that is gone)
        if ok is True:
            job.future.set_result(value)
        else:
            kind, message = value
            job.future.set_exception(ImageError(message) if kind == "image" else WorkerFailed(message))

    def _fail(self, job: _Job, error: Exception) -> None:
        if not job.future.done() and not job.future.get_loop().is_closed():
            job.future.set_exception(error)
