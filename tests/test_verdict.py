"""The reading says what it is: "number", "unsure", "not_a_digit" or "empty", with thresholds that
training wrote (weights/verdict.json), in read_drawing, /read_image's JSON and the pad's reply.

python -m pytest tests/test_verdict.py -m "not slow"     # the HTTP tests are marked slow
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from harness.pad_client import PadClient, as_the_pad_sends
from model import load_classifier, read_drawing
from model.numbers import load_reader
from model.numbers.verdict import DEFAULT_VERDICT, load_verdict, save_verdict
from model.synth.nondigits import drawings, render
from model.synth.sketches import brush_coverage, draw_digit, paint, polyline_points, random_placement
from model.weights import WeightsError
from tests.conftest import canvas_png

PER_ITEM = 10  # drawings of each shape, the first ones of the test split (another font than tune's)


@cache
def clf():
    return load_classifier(device="cpu")


@cache
def shapes(item: str) -> tuple[Image.Image, ...]:
    """The first PER_ITEM drawings of `item` in the test split, pad and uploads, as drawn."""
    found = [render(d) for d in drawings("test", per_kind=220) if d.item == item]
    assert len(found) >= PER_ITEM
    return tuple(found[:PER_ITEM])


@pytest.mark.parametrize("item", ["A", "smiley", "star"])
def test_letters_smileys_and_stars_are_not_digits(item):
    verdicts = [read_drawing(image, clf()).verdict for image in shapes(item)]
    assert verdicts.count("not_a_digit") > PER_ITEM / 2, verdicts  # most, over a fixed batch


@pytest.mark.parametrize("digit", [0, 1, 8])
def test_plainly_drawn_digits_are_numbers(digit):
    rng = np.random.default_rng(digit)
    for _ in range(6):
        reading = read_drawing(draw_digit(digit, random_placement(rng)), clf())
        assert reading.verdict == "number" and reading.number == str(digit), reading.to_dict()
        assert not any(d.not_a_digit for d in reading.digits)


def test_not_a_digit_keeps_the_guess_and_says_which_piece():
    reading = read_drawing(shapes("star")[0], clf())
    data = reading.to_dict()
    assert data["verdict"] == reading.verdict and data["number"] == reading.number != ""
    assert [d["not_a_digit"] for d in data["digits"]] == [d.not_a_digit for d in reading.digits]
    # a star read as several digits: at least one of its pieces, or the drawing, is doubted
    assert reading.verdict == "not_a_digit"


def test_an_empty_drawing_is_empty():
    reading = read_drawing(np.full((64, 64), 255, np.uint8), clf())
    assert reading.verdict == "empty" and reading.to_dict()["verdict"] == "empty"


def test_the_threshold_is_data_that_moves_the_verdict(tmp_path):
    shipped = load_verdict()
    assert shipped is not None and shipped.provenance["command"] == "python train.py --verdict"
    one = draw_digit(1, random_placement(np.random.default_rng(5)))
    reading = read_drawing(one, clf(), load_reader(verdict=DEFAULT_VERDICT))
    assert reading.verdict == "number"
    # the same drawing, with the line moved just above its score: no longer a digit
    path = tmp_path / "verdict.json"
    above = reading.score + 0.01
    save_verdict(dataclasses.replace(shipped, not_a_digit=above, unsure=max(shipped.unsure, above)), path)
    moved = read_drawing(one, clf(), load_reader(verdict=path))
    assert moved.verdict == "not_a_digit" and moved.number == "1" and moved.digits[0].not_a_digit
    # between the two lines: a guess
    save_verdict(dataclasses.replace(shipped, not_a_digit=reading.score - 1, unsure=above), path)
    assert read_drawing(one, clf(), load_reader(verdict=path)).verdict == "unsure"


def test_the_not_a_digit_checks_weight_is_data_that_moves_the_verdict(tmp_path):
    shipped = load_verdict()
    assert shipped.weight > 0  # python train.py --verdict chose it, with the check's file there
    hearts = shapes("heart")  # which the classifier and the whole-digit check both read as a 0
    with_check = [read_drawing(h, clf()) for h in hearts]
    path = tmp_path / "verdict.json"
    save_verdict(dataclasses.replace(shipped, weight=0.0), path)  # the same lines, no third part
    without = [read_drawing(h, clf(), load_reader(verdict=path)) for h in hearts]
    assert all(a.score <= b.score for a, b in zip(with_check, without))  # the part is a log-probability
    numbers = [sum(r.verdict == "number" for r in rs) for rs in (with_check, without)]
    assert numbers[0] < numbers[1], numbers


def test_a_broken_verdict_file_says_what_is_wrong(tmp_path):
    path = tmp_path / "verdict.json"
    path.write_text(json.dumps({"format": "verdict/1", "not_a_digit": 3.0, "unsure": 1.0, "confidence": 0.6}))
    with pytest.raises(WeightsError, match="not_a_digit <= unsure"):
        load_reader(verdict=path)
    assert load_reader(verdict=tmp_path / "absent.json").verdict is None  # then by confidence alone


@pytest.mark.slow
def test_read_image_and_the_pad_answer_with_the_verdict(app_server, client, tmp_path):
    star = shapes("star")[0]
    html, reading = client.predict(handle_file(canvas_png(tmp_path, star)), api_name="/read_image")
    assert reading["verdict"] == "not_a_digit" and reading["number"] != ""
    assert "That doesn&#x27;t look like a digit" in html or "That doesn't look like a digit" in html
    assert 'class="card' in html  # the cards stay, for the curious
    one = draw_digit(1, random_placement(np.random.default_rng(5)))
    reading = client.predict(handle_file(canvas_png(tmp_path, one, "one.png")), api_name="/read_image")[1]
    assert reading["verdict"] == "number" and reading["number"] == "1"
    pad = PadClient(app_server.url)
    try:
        reply = pad.read(as_the_pad_sends(star))
    finally:
        pad.close()
    assert reply["verdict"] == "not_a_digit" and "look like a digit" in reply["html"]


@pytest.mark.slow
@pytest.mark.browser
def test_the_pad_says_a_star_is_not_a_digit(browser, app_server):
    from harness.browser import Pad

    star = next(d for d in drawings("test", per_kind=150) if d.item == "star" and d.style == "pad")
    pad = Pad(browser, app_server.url)
    try:
        pad.canvas.scroll_into_view_if_needed()
        for stroke in star.strokes:
            pad.stroke(stroke[::6].tolist() + [stroke[-1].tolist()])
        final = pad.final()
        assert final["shown"] == final["number"] != ""  # the guess is still there, for the curious
        assert pad.root.get_by_test_id("not-a-digit").is_visible()
        assert "That doesn't look like a digit" in pad.result.inner_text()
        assert pad.result.locator(".card").count() >= 1
    finally:
        pad.close()


def _painted(strokes: list[list[tuple[float, float]]], brush: float) -> Image.Image:
    return paint(brush_coverage(polyline_points(strokes, spacing=0.5), (300, 300), brush), "white")


def _arc(rx: float, a0: float, a1: float) -> list[tuple[float, float]]:
    t = np.deg2rad(np.linspace(a0, a1, 40))
    return list(zip(150 + rx * np.cos(t), 150 + 90 * np.sin(t)))


@pytest.mark.parametrize(("brush", "width"), [(5, 50), (8, 50), (5, 70), (8, 70)])
def test_a_zero_broken_in_two_thin_arcs_is_one_zero(brush, width):
    # the pen skipped at the top and the bottom: two arcs, which read "11" or "17" as two digits
    zero = _painted([_arc(width, 100, 260), _arc(width, -80, 80)], brush)
    assert read_drawing(zero, clf()).number == "0"


@pytest.mark.parametrize("apart", [40, 70])
def test_two_ones_side_by_side_stay_two_digits(apart):
    ones = _painted(
        [[(150 - apart / 2, 60), (150 - apart / 2, 240)], [(150 + apart / 2, 60), (150 + apart / 2, 240)]], 8
    )
    assert read_drawing(ones, clf()).number == "11"
