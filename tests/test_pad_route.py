"""The pad's readings answered by ui/pad_route.py, in front of Gradio's routes: the same bytes as
Gradio's own route gives for the same function, no Gradio session made for them, every other
call (another function, another component, a body that is not a call) still Gradio's, with its
body whole; and behind a login, Gradio's check first.

    python -m pytest tests/test_pad_route.py
"""

from __future__ import annotations

import gradio as gr
import httpx
import pytest
from starlette.middleware import Middleware

from harness.server import free_port
from ui.pad import drawing_pad
from ui.pad_route import PadRoute

pytestmark = pytest.mark.slow  # servers

PATH = "/gradio_api/component_server"


async def read(payload: object) -> dict:
    """Stands in for the app's reading: a reply of every JSON kind, made from the payload."""
    image = payload.get("image", "") if isinstance(payload, dict) else ""
    return {"html": f"<p>读 {image[:12]}</p>", "number": "7", "sure": True, "busy": False, "score": 0.125,
            "reading": {"digits": [{"probs": [0.5, 0.25]}], "message": None}, "inside": None}  # fmt: skip


async def same_read(payload: object) -> dict:
    """The same function under another name: Gradio's own route answers it."""
    return await read(payload)


def _serve(auth: tuple[str, str] | None = None):
    with gr.Blocks() as demo:
        pad = drawing_pad(read, examples=[], empty_html="", server_functions=[same_read])
    port = free_port()
    middleware = [Middleware(PadRoute, component_id=pad._id, read=read)]
    demo.launch(
        server_port=port,
        auth=auth,
        prevent_thread_lock=True,
        quiet=True,
        app_kwargs={"middleware": middleware},
    )
    return demo, f"http://127.0.0.1:{port}", pad._id


@pytest.fixture(scope="module")
def served():
    demo, url, pad_id = _serve()
    try:
        yield demo, url, pad_id
    finally:
        demo.close()


def _call(pad_id: int, session: str, fn: str = "read_pad", data: object = None) -> dict:
    data = {"image": "data:image/png;base64,AAAA"} if data is None else data
    return {"session_hash": session, "component_id": pad_id, "fn_name": fn, "data": data}


def test_a_reading_comes_back_as_gradios_route_would_give_it_and_makes_no_session(served):
    demo, url, pad_id = served
    with httpx.Client(base_url=url) as http:
        ours = http.post(PATH, json=_call(pad_id, "ours"))
        gradios = http.post(PATH, json=_call(pad_id, "gradios", fn="same_read"))
    assert ours.status_code == gradios.status_code == 200
    assert ours.headers["content-type"] == gradios.headers["content-type"] == "application/json"
    assert ours.content == gradios.content  # byte for byte, non-ASCII text and floats too
    assert ours.json()["html"] == "<p>读 data:image/p</p>"
    # Gradio's route keeps a session state for every hash it is sent; this path makes none
    assert "gradios" in demo.server_app.state_holder
    assert "ours" not in demo.server_app.state_holder


def test_every_other_call_reaches_gradio_with_its_body_whole(served):
    _, url, pad_id = served
    big = {"image": "x" * 300_000}  # several chunks on the wire: read, then handed on whole
    with httpx.Client(base_url=url) as http:
        other = http.post(PATH, json=_call(pad_id, "s", fn="same_read", data=big))
        missing = http.post(PATH, json=_call(pad_id, "s", fn="no_such_function"))
        not_json = http.post(PATH, content=b"{not json", headers={"content-type": "application/json"})
        elsewhere = http.post("/elsewhere" + PATH, json=_call(pad_id, "s"))  # not the route: Gradio's 404
    assert other.status_code == 200 and other.json()["html"] == "<p>读 xxxxxxxxxxxx</p>"
    assert missing.status_code == 404 and missing.json()["detail"] == "Function not found."
    assert (not_json.status_code, not_json.json()) == (400, {"detail": "Invalid JSON body."})  # Gradio's
    assert elsewhere.status_code == 404


def test_behind_a_login_gradios_check_comes_first():
    demo, url, pad_id = _serve(auth=("ada", "lovelace"))
    try:
        refused = httpx.post(f"{url}{PATH}", json=_call(pad_id, "s"))
        with httpx.Client(base_url=url) as http:
            assert http.post("/login", data={"username": "ada", "password": "lovelace"}).status_code == 200
            allowed = http.post(PATH, json=_call(pad_id, "s"))
    finally:
        demo.close()
    assert refused.status_code == 401
    assert allowed.status_code == 200 and allowed.json()["number"] == "7"
