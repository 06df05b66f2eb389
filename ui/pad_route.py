"""The Draw tab pad's readings answered by an ASGI middleware, not through Gradio's routes.

    middleware = [..., Middleware(PadRoute, component_id=pad_id, read=app.read_pad)]
    demo.launch(app_kwargs={"middleware": middleware})

Every reading the pad asks for is a POST to /gradio_api/component_server naming the pad's
component and `read_pad` (ui/pad.py, harness/pad_client.py). Gradio answers it through FastAPI:
matching the path among a hundred routes, solving the login dependency, parsing the body into a
model, inspecting the function's signature and type hints, making a session state for the hash,
encoding the reply. py-spy of the app's process under wrk (2026-12-03, two reading workers): that
was about a third of the process's CPU per reading, more than handing the drawing to a worker.

This middleware answers that one call itself: the same JSON in, the same function, the same
JSON out (orjson, as Gradio's ORJSONResponse renders it). It sits inside Gradio's CORS and
Brotli middlewares and our door (ui/limits.py: body limits, who the client is), so those apply
as before. Anything else, a body that is not that call, or an app behind a login (Gradio's
check then decides), goes on to Gradio with its body as it came.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .pad import PAD_FUNCTION

PATHS = ("/gradio_api/component_server", "/gradio_api/component_server/")


class PadRoute:
    """ASGI middleware: `await read(data)` for the pad's `read_pad` calls on `component_id`."""

    def __init__(self, app: ASGIApp, component_id: int, read: Callable[[object], Awaitable[dict]]) -> None:
        self.app = app
        self.component_id = component_id
        self.read = read

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or _route_path(scope) not in PATHS:
            await self.app(scope, receive, send)
            return
        app = scope.get("app")
        if getattr(app, "auth", None) is not None or getattr(app, "auth_dependency", None) is not None:
            await self.app(scope, receive, send)  # behind a login: Gradio's check first
            return
        body = await _body(receive)
        if body is None:
            return  # the client has gone: nobody to answer
        call = self._call(body)
        if call is None:
            await self.app(scope, _replay(body, receive), send)
            return
        # as Gradio's ORJSONResponse renders a reply (its `default` makes str of anything else)
        reply = orjson.dumps(await self.read(call["data"]), option=orjson.OPT_SERIALIZE_NUMPY, default=str)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(reply)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": reply})

    def _call(self, body: bytes) -> dict | None:
        """The parsed body when it is a `read_pad` call on our pad, else None."""
        try:
            call = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        ours = (
            isinstance(call, dict)
            and call.get("fn_name") == PAD_FUNCTION
            and call.get("component_id") == self.component_id
            and isinstance(call.get("session_hash"), str)
            and "data" in call
        )
        return call if ours else None


def _route_path(scope: Scope) -> str:
    """The path as the app's routes match it: without the root path a proxy may put before it."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _body(receive: Receive) -> bytes | None:
    """The request's whole body (the door, ui/limits.py, has bounded its size and pace); None
    when the client went before sending it all."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` with the body already read given back first, whole."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
