"""One reading worker: a process of its own that loads the weights once and answers readings sent
on its stdin, one at a time, on its stdout. Started by ui/workers.py, never by hand:

    python -m ui.worker --weights weights/mnist_mlp.safetensors --device cpu

Frames both ways are a 4-byte big-endian length and a pickle (the parent is the only peer: it
started this process, and the pipes are private to the two). In: (job id, method, args) with
method one of Answers' `pad`, `file`, `drawing`. Out: first (0, "ready", pid) once the weights
are loaded, then (job id, True, value) or (job id, False, (kind, message)) per job, kind "image"
for an ImageError (its message is for the visitor) or "error". The worker ends when its stdin
closes: the parent closed it, or the parent died (even by kill -9), so none is left behind.
A fresh interpreter (`-m`, not multiprocessing's spawn, which re-imports the parent's app.py and
so Gradio) keeps a worker to the model, Pillow and torch.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import pickle
import select
import struct
import sys
import time
from typing import BinaryIO

import torch

from model import ImageError

from .answers import Answers, load_model

HEADER = struct.Struct(">I")
METHODS = ("pad", "file", "drawing")
# After a reply, a worker watches its pipe this long before it sleeps on it: a lone visitor's
# next frame comes within about a millisecond (the app's HTTP), and waking a sleeping process on
# the other core of a virtual machine cost more CPU than the poll (docs/experiments.md, "What
# the benchmarks sent, and the last of a reading's Python"). Under a crowd the next job is
# already waiting and nothing is polled; an idle worker sleeps.
AWAKE_S = 0.002
log = logging.getLogger("draw-a-digit")


class Jobs:
    """Frames from the parent's pipe, read into a buffer of the worker's own, so that it knows
    whether a whole job is already waiting before it watches the pipe for the next one."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def next(self, awake_s: float = 0.0) -> object | None:
        """The next job, or None at the pipe's end; with `awake_s`, the pipe is polled that long
        before the worker sleeps on it."""
        deadline = time.perf_counter() + awake_s
        while not self._whole():
            if time.perf_counter() < deadline and not select.select([self.fd], [], [], 0)[0]:
                continue  # awake, and nothing yet
            chunk = os.read(self.fd, 1 << 16)  # something is there, or this sleeps until it is
            if not chunk:
                return None
            self.buffer += chunk
        size = HEADER.unpack_from(self.buffer)[0]
        body = bytes(self.buffer[HEADER.size : HEADER.size + size])
        del self.buffer[: HEADER.size + size]
        return pickle.loads(body)

    def _whole(self) -> bool:
        n = len(self.buffer)
        return n >= HEADER.size and n >= HEADER.size + HEADER.unpack_from(self.buffer)[0]


def frame(message: object) -> bytes:
    """`message` as one frame: length, then pickle."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body)) + body


def serve(answers: Answers, requests: int, replies: BinaryIO, awake_s: float = AWAKE_S) -> None:
    """Answer jobs from the pipe `requests` (a file descriptor) on `replies` until it ends,
    watching it `awake_s` after each reply before sleeping on it."""
    replies.write(frame((0, "ready", os.getpid())))
    replies.flush()
    jobs = Jobs(requests)
    awake = 0.0  # nothing answered yet: sleep until the first job
    while (job := jobs.next(awake)) is not None:
        awake = awake_s
        job_id, method, args = job
        try:
            if method not in METHODS:
                raise ValueError(f"no such job: {method!r}")
            value = getattr(answers, method)(*args)
            if method == "pad":
                value["worker"] = os.getpid()  # which process read it (tests check it went here)
            reply = (job_id, True, value)
        except ImageError as e:
            reply = (job_id, False, ("image", str(e)))
        except Exception as e:  # the parent answers "try again"; the log keeps the traceback
            log.exception("reading worker: job failed")
            reply = (job_id, False, ("error", f"{type(e).__name__}: {e}"))
        replies.write(frame(reply))
        replies.flush()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", required=True)
    p.add_argument("--device", default=None)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)  # to stderr, which is the app's log
    # Replies go on a private copy of stdout; anything printed (a library's warning) goes to stderr.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    torch.set_num_threads(1)  # one reading at a time: threads only add switching
    answers = Answers(load_model(args.weights, device=args.device))
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):  # the parent went away
        serve(answers, sys.stdin.fileno(), replies)
    os._exit(0)  # every reply is flushed; tearing torch down takes seconds on a busy machine


if __name__ == "__main__":
    main()
