"""Limits at the door: request bodies are refused before they fill memory or the disk.

    demo.launch(app_kwargs=door(clients.address))       # the middleware and the error answers
    checked_examples(gr.Examples(...))                  # an example index that exists, or a clean no

An ASGI middleware in front of every Gradio route (issue 24, M1 and M2):
- a body longer than its route allows is refused with 413, from its Content-Length before a
  byte is read, or as soon as the bytes streamed in pass the limit (chunked bodies have none);
  Gradio otherwise reads whole bodies into memory (5, 50 and 200 MB to /component_server);
- an upload carries at most `upload_files` files, and each client uploads at most
  `client_upload_bytes` in `client_window_s` (Gradio took 40 files of 9.5 MB in one request);
- a body that stalls (no bytes for `body_idle_s`) is answered 408 and its socket freed;
- the reading gate (ui/admission.py) is told who each request is from, and how to see that
  they have gone;
- a KeyError or IndexError out of a Gradio route (an unknown component_id sent to
  /component_server) is answered 400 with one log line, not a 500 and a traceback;
- Gradio's deep links, which this app does not use, answer 404: each call wrote a state.json of
  every component (174 KB) into the upload folder, never swept.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio
import gradio as gr
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.admission import CALLER, Caller

log = logging.getLogger(__name__)
UPLOAD_PATH = "/gradio_api/upload"
CLOSED_PREFIXES = ("/gradio_api/deep_link",)  # routes no page of this app calls, that write files


@dataclass(frozen=True)
class DoorLimits:
    """What a request may carry. The pad's biggest payload is a 1 MB PNG as a data URL (1.4 MB
    of text, ui/pad.py), which the pad itself refuses with a message up to this limit (its
    bad-input tests send 3 MB); an upload is one photo of at most `upload_file_bytes` (launch's
    max_file_size), plus the form's own bytes."""

    body_bytes: int = 4 * 2**20
    upload_files: int = 2
    upload_file_bytes: int = 10 * 2**20
    client_upload_bytes: int = 100 * 2**20
    client_window_s: float = 600
    body_idle_s: float = 10

    @property
    def upload_body_bytes(self) -> int:
        return self.upload_files * self.upload_file_bytes + 64 * 2**10


class ByteBudget:
    """Bytes each key may spend per window; keys of past windows are forgotten."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_s, self._clock = limit, window_s, clock
        self._spent: dict[str, tuple[float, int]] = {}  # key -> (window start, bytes)
        self._lock = threading.Lock()

    def spend(self, key: str, n: int) -> bool:
        """Count `n` more bytes for `key`; False once the key is over its limit."""
        now = self._clock()
        with self._lock:
            start, spent = self._spent.get(key, (now, 0))
            if now - start >= self.window_s:
                start, spent = now, 0
            self._spent[key] = (start, spent + n)
            if len(self._spent) > 10_000:
                self._spent = {k: v for k, v in self._spent.items() if now - v[0] < self.window_s}
            return spent + n <= self.limit


class _Refused(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status, self.text = status, text


def _limited(address: str) -> str | None:
    """The address to count a client's limits by; None for this machine itself (tests and
    benchmarks, or a proxy on it that the app was not told about: then no per-client limit,
    rather than one allowance shared by every visitor)."""
    try:
        return None if ipaddress.ip_address(address).is_loopback else address
    except ValueError:
        return address


class DoorMiddleware:
    """The ASGI middleware; see the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        limits: DoorLimits,
        client_of: Callable[[Request], str],
    ) -> None:
        self.app, self.limits, self.client_of = app, limits, client_of
        self.uploads = ByteBudget(limits.client_upload_bytes, limits.client_window_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path.startswith(CLOSED_PREFIXES):
            await _answer(send, 404, "Not found.")
            return
        upload = path.rstrip("/") == UPLOAD_PATH
        limit = self.limits.upload_body_bytes if upload else self.limits.body_bytes
        request = Request(scope)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, f"The request is too large (the limit is {limit:,} bytes).")
            return
        count = _PartCounter(request.headers.get("content-type", "")) if upload else None
        client = _limited(self.client_of(request))
        received, refused, started, body_done = 0, None, False, False

        async def limited_receive() -> Message:
            nonlocal received, refused, body_done
            if body_done:  # a route waiting for the client to leave (an event stream): no clock
                return await receive()
            with anyio.move_on_after(self.limits.body_idle_s) as waited:
                message = await receive()
            if waited.cancelled_caught:
                refused = _Refused(408, "The request body was too slow to arrive.")
                raise refused
            if message["type"] == "http.request":
                body_done = not message.get("more_body", False)
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    refused = _Refused(413, f"The request is too large (the limit is {limit:,} bytes).")
                elif count is not None and count.feed(chunk) > self.limits.upload_files:
                    refused = _Refused(413, f"At most {self.limits.upload_files} files per upload.")
                elif upload and client is not None and not self.uploads.spend(client, len(chunk)):
                    refused = _Refused(
                        429, "You have uploaded a lot in a short time: please wait a few minutes."
                    )
                if refused is not None:
                    raise refused
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused is not None and not started:
                return  # our own answer goes out instead of whatever the route made of it
            started = started or message["type"] == "http.response.start"
            await send(message)

        answered = False

        async def client_gone() -> bool:
            # Tasks started during a request (Gradio's queue workers, from /startup-events) copy
            # this check with their context: once the request is answered it says "don't know".
            return not answered and await _hung_up(receive)

        CALLER.set(Caller(client, client_gone))
        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if refused is None:
                raise
            # a refusal, maybe re-raised by the route as something else: answered below, no log
        finally:
            answered = True
        if refused is not None and not started:
            await _answer(send, refused.status, refused.text)


class _PartCounter:
    """Counts the parts of a multipart body as it streams by (its boundary lines)."""

    def __init__(self, content_type: str) -> None:
        _, _, boundary = content_type.partition("boundary=")
        self.marker = b"--" + boundary.split(";")[0].strip().strip('"').encode("latin-1")
        self.seen = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> int:
        """Parts begun so far (the closing boundary is not counted)."""
        if len(self.marker) <= 2:
            return 0
        data = self._tail + chunk
        self.seen += data.count(self.marker + b"\r\n")
        self._tail = data[-(len(self.marker) + 1) :]
        return self.seen


async def _hung_up(receive: Receive) -> bool:
    """True when the client has closed its connection; never waits (once the body is read, the
    server's next message is a disconnect, sent when it happens). asyncio's own timeout, not
    anyio's cancel scope: that one writes the task's repr into its reason, a tenth of the app
    process's CPU per reading under one connection."""
    try:
        async with asyncio.timeout(0):  # cancelled at its first wait: the loop's next turn
            return (await receive())["type"] == "http.disconnect"
    except TimeoutError:
        return False


async def _answer(send: Send, status: int, text: str) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def door(
    client_of: Callable[[Request], str], limits: DoorLimits = DoorLimits(), more: Sequence[Middleware] = ()
) -> dict:
    """The FastAPI arguments for `launch(app_kwargs=...)`: the door's middleware (then `more`),
    and the answers to a route's KeyError and IndexError (what a request naming things that do
    not exist causes). `client_of` says who a request is from (ui/clients.py)."""
    return {
        "middleware": [Middleware(DoorMiddleware, limits=limits, client_of=client_of), *more],
        "exception_handlers": {KeyError: _bad_request, IndexError: _bad_request},
    }


async def _bad_request(request: Request, error: Exception) -> PlainTextResponse:
    log.warning("refused %s %s: %s %s", request.method, request.url.path, type(error).__name__, error)
    return PlainTextResponse("Bad request: it names something this app does not have.", status_code=400)


def checked_examples(examples: gr.Examples) -> gr.Examples:
    """`examples`, whose clicks must name an example that exists: another index is refused with
    a message, and no traceback (Gradio indexes its list with whatever the client sends)."""
    dataset = examples.dataset
    preprocess = dataset.preprocess

    def checked(payload: object) -> object:
        if payload is not None and not (isinstance(payload, int) and 0 <= payload < len(dataset.samples)):
            raise gr.Error("There is no such example.", print_exception=False)
        return preprocess(payload)

    dataset.preprocess = checked
    return examples
