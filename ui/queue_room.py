"""Room in Gradio's queue that one kind of event cannot take from the others.

    demo.launch(app_kwargs={"middleware": [Middleware(QueueRoom, blocks=demo, group="learn", most=16)]})

Gradio 6.31 has one `max_size` for its whole queue and no per-event share of it: 300 Train
presses sent faster than they are answered filled it, and uploads and corrections were told
"Queue is full" (issue 24, H2). This ASGI middleware looks at each POST .../queue/join: when the
event belongs to concurrency group `group` and that group already has `most` events waiting in
Gradio's queue, the join is answered 503 at once, with `message`, before Gradio queues it. Only
the group's events are read; every other request passes untouched. (Concurrent joins can pass
the check together, so the group may overshoot `most` by the few joins in flight.)
"""

from __future__ import annotations

import json

JOIN = "/gradio_api/queue/join"
MAX_BODY = 64 * 1024  # a join's JSON is a few hundred bytes; a bigger one is not looked into
FULL = "Lots of people are training right now: please press Train again in a minute."


class QueueRoom:
    """ASGI middleware: at most `most` waiting events of concurrency group `group`."""

    def __init__(self, app, blocks, group: str, most: int, message: str = FULL) -> None:
        self.app = app
        self.blocks = blocks
        self.group = group
        self.most = most
        self.message = message

    async def __call__(self, scope, receive, send) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST" or not scope["path"].endswith(JOIN):
            await self.app(scope, receive, send)
            return
        body, more, messages = b"", True, []
        while more and len(body) <= MAX_BODY:  # read the join's body, keeping it to hand on
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            more = message.get("more_body", False) and message.get("type") == "http.request"

        async def replay():
            return messages.pop(0) if messages else await receive()

        if not more and self._full(body):
            detail = json.dumps({"detail": self.message}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(detail)).encode())]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": detail})
            return
        await self.app(scope, replay, send)

    def _full(self, body: bytes) -> bool:
        """Whether this join is for the group, and the group's waiting events are at `most`."""
        try:
            fn_index = json.loads(body).get("fn_index")
            fn = self.blocks.fns.get(fn_index) if isinstance(fn_index, int) else None
        except (ValueError, AttributeError, TypeError):
            return False  # Gradio answers a malformed join itself
        if fn is None or fn.concurrency_id != self.group:
            return False
        waiting = self.blocks._queue.event_queue_per_concurrency_id.get(self.group)  # Gradio's own count
        return waiting is not None and len(waiting.queue) >= self.most
