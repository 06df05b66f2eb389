"""Run a generator in a thread of its own, at a lower CPU priority, so the readings come first.

    for snapshot in in_background(lambda: train_live(data_dir)):   # a Gradio generator's loop
        yield frame(snapshot)

A visitor's training on the CPU shares the cores with everyone's readings. Lowering the
training thread's priority (Linux: a thread has its own nice value) lets the kernel run a reading
the moment it arrives. Measured here, on 2 cores busy with other work (load average 5-8):
- in one process, a digit read every 10 ms beside a training thread: p99 12-18 ms at the same
  priority, 5-7 ms with the training at nice 10 (medians 2.0 ms either way);
- in the app (bench/learn_load.py, 4 visitors drawing, two runs each way, alternating): pen-up
  to answer while a visitor trains p50 25 and 30 ms, p99 175 and 136 ms at the same priority;
  p50 11 and 13 ms, p99 36 and 80 ms at nice 10. The runs took no longer (8-13 s against
  9-17 s): the noise of the shared machine is larger than any cost.

The thread runs at most one item ahead of the consumer, and stops at its next item once the
consumer is closed (a visitor who leaves), so the generator keeps its pause-at-each-yield manner.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
NICE = 10  # added to the training thread's nice value (0 by default; 19 is the lowest priority)
_END = object()


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def in_background(make: Callable[[], Iterator[T]], nice: int = NICE) -> Iterator[T]:
    """The items of `make()`, computed in a lower-priority thread of their own."""
    items: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        _lower_priority(nice)
        source = None
        try:
            source = make()
            for item in source:
                if not _put(items, item, stop):
                    return
            _put(items, _END, stop)
        except BaseException as e:  # handed to the consumer, raised there
            _put(items, _Raised(e), stop)
        finally:
            if hasattr(source, "close"):
                source.close()  # a generator left midway: its own clean-up runs here

    threading.Thread(target=produce, name="training", daemon=True).start()
    try:
        while (item := items.get()) is not _END:
            if isinstance(item, _Raised):
                raise item.error
            yield item
    finally:
        stop.set()


def _put(items: queue.Queue, item: object, stop: threading.Event) -> bool:
    """Put `item` when there is room; False once the consumer has gone."""
    while not stop.is_set():
        try:
            items.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _lower_priority(nice: int) -> None:
    """This thread's nice value raised by `nice` (Linux); elsewhere nothing changes."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)
    except (AttributeError, OSError):  # no per-thread priorities here (macOS, Windows)
        pass
