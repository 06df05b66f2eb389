"""Gradio's login check runs on the event loop (ui/login_check.py) and still guards what it
guarded: with a password set, the pad's endpoint refuses a caller who has not logged in and
serves one who has.

    python -m pytest tests/test_login_check.py
"""

from __future__ import annotations

import gradio as gr
import httpx
import pytest

from harness.server import free_port
from ui.login_check import check_logins_on_the_loop

pytestmark = pytest.mark.slow  # a server

ASK = {"session_hash": "s", "component_id": 1, "fn_name": "no_such_function", "data": {}}


@pytest.fixture(scope="module")
def guarded():
    """A page behind a password, its login check moved onto the loop: (url, whether it moved)."""
    with gr.Blocks() as demo:
        gr.Markdown("behind a password")
    port = free_port()
    demo.launch(server_port=port, auth=("ada", "lovelace"), prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}", check_logins_on_the_loop(demo.server_app)
    finally:
        demo.close()


def test_the_check_is_found_in_this_gradio(guarded):
    _, moved = guarded
    assert moved  # False would mean a Gradio whose routes changed: the override did nothing


def test_a_caller_who_has_not_logged_in_is_refused(guarded):
    url, _ = guarded
    response = httpx.post(f"{url}/gradio_api/component_server", json=ASK)
    assert response.status_code == 401
    assert response.json()["detail"]["error"] == "Not authenticated"


def test_a_caller_who_has_logged_in_gets_past_the_check(guarded):
    url, _ = guarded
    with httpx.Client() as http:
        assert http.post(f"{url}/login", data={"username": "ada", "password": "lovelace"}).status_code == 200
        response = http.post(f"{url}/gradio_api/component_server", json=ASK)
    assert response.status_code == 404  # past the guard: Gradio looked for the function
    assert response.json()["detail"] == "Function not found."
