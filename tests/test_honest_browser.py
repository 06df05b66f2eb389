"""Said kindly, in the page (issue 23, item 6), in a real browser (Chromium): a letter A drawn on
the pad is answered "That doesn't look like a digit", "Look inside" says which score made it
doubt, the visitor can mark it "not a digit" (with consent), and the booth counts it apart.

python -m pytest tests/test_honest_browser.py        # screenshots land in tests/out/
"""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import expect

from harness.browser import Pad
from model.synth.nondigits import drawings
from tests.test_browser import OUT
from ui.render import NOT_A_DIGIT

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def draw_letter_a(pad: Pad) -> None:
    """The first letter A of the not-a-digit drawings' test split drawn for the pad, stroke by
    stroke, as a visitor's hand would."""
    letter = next(d for d in drawings("test", per_kind=220) if d.item == "A" and d.style == "pad")
    pad.canvas.scroll_into_view_if_needed()
    for stroke in letter.strokes:
        pad.stroke(stroke[::6].tolist() + [stroke[-1].tolist()])


def stored(server) -> list[tuple[int, int, str | None]]:
    db = sqlite3.connect(server.db)
    try:
        return db.execute("SELECT label, answer, verdict FROM corrections ORDER BY id").fetchall()
    finally:
        db.close()


def test_a_letter_says_it_is_not_a_digit_why_and_can_be_marked_so(browser, feedback_server):
    pad = Pad(browser, feedback_server.url)
    pad.page.get_by_test_id("inside-toggle").locator("summary").click()  # "Look inside" open
    draw_letter_a(pad)
    final = pad.final()
    assert NOT_A_DIGIT in pad.result.inner_text()
    # Look inside: the verdict, the score's two parts against the lines, and what made it doubt
    section = pad.page.get_by_test_id("inside-doubt")
    expect(section).to_have_attribute("data-verdict", "not_a_digit")
    assert "It doesn't look like a digit" in section.inner_text()
    why = pad.page.get_by_test_id("inside-why").inner_text()
    assert why.startswith("What made it doubt") and ("digit in it" in why or "whole digit" in why)
    blamed = section.get_attribute("data-reasons").split()
    assert blamed and all(
        pad.page.get_by_test_id(f"inside-{r}").get_attribute("class").endswith("low") for r in blamed
    )
    pad.screenshot(OUT / "inside-not-a-digit.png")

    # "No, it was…" -> "not a digit", with consent: stored as -1, with the reading's verdict
    pad.page.get_by_test_id("consent").check()
    card = pad.result.locator(".card").first
    answer = int(card.get_attribute("data-digit"))
    card.get_by_test_id("wrong").click()
    card.get_by_test_id("label-not-a-digit").click()
    pad.page.wait_for_function("() => document.querySelector('[data-testid=pad]').dataset.corrections == '1'")
    assert "Kept as not a digit" in card.get_by_test_id("feedback-note").inner_text()
    assert stored(feedback_server) == [(-1, answer, "not_a_digit")]
    assert final["number"].startswith(str(answer))

    # the booth screen counts it apart from the digits' score
    pad.page.get_by_test_id("clear").click()
    counted = pad.result.get_by_test_id("booth-not-digits")
    expect(counted).to_have_text("Not digits: 1 drawing today; it had doubted 1 of them.")
    assert pad.result.locator(".booth-score").count() == 0  # no digit was marked: no digits' score
    pad.screenshot(OUT / "booth-not-digits.png")
    pad.close()
