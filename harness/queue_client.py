"""Press a button of the running app the way its page does: through Gradio's queue, raw.

    app = QueueClient("http://127.0.0.1:7860/")
    for message in app.press("learn-train"):     # a fresh session; each SSE message as it comes
        message["msg"], message["t"]              # "estimation", "process_starts", ... and when

The protocol (gradio/routes.py; GRADIO_NOTES.md): POST /gradio_api/queue/join with the event's
fn_index, trigger id and a session hash, then read GET /gradio_api/queue/data?session_hash=...
as server-sent events until "process_completed". Leaving the loop early closes the stream, as a
visitor who closes the page does. Light: httpx only, no gradio_client.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator

import httpx


class QueueClient:
    """Trigger the app's queued events by the elem_id of the component that fires them."""

    def __init__(self, url: str, timeout: float = 120, headers: dict[str, str] | None = None) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(timeout=timeout, headers=headers)  # headers: e.g. X-Forwarded-For
        self.config = self.http.get(f"{self.url}/config").json()

    def event(self, elem_id: str, event: str = "click") -> tuple[int, int]:
        """(fn_index, trigger id) of the `event` of the component with this elem_id."""
        ids = {c["id"] for c in self.config["components"] if c.get("props", {}).get("elem_id") == elem_id}
        for dependency in self.config["dependencies"]:
            for target, name in dependency["targets"]:
                if target in ids and name == event:
                    return dependency["id"], target
        raise LookupError(f"no {event} event on #{elem_id}")

    def press(self, elem_id: str, data: list | None = None, session: str | None = None) -> Iterator[dict]:
        """Fire the event in a session (a fresh one by default) and yield its messages, each with
        "t" (time.monotonic() on arrival), until it completes."""
        fn_index, trigger = self.event(elem_id)
        session = session or secrets.token_hex(8)
        body = {"data": data or [], "event_data": None, "fn_index": fn_index, "trigger_id": trigger}
        joined = self.http.post(f"{self.url}/gradio_api/queue/join", json={**body, "session_hash": session})
        joined.raise_for_status()
        url = f"{self.url}/gradio_api/queue/data"
        with self.http.stream("GET", url, params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = {**json.loads(line[5:]), "t": time.monotonic()}
                yield message
                if message.get("msg") in ("process_completed", "close_stream"):
                    return

    def close(self) -> None:
        self.http.close()
