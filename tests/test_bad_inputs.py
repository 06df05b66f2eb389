"""A catalogue of bad inputs, each sent to the running app over HTTP: files to the upload tab
(gradio_client), and files and hostile payloads to the pad's own endpoint (a raw POST).

    python -m pytest tests/test_bad_inputs.py

Every one must get a sensible reading or a clear, friendly message; no traceback may reach the
caller; the server must keep answering, with bounded memory.
"""

from __future__ import annotations

import httpx
import psutil
import pytest
from gradio_client import handle_file
from PIL import Image

from harness.bad_inputs import CASES, SEVEN, answered_as_expected, catalogue, pad_payloads, png_bytes
from harness.pad_client import PadClient
from model.synth.sketches import draw_digit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> dict[str, tuple[str, str]]:
    folder = tmp_path_factory.mktemp("bad")
    files = {}
    for name, (data, filename, expected) in catalogue().items():
        path = folder / filename
        path.write_bytes(data)
        files[name] = (str(path), expected)
    return files


def check(reading: dict, html: str, expected: str) -> None:
    assert answered_as_expected(reading, html, expected), (expected, reading)


@pytest.mark.parametrize("case", CASES)
def test_upload_tab(client, bad_files, case):
    path, expected = bad_files[case]
    html, reading = client.predict(handle_file(path), api_name="/read_image")
    check(reading, html, expected)


PAD_CASES = pad_payloads()


@pytest.fixture(scope="module")
def pad(app_server):
    client = PadClient(app_server.url)
    yield client
    client.close()


@pytest.mark.parametrize("case", list(PAD_CASES))
def test_pad_endpoint(pad, case):
    """Whatever a program POSTs as the pad's data gets a reading or a friendly refusal."""
    payload, expected = PAD_CASES[case]
    response = pad.send(payload)
    assert response.status_code == 200, response.text[:300]
    reply = response.json()
    assert set(reply) >= {"html", "number", "reading", "busy"} and reply["busy"] is False
    check(reply["reading"], reply["html"], expected)
    assert reply["number"] == reply["reading"]["number"]


def test_no_image_on_the_upload_tab_gets_the_hint(client):
    html, reading = client.predict(None, api_name="/read_image")
    check(reading, html, "hint")


def test_an_upload_over_the_size_limit_is_refused_at_the_door(app_server):
    data = png_bytes(Image.new("L", (16, 16), 255)) + b"\0" * (11 * 2**20)  # > 10 MB
    response = httpx.post(
        f"{app_server.url}gradio_api/upload", files={"files": ("big.png", data)}, timeout=60
    )
    assert response.status_code == 413
    assert "maximum allowed size of 10485760 bytes" in response.text


def test_the_server_is_still_up_and_its_memory_bounded(client, pad, app_server, bad_files, tmp_path):
    server = psutil.Process(app_server.process.pid)

    def one_round() -> None:
        for case in CASES:
            client.predict(handle_file(bad_files[case][0]), api_name="/read_image")
        for payload, _ in PAD_CASES.values():
            assert pad.send(payload).status_code == 200

    one_round()  # warm: every bad input once
    before = server.memory_info().rss
    for _ in range(3):
        one_round()
    grown = (server.memory_info().rss - before) / 2**20
    assert app_server.alive()
    assert grown < 50, f"server memory grew {grown:.0f} MB over 3 rounds of bad inputs"
    image = draw_digit(9, SEVEN, "white")
    image.save(tmp_path / "nine.png")
    assert client.predict(handle_file(str(tmp_path / "nine.png")), api_name="/read_image")[1]["number"] == "9"
    assert "Traceback" not in app_server.log()
