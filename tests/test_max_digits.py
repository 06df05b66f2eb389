"""The pad's bound on a reading: it sends how many digits its strokes can hold ("max_digits",
ui/pad_request.py), and the reading never returns more (read_drawing's max_digits).

python -m pytest tests/test_max_digits.py -m "not slow"     # the HTTP test is marked slow
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from PIL import Image

from harness.pad_client import PadClient, as_the_pad_sends
from model import load_classifier, read_drawing
from model.synth.sketches import brush_coverage, number_layout, paint, placed_strokes
from ui.pad import BRUSH, CANVAS


@cache
def clf():
    return load_classifier(device="cpu")


def written(number: str, height: float = 150, gap: float = 1.0) -> Image.Image:
    """A number written on the pad, digit by digit (`gap` < 1 brings them closer)."""
    cover = np.zeros(CANVAS[::-1], np.float32)
    for digit, place in number_layout(number, CANVAS, height, brush=BRUSH):
        x = CANVAS[0] / 2 + (place.center[0] - CANVAS[0] / 2) * gap
        place = type(place)(place.canvas, (x, place.center[1]), place.height, place.rotation, place.brush)
        for stroke in placed_strokes(digit, place):
            cover = np.maximum(cover, brush_coverage(stroke, CANVAS, BRUSH))
    return paint(cover, "white")


@pytest.mark.parametrize("number", ["2026", "417", "35"])
def test_a_reading_never_returns_more_digits_than_asked(number):
    image = written(number)
    free = read_drawing(image, clf())
    assert free.number == number
    for most in range(len(number) + 2):
        reading = read_drawing(image, clf(), max_digits=most)
        assert len(reading.digits) <= most, (most, reading.number)
        if most >= len(number):  # a bound that does not bind changes nothing
            assert reading.number == number and reading.verdict == free.verdict
        elif most >= 1:
            assert reading.digits, most  # ink is there: something is read


def test_touching_digits_bounded_to_one_are_read_as_all_their_ink():
    image = written("10", gap=0.55)  # the 1 and the 0 run together
    assert len(read_drawing(image, clf()).digits) == 2
    one = read_drawing(image, clf(), max_digits=1)
    assert len(one.digits) == 1 and one.verdict in ("number", "unsure", "not_a_digit")


@pytest.mark.slow
def test_the_server_bounds_the_pad_reading_by_what_the_pad_sends(app_server):
    pad = PadClient(app_server.url)
    image = as_the_pad_sends(written("2026"))
    assert pad.call("read_pad", {"image": image})["number"] == "2026"  # no bound sent: as ever
    for most in (1, 2, 3):
        reply = pad.call("read_pad", {"image": image, "max_digits": most})
        assert 1 <= len(reply["number"]) <= most, (most, reply["number"])
    assert pad.call("read_pad", {"image": image, "max_digits": 4})["number"] == "2026"
    pad.close()
