"""The live answer in a real browser: while one digit is drawn, the answer line never shows a
number of two or more digits, and after pen-up it shows the digit.

    python -m pytest tests/test_live_answers.py

Every text the answer line takes is recorded in the page (a MutationObserver on it), so a
flicker that lasts one frame is caught, not only what a sample happens to land on.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from harness.browser import Pad
from harness.pad_client import png_data_url
from model.synth.sketches import DIGIT_STROKES, Placement, placed, polyline_points
from ui.pad import BRUSH, CANVAS, REST_MS
from ui.pad_request import PadRequest

# Every text the answer line shows, in order, with whether the pen was down at the time.
WATCH_ANSWER = """
() => {
  const answer = document.querySelector('[data-testid="answer"]');
  window.__shown = [];
  let down = false;
  document.addEventListener("pointerdown", () => { down = true; }, true);
  document.addEventListener("pointerup", () => { down = false; }, true);
  new MutationObserver(() => window.__shown.push({ text: answer.textContent, down }))
    .observe(answer, { childList: true, characterData: true, subtree: true });
}
"""
# A 5 as many people draw it: the body first, then the bar on top, with the pen lifted between.
FIVE_BODY, FIVE_BAR = DIGIT_STROKES[5][0][1:], DIGIT_STROKES[5][0][:2][::-1]


def pen_strokes(lines: list, height: float = 200) -> list[list[list[float]]]:
    """Hand-made polylines placed in the middle of the pad, as a pen traces them (a point every
    few pixels)."""
    place = Placement(CANVAS, (320, 160), height, 0, BRUSH)
    every = polyline_points(lines, spacing=0.01)
    return [placed(polyline_points([s], spacing=0.01), place, reference=every)[::4].tolist() for s in lines]


def draw_slowly(pad: Pad, strokes: list) -> None:
    """Each stroke at a hand's pace (about 1 px per 2.5 ms), so that live answers come in."""
    for points in strokes:
        length = float(np.linalg.norm(np.diff(np.asarray(points), axis=0), axis=1).sum())
        pad.stroke(points, seconds=max(0.4, length / 400))


@pytest.fixture
def pad(browser, app_server):
    pad = Pad(browser, app_server.url)
    pad.page.evaluate(WATCH_ANSWER)
    yield pad
    pad.close()


@pytest.mark.parametrize(
    ("sent", "held"),
    [(2, 2), (0, 0), (None, None), (-1, None), (10**9, None), (1.5, None), (True, None), ("3", None)],
)
def test_the_strokes_bound_is_read_from_the_payload_only_when_it_is_a_sensible_count(sent, held):
    payload = {"image": png_data_url(Image.new("L", (8, 8), 255))}
    if sent is not None:
        payload["max_digits"] = sent
    assert PadRequest.parse(payload).max_digits == held


@pytest.mark.parametrize(
    ("digit", "lines"),
    [
        ("5", [FIVE_BODY, FIVE_BAR]),  # stroke by stroke
        ("5", DIGIT_STROKES[5]),  # in one stroke
        ("1", DIGIT_STROKES[1]),
        ("4", DIGIT_STROKES[4]),  # two strokes
    ],
    ids=["5-two-strokes", "5-one-stroke", "1", "4"],
)
@pytest.mark.slow
@pytest.mark.browser
def test_a_single_digit_never_shows_as_a_number_while_it_is_drawn(pad, digit, lines):
    draw_slowly(pad, pen_strokes(lines))
    assert pad.final_answer() == digit
    shown = pad.page.evaluate("window.__shown")
    live = [s["text"] for s in shown if s["down"]]
    assert live, "the answer line never changed while the pen was down"
    several = [s["text"] for s in shown if len(re.findall(r"\d", s["text"])) > 1]
    assert not several, f"a {digit} was shown as {several} while drawn (all shown: {shown})"


@pytest.mark.slow
@pytest.mark.browser
def test_a_number_still_reads_whole_live_and_at_pen_up(pad):
    # the strokes' bound lets a real number through: 1 then 7, far apart, both on the line
    ones = pen_strokes(DIGIT_STROKES[1], height=160)
    sevens = pen_strokes(DIGIT_STROKES[7], height=160)
    draw_slowly(pad, [[[x - 110, y] for x, y in s] for s in ones])
    assert pad.final_answer() == "1"
    draw_slowly(pad, [[[x + 60, y] for x, y in s] for s in sevens])
    assert pad.final_answer() == "17"


@pytest.mark.slow
@pytest.mark.browser
def test_a_pen_up_reading_with_more_digits_than_the_strokes_hold_shows_once_the_drawing_rests(pad):
    # two 1s written close together: to the strokes, one digit drawn in two strokes
    first, second = ([[320 + dx, 80], [320 + dx, 240]] for dx in (-16, 16))
    for points in (first, second):
        pad.stroke(np.linspace(points[0], points[1], 20).tolist(), seconds=0.4)
    final = pad.final()
    assert final["number"] == final["shown"] == "11"  # the reading still shows, as it is
    assert final["ms"] >= REST_MS, final  # once no stroke followed for REST_MS
    shown = pad.page.evaluate("window.__shown")
    assert "11" not in [s["text"] for s in shown if s["down"]]  # never while a stroke was drawn
