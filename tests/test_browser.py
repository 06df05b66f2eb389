"""A real browser: Debian's Chromium, driven by Playwright, draws on the live app with the mouse.

    python -m pytest tests/test_browser.py        # screenshots land in tests/out/

Needs /usr/bin/chromium (`apt-get install chromium`); skipped without it, unless
REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from harness.sketches import DIGIT_STROKES

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUT = Path(__file__).resolve().parent / "out"
CANVAS = (640, 320)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}")
        pytest.skip("no Chromium here: apt-get install chromium (make test does it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Pad:
    """Draws on the app's sketchpad with real mouse events, in canvas pixel coordinates."""

    def __init__(self, page) -> None:
        self.page = page
        self.locate()

    def locate(self) -> None:
        """Find where the drawing is on screen (its zoom changes, e.g. after clearing)."""
        page = self.page
        page.locator("#pad canvas").first.wait_for()
        page.wait_for_function("() => /\\d+%/.test(document.querySelector('#pad').innerText)")
        box = page.locator("#pad canvas").first.bounding_box()
        self.zoom = float(re.search(r"(\d+)%", page.locator("#pad").inner_text()).group(1)) / 100
        # the drawing is shown centred in the canvas element at the zoom the toolbar reports
        self.x0 = box["x"] + box["width"] / 2 - CANVAS[0] * self.zoom / 2
        self.y0 = box["y"] + box["height"] / 2 - CANVAS[1] * self.zoom / 2

    def stroke(self, points: list[tuple[float, float]]) -> None:
        mouse = self.page.mouse
        mouse.move(*self._at(points[0]))
        mouse.down()
        for point in points[1:]:
            mouse.move(*self._at(point), steps=3)
        mouse.up()

    def digit(self, digit: int, left: float, top: float, height: float) -> None:
        """Draw one of the hand-made digits, stroke by stroke, as a visitor would."""
        self.locate()
        for stroke in DIGIT_STROKES[digit]:
            points = stroke if len(stroke) <= 12 else stroke[::4] + [stroke[-1]]  # thin out the curves
            self.stroke([(left + x * height, top + y * height) for x, y in points])

    def _at(self, point: tuple[float, float]) -> tuple[float, float]:
        return self.x0 + point[0] * self.zoom, self.y0 + point[1] * self.zoom


def open_app(browser, url: str, theme: str = "light"):
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, color_scheme=theme)
    page.goto(url + ("?__theme=dark" if theme == "dark" else ""))
    return page, Pad(page)


def shown_number(page, expected: str, timeout: float = 45_000) -> str:
    """Wait until the answer reads `expected` (each stroke triggers its own request)."""
    page.wait_for_function(
        "n => (document.querySelector('#result .number') || {}).textContent === n",
        arg=expected,
        timeout=timeout,
    )
    return page.locator("#result .number").inner_text()


def screenshot(page, name: str) -> None:
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / name), full_page=True)


def test_drawing_a_digit_shows_it_with_probabilities_and_preview(browser, app_server):
    page, pad = open_app(browser, app_server.url)
    # no click on the brush tool first: a visitor can draw the moment the page opens
    pad.digit(7, left=250, top=50, height=220)
    assert shown_number(page, "7") == "7"
    assert page.locator("#result .bar-row").count() == 10
    assert page.locator("#result .bar-row.top .bar-label").inner_text() == "7"
    preview = page.locator("#result img.preview")
    assert preview.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [28, 28]
    screenshot(page, "drawn-7.png")
    page.close()


def test_a_digit_in_two_strokes_and_clear_resets_everything(browser, app_server):
    page, pad = open_app(browser, app_server.url)
    pad.digit(4, left=260, top=40, height=230)  # two strokes, two requests: the last one counts
    assert shown_number(page, "4") == "4"

    page.locator("#clear").click()
    page.wait_for_function("() => document.querySelector('#result .hint') !== null", timeout=15_000)
    assert "Draw a digit" in page.locator("#result").inner_text()
    # the canvas is blank again and still takes strokes (the brush is re-armed after clearing)
    pad.digit(1, left=300, top=40, height=230)
    assert shown_number(page, "1") == "1"
    screenshot(page, "after-clear-1.png")
    page.close()


def test_a_number_drawn_digit_by_digit_is_read_as_a_number(browser, app_server):
    page, pad = open_app(browser, app_server.url)
    for i, digit in enumerate((2, 0, 2, 6)):
        pad.digit(digit, left=90 + i * 125, top=70, height=170)
    assert shown_number(page, "2026") == "2026"
    cards = page.locator("#result .card")
    assert cards.count() == 4
    assert [cards.nth(i).get_attribute("data-digit") for i in range(4)] == ["2", "0", "2", "6"]
    assert page.locator("#result img.preview").count() == 4
    screenshot(page, "number-2026.png")
    page.close()


def test_dark_theme_draws_and_reads(browser, app_server):
    page, pad = open_app(browser, app_server.url, theme="dark")
    assert page.evaluate("() => document.body.classList.contains('dark')")
    pad.digit(3, left=260, top=50, height=220)
    assert shown_number(page, "3") == "3"
    screenshot(page, "dark-3.png")
    page.close()
