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
import struct
import sys
from typing import BinaryIO

import torch

from model import ImageError

from .answers import Answers, load_model

HEADER = struct.Struct(">I")
METHODS = ("pad", "file", "drawing")
log = logging.getLogger("draw-a-digit")


def read_frame(stream: BinaryIO) -> object | None:
    """The next message on `stream`, or None at its end."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    body = stream.read(HEADER.unpack(header)[0])
    return pickle.loads(body) if body is not None else None


def frame(message: object) -> bytes:
    """`message` as one frame: length, then pickle."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(body)) + body


def serve(answers: Answers, requests: BinaryIO, replies: BinaryIO) -> None:
    """Answer jobs from `requests` on `replies` until `requests` ends."""
    replies.write(frame((0, "ready", os.getpid())))
    replies.flush()
    while (job := read_frame(requests)) is not None:
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
        serve(answers, sys.stdin.buffer, replies)
    os._exit(0)  # every reply is flushed; tearing torch down takes seconds on a busy machine


if __name__ == "__main__":
    main()
