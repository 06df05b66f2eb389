"""Which pages are open: the event streams each Gradio session holds right now.

    pages = OpenPages()
    demo.launch(app_kwargs={"middleware": [Middleware(PageStreams, pages=pages)]})
    pages.open(session)          # True while that session's page listens to the server

An open page holds two long requests: its heartbeat (GET /gradio_api/heartbeat/<session>) and,
while one of its events runs, the event stream (GET /gradio_api/queue/data?session_hash=...).
Gradio keeps no count of them, so a queued event from a client that never listens runs to the
end with nobody to see it. This ASGI middleware counts them per session: a stream stops counting
the moment the client disconnects (not when Gradio's clean-up after it ends), so work for a page
that is gone can be dropped, and a closing page can be told from one that is still open.
"""

from __future__ import annotations

import threading
from collections import Counter
from urllib.parse import parse_qs

HEARTBEAT = "/gradio_api/heartbeat/"
EVENTS = "/gradio_api/queue/data"
MAX_SESSION = 128  # longer strings are not Gradio's session hashes: not counted


class OpenPages:
    """Open event streams per session hash; safe from any thread."""

    def __init__(self) -> None:
        self._streams: Counter[str] = Counter()
        self._lock = threading.Lock()

    def open(self, session: str | None) -> bool:
        with self._lock:
            return bool(session) and self._streams[session] > 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._streams)

    def _enter(self, session: str) -> None:
        with self._lock:
            self._streams[session] += 1

    def _leave(self, session: str) -> None:
        with self._lock:
            self._streams[session] -= 1
            if self._streams[session] <= 0:
                del self._streams[session]  # nothing kept for a page that is gone


class PageStreams:
    """ASGI middleware: counts each session's heartbeat and event streams in `pages`."""

    def __init__(self, app, pages: OpenPages) -> None:
        self.app = app
        self.pages = pages

    async def __call__(self, scope, receive, send) -> None:
        session = _stream_session(scope)
        if session is None:
            await self.app(scope, receive, send)
            return
        self.pages._enter(session)
        left = False

        def leave() -> None:
            nonlocal left
            if not left:
                left = True
                self.pages._leave(session)

        async def watched_receive():
            message = await receive()
            if message.get("type") == "http.disconnect":
                leave()  # before Gradio's own clean-up (unload) runs
            return message

        try:
            await self.app(scope, watched_receive, send)
        finally:
            leave()


def _stream_session(scope) -> str | None:
    """The session hash of a heartbeat or event-stream request; None for anything else."""
    if scope.get("type") != "http" or scope.get("method") != "GET":
        return None
    path: str = scope.get("path", "")
    session = None
    if HEARTBEAT in path:
        session = path.split(HEARTBEAT, 1)[1].strip("/")
    elif path.endswith(EVENTS) or path.endswith(EVENTS + "/"):
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        session = (query.get("session_hash") or [None])[0]
    if not session or len(session) > MAX_SESSION:
        return None
    return session
