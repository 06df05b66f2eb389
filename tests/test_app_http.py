"""The app for real: `python app.py` on a free local port, driven over HTTP: the pad's own
endpoint with raw POSTs (what the browser sends), the upload tab with gradio_client.

python -m pytest tests/test_app_http.py
"""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from harness.pad_client import PadClient, png_data_url
from harness.server import ROOT
from model.synth.sketches import Placement, draw_digit
from tests.conftest import canvas_png
from ui.pad import CANVAS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pad(app_server):
    client = PadClient(app_server.url)
    yield client
    client.close()


@pytest.mark.parametrize("digit", range(10))
def test_a_drawn_digit_is_recognised(pad, digit):
    reply = pad.read(draw_digit(digit, Placement(CANVAS, (300, 160), 220, 4, 12), "white"))
    assert reply["number"] == str(digit) and reply["busy"] is False and reply["sure"] is True
    (only,) = reply["reading"]["digits"]
    assert only["confidence"] > 0.8
    assert sum(only["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)


def test_the_pad_gets_the_cards_and_the_number_beside_them(pad):
    reply = pad.read(draw_digit(3, Placement(CANVAS, (320, 160), 200, 0, 12), "white"))
    html = reply["html"]
    assert reply["number"] == "3"
    assert 'class="card" data-digit="3"' in html
    assert html.count('class="bar-row') == 10 and html.count('class="bar-row top"') == 1
    assert 'src="data:image/png;base64,' in html  # the 28x28 the model saw
    assert 'class="number"' not in html  # the number itself is shown beside the canvas


@pytest.mark.parametrize("case", ["blank", "stray dot"])
def test_nothing_to_read_gets_the_hint_not_a_guess(pad, case):
    canvas = Image.new("RGBA", CANVAS, "white")
    if case == "stray dot":
        pixels = np.asarray(canvas).copy()
        pixels[150:160, 300:310, :3] = 0  # one tap of the brush
        canvas = Image.fromarray(pixels)
    reply = pad.read(canvas)
    assert reply["number"] == "" and reply["reading"]["digits"] == []
    assert "Draw a digit" in reply["reading"]["message"] and "Draw a digit" in reply["html"]


def test_the_look_inside_panel_costs_nothing_until_it_is_asked_for(pad):
    seven = draw_digit(7, Placement(CANVAS, (320, 160), 220, 0, 12), "white")
    closed = pad.read(seven)
    assert closed["inside"] is None
    opened = pad.send({"image": png_data_url(seven), "inside": 0}).json()
    assert 'data-testid="inside" data-digit="7"' in opened["inside"]
    assert opened["number"] == "7" and opened["html"] == closed["html"]
    for odd in (True, "0", -1, [0]):  # anything but a digit's index leaves the panel closed
        assert pad.send({"image": png_data_url(seven), "inside": odd}).json()["inside"] is None


def test_a_drawn_number_is_read_digit_by_digit(pad):
    reply = pad.read(Image.open(ROOT / "examples" / "drawn-2026.png"))
    assert reply["number"] == "2026"
    assert [d["digit"] for d in reply["reading"]["digits"]] == [2, 0, 2, 6]
    lefts = [d["box"][0] for d in reply["reading"]["digits"]]
    assert lefts == sorted(lefts)
    assert reply["html"].count('class="card"') == 4


def test_an_uploaded_photo_goes_through_the_same_pipeline(client):
    html, reading = client.predict(
        handle_file(str(ROOT / "examples" / "photo-5.jpg")), api_name="/read_image"
    )
    assert reading["number"] == "5"
    assert '<strong class="number">5</strong>' in html


def test_light_ink_on_a_dark_photo_is_read_too(client, tmp_path):
    image = draw_digit(4, Placement((300, 400), (150, 200), 260, -5, 16), "dark")
    reading = client.predict(handle_file(canvas_png(tmp_path, image)), api_name="/read_image")[1]
    assert reading["number"] == "4"


def test_the_pad_is_private_and_only_the_upload_is_public_api(app_server, client):
    info = httpx.get(f"{app_server.url}gradio_api/info", timeout=30).json()
    assert set(info["named_endpoints"]) == {"/read_image", "/correct"}  # and corrections (test_feedback.py)
    config = httpx.get(f"{app_server.url}config", timeout=30).json()
    assert config["run_history"] is False  # nothing a visitor draws stays in the browser
    assert httpx.get(f"{app_server.url}gradio_api/runs", timeout=30).status_code == 404
