"""The app for real: `python app.py` on a free local port, driven over HTTP with gradio_client.

python -m pytest tests/test_app_http.py
"""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from harness.server import ROOT
from harness.sketches import Placement, draw_digit
from tests.conftest import canvas_png

pytestmark = pytest.mark.slow
CANVAS = (640, 320)


def sketch(path: str | None) -> dict:
    """The pad's value as the browser sends it: the composite is the drawing."""
    return {"background": None, "layers": [], "composite": handle_file(path) if path else None, "id": None}


def read_sketch(client, path: str | None) -> dict:
    html, reading = client.predict(sketch(path), api_name="/read_sketch")
    assert isinstance(html, str)
    return reading


@pytest.mark.parametrize("digit", range(10))
def test_a_drawn_digit_is_recognised(client, tmp_path, digit):
    image = draw_digit(digit, Placement(CANVAS, (300, 160), 220, 4, 18), "white")
    reading = read_sketch(client, canvas_png(tmp_path, image))
    assert reading["number"] == str(digit)
    (only,) = reading["digits"]
    assert only["confidence"] > 0.8
    assert sum(only["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)


def test_the_result_panel_shows_the_digit_bars_and_the_preview(client, tmp_path):
    image = draw_digit(3, Placement(CANVAS, (320, 160), 200, 0, 18), "white")
    html, _ = client.predict(sketch(canvas_png(tmp_path, image)), api_name="/read_sketch")
    assert '<strong class="number">3</strong>' in html
    assert html.count('class="bar-row') == 10 and html.count('class="bar-row top"') == 1
    assert 'src="data:image/png;base64,' in html  # the 28x28 the model saw


@pytest.mark.parametrize("case", ["blank", "no composite", "stray dot"])
def test_nothing_to_read_gets_the_hint_not_a_guess(client, tmp_path, case):
    if case == "no composite":
        path = None
    else:
        canvas = Image.new("RGBA", CANVAS, "white")
        if case == "stray dot":
            pixels = np.asarray(canvas).copy()
            pixels[150:160, 300:310, :3] = 0  # one tap of the brush
            canvas = Image.fromarray(pixels)
        path = canvas_png(tmp_path, canvas)
    html, reading = client.predict(sketch(path), api_name="/read_sketch")
    assert reading["number"] == "" and reading["digits"] == []
    assert "Draw a digit" in reading["message"] and "Draw a digit" in html


def test_an_uploaded_photo_goes_through_the_same_pipeline(client):
    html, reading = client.predict(
        handle_file(str(ROOT / "examples" / "photo-5.jpg")), api_name="/read_image"
    )
    assert reading["number"] == "5"
    assert '<strong class="number">5</strong>' in html


def test_a_drawn_number_is_read_digit_by_digit(client):
    path = str(ROOT / "examples" / "drawn-2026.png")
    html, reading = client.predict(sketch(path), api_name="/read_sketch")
    assert reading["number"] == "2026"
    assert [d["digit"] for d in reading["digits"]] == [2, 0, 2, 6]
    lefts = [d["box"][0] for d in reading["digits"]]
    assert lefts == sorted(lefts)
    assert html.count('class="card"') == 4


def test_light_ink_on_a_dark_photo_is_read_too(client, tmp_path):
    image = draw_digit(4, Placement((300, 400), (150, 200), 260, -5, 16), "dark")
    reading = client.predict(handle_file(canvas_png(tmp_path, image)), api_name="/read_image")[1]
    assert reading["number"] == "4"
