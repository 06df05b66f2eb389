"""Why it doubts a drawing is a digit (model/doubt.py) and how the "Look inside" panel says so
(ui/inside.py): the score behind the verdict, in its parts, against the lines training chose.

python -m pytest tests/test_doubt.py -q
"""

from __future__ import annotations

import dataclasses
import math
from functools import cache

import numpy as np
import pytest

from model import explain, load_classifier, read_drawing
from model.doubt import Doubt, doubt
from model.numbers import load_reader
from model.numbers.verdict import ScoreParts, load_verdict, save_verdict
from model.synth.nondigits import drawings, render
from model.synth.sketches import draw_digit, random_placement
from ui.inside import doubt_html, inside_html


@cache
def clf():
    return load_classifier(device="cpu")


@cache
def drawn(item: str):
    """The first pad drawing of `item` in the not-a-digit drawings' test split."""
    return render(next(d for d in drawings("test", per_kind=220) if d.item == item and d.style == "pad"))


def panel(image, reader=None) -> tuple[str, Doubt]:
    reading = read_drawing(image, clf(), reader)
    why = doubt(reading, image, clf(), reader)
    return inside_html(explain(clf(), reading.digits[0].image), why, 0), why


@pytest.mark.parametrize("item", ["A", "smiley", "star"])
def test_a_non_digit_says_why_with_the_score_the_verdict_used(item):
    image = drawn(item)
    reading = read_drawing(image, clf())
    why = doubt(reading, image, clf())
    assert reading.verdict == why.verdict == "not_a_digit"
    # the two parts rebuild the very score the verdict compared (the worst piece or the whole)
    assert why.score == pytest.approx(reading.score, abs=1e-6)
    assert why.reasons and set(why.reasons) <= {"energy", "check", "seen"}
    html, _ = panel(image)
    assert "It doesn't look like a digit" in html and "What made it doubt" in html
    lines = load_verdict()
    assert f"{lines.not_a_digit:.1f}" in html and f"{lines.unsure:.1f}" in html  # the shipped lines
    assert f">{reading.score:.1f}</b>" in html
    for reason in why.reasons:  # each part it blames is marked in the panel
        assert f'class="inside-part low" data-testid="inside-{reason}"' in html


@pytest.mark.parametrize("digit", [0, 1, 8])
def test_a_plain_digit_looks_like_one_and_nothing_is_blamed(digit):
    image = draw_digit(digit, random_placement(np.random.default_rng(digit)))
    html, why = panel(image)
    assert why.verdict == "number" and why.reasons == ()
    assert "Yes: it looks like a digit" in html and "What made it doubt" not in html
    assert "inside-part low" not in html


def test_the_lines_are_data_and_moving_them_changes_what_the_panel_says(tmp_path):
    image = draw_digit(1, random_placement(np.random.default_rng(5)))
    _, why = panel(image)
    assert why.verdict == "number"
    shipped = load_verdict()
    moved = tmp_path / "verdict.json"  # the "unsure" line just above this drawing's score
    save_verdict(dataclasses.replace(shipped, unsure=why.score + 0.01, not_a_digit=why.score - 1), moved)
    html, why = panel(image, load_reader(verdict=moved))
    assert why.verdict == "unsure" and why.reasons
    assert "Maybe not" in html and f"Below {why.score + 0.01:.1f} the answer is shown as a guess" in html


def test_the_part_that_fell_short_is_the_one_named():
    lines = load_verdict()
    base = Doubt("not_a_digit", ScoreParts(10.0, math.log(0.001)), 0, 7, 10.0, lines, 0.9)
    assert base.reasons == ("check",)  # energy as a 7's typical one; the check says pieces
    weak = dataclasses.replace(base, parts=ScoreParts(2.0, math.log(0.99)))
    assert weak.reasons == ("energy",)
    both = dataclasses.replace(base, parts=ScoreParts(6.0, -5.0))
    assert both.reasons == ("energy", "check")
    html = doubt_html(both)
    assert "both: the network barely sees a digit" in html
    # a digit to both networks, but the not-a-digit check has seen shapes like it
    seen = dataclasses.replace(base, parts=ScoreParts(10.0, math.log(0.9), math.nan, math.log(0.001), 1.0))
    assert seen.reasons == ("seen",)
    html = doubt_html(seen)
    assert 'class="inside-part low" data-testid="inside-seen"' in html and ">0%<" in html
    assert "looks more like the letters, symbols and doodles" in html


def test_unsure_only_for_its_probability_says_so():
    lines = load_verdict()
    why = Doubt("unsure", ScoreParts(14.0, -0.01), 0, 4, 12.0, lines, 0.41)
    assert why.reasons == ("confidence",)
    assert "can't decide which: its least sure answer has 41%" in doubt_html(why)


def test_the_panel_says_which_image_the_verdict_was_decided_on():
    image = drawn("W")  # read "14": each piece could pass for a digit, the whole W cannot
    reading = read_drawing(image, clf())
    why = doubt(reading, image, clf())
    assert len(reading.digits) > 1 and why.source is None
    assert "Judged on the whole drawing, taken as one digit (its pieces" in doubt_html(why)
    image = drawn("smiley")  # read "0": its eyes left out as stray marks, judged with them
    reading = read_drawing(image, clf())
    why = doubt(reading, image, clf())
    assert len(reading.digits) == 1 and why.source is None
    assert "with the marks the reading left out" in doubt_html(why)
