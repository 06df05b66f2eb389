"""Gradio's queue, waiting for work while it has none instead of looking for it every 10 ms.

    wait_when_idle(demo._queue)   # once the queue exists (app.py, after demo.queue(...))

Gradio's queue (gradio/queueing.py) runs two loops that, with nothing queued and nothing running,
sleep a few milliseconds and look again (`sleep_when_free`, `progress_update_sleep_when_free`):
about 200 wake-ups a second, 2-3% of a core for an app nobody is using (docs/measurements.md).
Here, while every such queue holds nothing and runs nothing, those two sleeps wait for the next
event pushed instead (at most IDLE_S, should a wake-up be missed); busy, they sleep as before.
Only the `asyncio` that gradio.queueing sees is wrapped; a Gradio whose queue looks different
(no such loops, or a push we cannot wrap) is left as it is: it only polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref

from gradio import queueing

IDLE_S = 1.0  # the longest an idle queue sleeps without being woken (a safety net, not a poll)
_queues: weakref.WeakSet = weakref.WeakSet()  # the queues that wait when idle
_wake: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> its asyncio.Event


def _idle(queue) -> bool:
    return len(queue) == 0 and all(job is None for job in queue.active_jobs)


def _woken(loop: asyncio.AbstractEventLoop) -> asyncio.Event:
    if loop not in _wake:
        _wake[loop] = asyncio.Event()
    return _wake[loop]


def _wake_up() -> None:
    """Wake the idle loops of the running event loop: something was pushed."""
    loop = asyncio.get_running_loop()
    if loop in _wake:
        _wake.pop(loop).set()  # the sleepers hold this one; the next idle sleep gets a new one


class _Asyncio:
    """gradio.queueing's `asyncio`: the module itself, but for a sleep that waits when idle."""

    def __getattr__(self, name: str):
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result=None):
        polls = {p for q in list(_queues) for p in (q.sleep_when_free, q.progress_update_sleep_when_free)}
        if delay in polls and all(_idle(q) for q in list(_queues)):
            event = _woken(asyncio.get_running_loop())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), IDLE_S)
            return result
        return await asyncio.sleep(delay, result)


def wait_when_idle(queue) -> bool:
    """Make Gradio's `queue` wait for work while idle; False (and nothing changed) for a queue
    that does not look like the one this was written for."""
    needed = ("push", "active_jobs", "sleep_when_free", "progress_update_sleep_when_free")
    if not all(hasattr(queue, name) for name in needed) or getattr(queueing, "asyncio", None) is None:
        return False
    if "push" not in vars(queue):  # once per queue
        push = queue.push

        async def pushed(*args, **kwargs):
            try:
                return await push(*args, **kwargs)
            finally:
                _wake_up()

        queue.push = pushed
    _queues.add(queue)
    if not isinstance(queueing.asyncio, _Asyncio):
        queueing.asyncio = _Asyncio()
    return True
