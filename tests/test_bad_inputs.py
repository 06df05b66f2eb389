"""A catalogue of bad inputs, each sent to the running app over HTTP (gradio_client).

    python -m pytest tests/test_bad_inputs.py

Every one must get a sensible reading or a clear, friendly message; no traceback may reach the
caller; the server must keep answering, with bounded memory.
"""

from __future__ import annotations

import psutil
import pytest
from gradio_client import handle_file
from PIL import Image

from harness.bad_inputs import CASES, SEVEN, catalogue, png_bytes
from harness.sketches import draw_digit

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
    assert "Traceback" not in html and "Traceback" not in reading["message"]
    if expected == "hint":
        assert reading["number"] == "" and "Draw a digit" in reading["message"]
    elif expected == "refused":
        assert reading["number"] == "" and reading["message"].startswith("Sorry, I can't read that image")
        assert reading["message"] in html or reading["message"].replace("'", "&#x27;") in html
    else:
        assert reading["number"] == expected, reading


@pytest.mark.parametrize("case", CASES)
def test_upload_tab(client, bad_files, case):
    path, expected = bad_files[case]
    html, reading = client.predict(handle_file(path), api_name="/read_image")
    check(reading, html, expected)


@pytest.mark.parametrize("case", CASES)
def test_sketch_endpoint(client, bad_files, case):
    """The same files sent as the pad's composite (a program can send anything there)."""
    path, expected = bad_files[case]
    value = {"background": None, "layers": [], "composite": handle_file(path), "id": None}
    html, reading = client.predict(value, api_name="/read_sketch")
    check(reading, html, expected)


@pytest.mark.parametrize(
    "value",
    [
        None,
        {"background": None, "layers": [], "composite": None, "id": None},
        {"background": None, "layers": [], "composite": None, "id": "no-such-upload"},
    ],
    ids=["no value", "empty pad", "composite missing"],
)
def test_empty_sketch_values_get_the_hint(client, value):
    html, reading = client.predict(value, api_name="/read_sketch")
    check(reading, html, "hint")


def test_no_image_on_the_upload_tab_gets_the_hint(client):
    html, reading = client.predict(None, api_name="/read_image")
    check(reading, html, "hint")


def test_an_upload_over_the_size_limit_is_refused_at_the_door(client, tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(png_bytes(Image.new("L", (16, 16), 255)) + b"\0" * (11 * 2**20))  # > 10 MB
    with pytest.raises(Exception, match=r"(?i)size|large|limit|413"):
        client.predict(handle_file(str(path)), api_name="/read_image")


def test_the_server_is_still_up_and_its_memory_bounded(client, app_server, bad_files, tmp_path):
    server = psutil.Process(app_server.process.pid)
    for case in CASES:  # warm: every bad input once
        client.predict(handle_file(bad_files[case][0]), api_name="/read_image")
    before = server.memory_info().rss
    for _ in range(3):
        for case in CASES:
            client.predict(handle_file(bad_files[case][0]), api_name="/read_image")
    grown = (server.memory_info().rss - before) / 2**20
    assert app_server.alive()
    assert grown < 50, f"server memory grew {grown:.0f} MB over 3 rounds of bad inputs"
    image = draw_digit(9, SEVEN, "white")
    image.save(tmp_path / "nine.png")
    assert client.predict(handle_file(str(tmp_path / "nine.png")), api_name="/read_image")[1]["number"] == "9"
    assert "Traceback" not in app_server.log()
