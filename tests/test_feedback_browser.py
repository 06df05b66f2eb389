"""Corrections in a real browser (Chromium): draw, say "Right!" or "No, it was…", see the score
change on the booth screen; the consent box decides whether anything is sent at all.

python -m pytest tests/test_feedback_browser.py        # screenshots land in tests/out/
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from harness.browser import PHONE, Pad
from harness.server import AppServer
from tests.test_browser import OUT  # screenshots go beside the pad's (the browser fixture is in conftest.py)

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def server(feedback_server):
    return feedback_server  # this module's own app and database (conftest.py)


def stored(server) -> list[tuple[int, int]]:
    db = sqlite3.connect(server.db)
    try:
        return db.execute("SELECT label, answer FROM corrections ORDER BY id").fetchall()
    finally:
        db.close()


def score_is(pad: Pad, text: str | re.Pattern) -> None:
    """The booth screen shows this score (waits for it: the screen is fetched after a clear)."""
    expect(pad.result.get_by_test_id("booth").locator(".booth-score")).to_have_text(text)


def wait_for_corrections(pad: Pad, n: int) -> None:
    pad.page.wait_for_function(
        f"() => document.querySelector('[data-testid=pad]').dataset.corrections == '{n}'"
    )


def test_draw_correct_and_see_the_score_change(browser, server):
    pad = Pad(browser, server.url)
    expect(pad.result.locator(".booth-invite")).to_be_visible()  # nobody has marked anything yet
    consent = pad.page.get_by_test_id("consent")
    assert not consent.is_checked()  # off by default

    pad.write("7")
    assert pad.final_answer() == "7"
    card = pad.result.locator(".card").first
    assert card.get_by_test_id("right").is_visible() and card.get_by_test_id("wrong").is_visible()
    assert not card.get_by_test_id("label-3").is_visible()  # the ten digits wait for "No, it was…"
    pad.screenshot(OUT / "feedback-card.png")

    width = card.bounding_box()["width"]
    card.get_by_test_id("right").click()  # without consent: thanked, nothing sent
    note = card.get_by_test_id("feedback-note")
    assert "Not kept" in note.inner_text()
    assert card.bounding_box()["width"] <= width + 1  # the note wraps inside the card
    assert stored(server) == []

    consent.check()  # ticked afterwards: the mark just made is kept, and the note says so
    wait_for_corrections(pad, 1)
    expect(note).to_have_text("Kept: thanks!")
    assert stored(server) == [(7, 7)]
    pad.page.get_by_test_id("clear").click()
    pad.write("7")
    assert pad.final_answer() == "7"
    card = pad.result.locator(".card").first
    card.get_by_test_id("wrong").click()
    assert card.get_by_test_id("label-7").is_disabled()  # "No, it was 7" would be "Right!"
    card.get_by_test_id("label-1").click()
    wait_for_corrections(pad, 2)
    assert "Kept as 1" in card.get_by_test_id("feedback-note").inner_text()
    assert stored(server) == [(7, 7), (1, 7)]
    pad.screenshot(OUT / "feedback-kept.png")

    pad.page.get_by_test_id("clear").click()
    score_is(pad, "Right 1 of 2 times today")
    pad.write("3")
    assert pad.final_answer() == "3"
    pad.result.locator(".card").first.get_by_test_id("right").click()
    wait_for_corrections(pad, 3)
    pad.page.get_by_test_id("clear").click()
    score_is(pad, "Right 2 of 3 times today")
    assert stored(server) == [(7, 7), (1, 7), (3, 3)]
    assert pad.result.locator('[title="drawn 1, read as 7: 1 time"]').inner_text() == "1"
    pad.screenshot(OUT / "feedback-booth.png")
    pad.close()


def test_every_digit_of_a_number_is_corrected_on_its_own_on_a_phone(browser, server):
    pad = Pad(browser, server.url, **PHONE)
    pad.page.get_by_test_id("consent").check()
    before = len(stored(server))
    pad.write("42", height=180, touch=True)
    answer = pad.final_answer()  # (which digits it reads does not matter here: the buttons do)
    cards = pad.result.locator(".card")
    first, second = (int(cards.nth(k).get_attribute("data-digit")) for k in range(2))
    assert answer == f"{first}{second}" and cards.count() == 2  # two digits, each with its card
    cards.nth(1).get_by_test_id("right").tap()
    wait_for_corrections(pad, 1)
    other = (first + 5) % 10
    cards.nth(0).get_by_test_id("wrong").tap()
    cards.nth(0).get_by_test_id(f"label-{other}").tap()
    wait_for_corrections(pad, 2)
    assert stored(server)[before:] == [(second, second), (other, first)]
    pad.screenshot(OUT / "feedback-phone.png")
    pad.close()


def test_a_kiosk_shows_the_booth_between_visitors_and_forgets_the_consent(browser, server):
    env = {"DIGIT_FEEDBACK_DB": str(server.db), "DIGIT_KIOSK_IDLE": "2"}
    with AppServer(server.db.parent / "kiosk.log", env=env) as kiosk:
        pad = Pad(browser, kiosk.url)
        score_is(pad, re.compile(r"Right \d+ of \d+ times today"))  # the booth screen, before anyone draws
        pad.page.get_by_test_id("consent").check()
        pad.write("7")
        assert pad.final_answer() == "7"
        pad.page.wait_for_function(
            "() => document.querySelector('[data-testid=pad]').classList.contains('empty')"
        )
        score_is(pad, re.compile(r"Right \d+ of \d+ times today"))  # idle: the booth screen is back
        assert not pad.page.get_by_test_id("consent").is_checked()  # the next visitor decides anew
        pad.screenshot(OUT / "feedback-kiosk.png")
        pad.close()


def test_with_feedback_off_the_pad_reads_and_offers_no_buttons(browser, tmp_path):
    (tmp_path / "db.sqlite3").write_bytes(b"not a database" * 100)
    with AppServer(tmp_path / "app.log", env={"DIGIT_FEEDBACK_DB": str(tmp_path / "db.sqlite3")}) as app:
        pad = Pad(browser, app.url, theme="dark")
        off = pad.page.get_by_test_id("feedback-off")
        off.wait_for()
        assert "Corrections are off" in off.inner_text()
        assert not pad.page.get_by_test_id("consent").is_visible()
        pad.write("5")
        assert pad.final_answer() == "5"
        assert pad.result.get_by_test_id("right").count() == 0
        pad.screenshot(OUT / "feedback-off.png")
        pad.close()
