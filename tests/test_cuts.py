"""Numbers as people write them: touching digits cut apart, stray marks dropped, cut geometry.

python -m pytest tests/test_cuts.py
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage

from model import load_classifier
from model.numbers.cuts import between, cut_families, cut_out
from model.reading import read_drawing
from model.synth.sketches import DIGIT_STROKES, Placement, coverage, paint, polyline_points
from ui.render import reading_html

CANVAS = (760, 320)
HEIGHT, BRUSH = 200.0, 14.0


def draw(strokes: list, centre: tuple[float, float], slant: float = 0.0) -> np.ndarray:
    """Brush coverage of hand-made strokes (DIGIT_STROKES' units) placed on the canvas, leaning
    `slant` degrees."""
    points = polyline_points(strokes, spacing=0.01)
    return coverage(points, Placement(CANVAS, centre, HEIGHT, slant, BRUSH))


def touching(first: int, second: int, overlap: float, slant: float = 0.0) -> np.ndarray:
    """Two digits side by side whose strokes overlap by `overlap` px where they come closest
    (row by row), as an 8-bit grey canvas; checked to be one piece of ink."""
    left = draw(DIGIT_STROKES[first], (220, 160), slant)
    right = draw(DIGIT_STROKES[second], (520, 160), slant)
    inked, more = left > 0.5, right > 0.5
    rows = inked.any(axis=1) & more.any(axis=1)
    ends = CANVAS[0] - 1 - np.argmax(inked[:, ::-1], axis=1)
    starts = np.argmax(more, axis=1)
    shift = float((starts - ends)[rows].min()) + overlap
    right = draw(DIGIT_STROKES[second], (520 - shift, 160), slant)
    both = np.maximum(left, right)
    assert abs(int((right > 0.5).sum()) - int(more.sum())) < 0.05 * more.sum(), "the second digit is cut off"
    assert ndimage.label(both > 0.5, np.ones((3, 3)))[1] == 1, "the digits should touch"
    return np.asarray(paint(both, "gray"))


def canvas(*covers: np.ndarray) -> np.ndarray:
    return np.asarray(paint(np.maximum.reduce(covers), "gray"))


@pytest.fixture(scope="module")
def clf():
    return load_classifier(device="cpu")


@pytest.mark.parametrize("overlap", [2, 7, 14])  # from barely touching to a brush width deep
@pytest.mark.parametrize("pair", ["25", "47", "80", "17"])
def test_two_digits_joined_at_a_known_overlap_are_read_as_both(clf, pair, overlap):
    reading = read_drawing(touching(int(pair[0]), int(pair[1]), overlap), clf)
    assert reading.number == pair
    assert all(d.cut for d in reading.digits)  # the app says they were cut apart ...
    assert [d["cut"] for d in reading.to_dict()["digits"]] == [True, True]  # ... in its API
    assert reading_html(reading).count('class="cut"') == 2  # ... and on each digit's card


@pytest.mark.parametrize(
    ("pair", "slant", "overlap"),
    [("14", 20, 7), ("41", 20, 7), ("71", 20, 7), ("47", 20, 14)]
    + [("74", -20, 7), ("74", -20, 14), ("74", 15, 7)],
)
def test_leaning_digits_that_touch_are_cut_along_their_slant(clf, pair, slant, overlap):
    # leaning 15-20 degrees: with upright cuts alone, each of these reads as one digit (or 77)
    reading = read_drawing(touching(int(pair[0]), int(pair[1]), overlap, slant), clf)
    assert reading.number == pair


@pytest.mark.parametrize("overlap", [3, 7, 14])
@pytest.mark.parametrize("pair", ["14", "16", "71", "19"])
def test_a_1_touching_its_neighbour_is_read_as_both(clf, pair, overlap):
    # a 1 adds little width: the pair is no wider than many single digits, and is cut only
    # because the whole-digit check doubts it (read 4, 6 or 8, 7 and 8 otherwise)
    assert read_drawing(touching(int(pair[0]), int(pair[1]), overlap), clf).number == pair


def test_a_1_next_to_a_7_and_a_4_in_two_strokes_stay_the_right_digits(clf):
    four = [[(0.6, 0.0), (0.0, 0.64), (1.0, 0.64)], [(0.72, 0.28), (0.7, 1.0)]]  # wide: worth a cut?
    four_apart = [[(0.38, 0.0), (0.0, 0.64), (0.36, 0.64)], [(0.46, 0.22), (0.44, 1.0)]]  # two pieces
    drawing = canvas(
        draw(DIGIT_STROKES[1], (100, 160)),
        draw(DIGIT_STROKES[7], (205, 160)),  # close to the 1, not touching it
        draw(four, (380, 160)),
        draw(four_apart, (590, 160)),
    )
    reading = read_drawing(drawing, clf)
    assert reading.number == "1744"
    assert not any(d.cut for d in reading.digits)


def test_the_detached_top_of_a_5_or_a_7_stays_with_it(clf):
    five = [
        [(0.12, 0.16), (0.06, 0.46), (0.35, 0.4), (0.58, 0.55), (0.6, 0.8), (0.38, 0.98), (0.0, 0.9)],
        [(0.16, 0.0), (0.6, 0.0)],  # the flag, drawn apart: a small piece a reading may drop
    ]
    seven = [[(0.0, 0.0), (1.2, 0.0)], [(1.0, 0.14), (0.45, 1.0)]]  # a long bar, longer than an underline
    drawing = canvas(draw(DIGIT_STROKES[3], (130, 160)), draw(five, (290, 160)), draw(seven, (540, 160)))
    reading = read_drawing(drawing, clf)
    assert reading.number == "357"
    three, five_read, seven_read = reading.digits
    assert five_read.box[1] <= three.box[1] + 2, "the 5 was read without its top"
    assert seven_read.box[1] <= three.box[1] + 2, "the 7 was read without its bar"


def test_an_underline_or_a_dot_beside_a_number_does_not_become_a_digit(clf):
    digits = [draw(DIGIT_STROKES[d], (130 + 150 * i, 150)) for i, d in enumerate((2, 0, 7))]
    plain = read_drawing(canvas(*digits), clf).number
    assert plain == "207"
    underline = at_pixels([(90.0, 285.0), (480.0, 290.0)])
    dot = at_pixels([(560.0, 225.0)], brush=36)  # a full stop, a heavy dab: too big for a speck
    assert read_drawing(canvas(*digits, underline), clf).number == plain
    assert read_drawing(canvas(*digits, dot), clf).number == plain
    assert read_drawing(canvas(*digits, underline, dot), clf).number == plain


@pytest.mark.parametrize("number", ["79", "47", "11"])
def test_an_underline_under_two_digits_narrower_than_a_digit_is_tall_is_dropped(clf, number):
    # as wide as the number, 0.9-1.2x a digit's height: read as a stroke, it made 79 read 29
    digits = [draw(DIGIT_STROKES[int(d)], (130 + 130 * i, 150)) for i, d in enumerate(number)]
    assert read_drawing(canvas(*digits), clf).number == number
    for left, right in ((95, 295), (110, 280)):
        underline = at_pixels([(left, 285.0), (right, 288.0)])
        assert read_drawing(canvas(*digits, underline), clf).number == number, (left, right)


def at_pixels(points: list[tuple[float, float]], brush: float = BRUSH) -> np.ndarray:
    """Brush coverage of a polyline given in canvas pixels, drawn where it is."""
    p = polyline_points([points], spacing=1.0) if len(points) > 1 else np.asarray(points, np.float32)
    extent = max(float(np.ptp(p[:, 1])), 1e-3)  # coverage() scales by height / extent: 1 here
    centre = tuple((p.min(0) + p.max(0)) / 2)
    return coverage(p, Placement(CANVAS, centre, extent, 0, brush))


@st.composite
def inks(draw_):
    """Ink levels (0-255) of a few random thick strokes, often touching: what gets cut."""
    h, w = draw_(st.integers(20, 90)), draw_(st.integers(20, 200))
    ink = np.zeros((h, w), np.uint8)
    for _ in range(draw_(st.integers(1, 6))):
        y0, y1 = sorted(draw_(st.lists(st.integers(0, h - 1), min_size=2, max_size=2)))
        x0, x1 = sorted(draw_(st.lists(st.integers(0, w - 1), min_size=2, max_size=2)))
        thick = draw_(st.integers(1, 8))
        level = draw_(st.integers(60, 255))
        ink[y0 : y1 + 1, x0 : min(x0 + thick, w)] = level
        ink[y0 : min(y0 + thick, h), x0 : x1 + 1] = level
    return ink


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inks(), st.integers(1, 12))
def test_a_cut_never_gives_an_empty_segment_or_one_outside_the_drawing(ink, min_width):
    for paths in cut_families(ink >= 128, min_width):  # upright, then along each slant
        check_family(ink, paths)


def check_family(ink: np.ndarray, paths: list[np.ndarray]) -> None:
    h, w = ink.shape
    for path in paths:
        assert path.shape == (h,) and path.min() >= 0 and path.max() <= w
    bounds = [None, *paths, None]
    for a, b in itertools.pairwise(paths):
        assert (a <= b).all()  # ordered, never crossing
    pieces = [between(ink, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    assert np.array_equal(np.sum(pieces, axis=0), ink)  # the cuts share out the ink, all of it
    for i in range(len(bounds)):
        for j in range(i + 1, len(bounds)):
            found = cut_out(ink, bounds[i], bounds[j])
            if found is None:
                continue
            pixels, (left, top, right, bottom) = found
            assert 0 <= left < right <= w and 0 <= top < bottom <= h
            assert pixels.shape == (bottom - top, right - left)
            assert (pixels >= 128).any()  # never empty
            assert np.array_equal(pixels[pixels > 0], ink[top:bottom, left:right][pixels > 0])
