"""A real browser: Debian's Chromium, driven by Playwright, draws on the live app with the mouse
and with touch, the way a visitor does.

    python -m pytest tests/test_browser.py        # screenshots land in tests/out/

Needs /usr/bin/chromium (`apt-get install chromium`); skipped without it, unless
REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from harness.server import AppServer
from harness.sketches import Placement, number_layout, placed_strokes
from ui.pad import CANVAS

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUT = Path(__file__).resolve().parent / "out"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Every answer the pad shows, as the page reports it (ui/pad.js dispatches "pad:answer"), and
# when the visitor last lifted the pen or finger (or clicked a button).
RECORD_ANSWERS = """
window.__answers = [];
window.__lastUp = 0;
document.addEventListener("pad:answer", (e) => window.__answers.push({ ...e.detail, t: performance.now() }));
document.addEventListener("pointerup", () => { window.__lastUp = performance.now(); }, true);
"""
# the first final answer that came after the visitor's last pen-up or click
FINAL = "() => window.__answers.find(a => a.final && a.t > window.__lastUp)"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "has_touch": True,
    "is_mobile": True,
}


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
    """The app's pad in a page: draws strokes in canvas coordinates, reads what it answers."""

    def __init__(self, browser, url: str, theme: str = "light", **context) -> None:
        options = {"viewport": {"width": 1280, "height": 900}, **context}
        self.context = browser.new_context(color_scheme=theme, **options)
        self.context.add_init_script(RECORD_ANSWERS)
        self.page = self.context.new_page()
        self.page.goto(url + ("?__theme=dark" if theme == "dark" else ""))
        self.page.wait_for_selector('[data-testid="pad"][data-ready="true"]', timeout=60_000)
        self.canvas = self.page.get_by_test_id("canvas")
        self.answer = self.page.get_by_test_id("answer")
        self.result = self.page.get_by_test_id("result")

    def at(self, point) -> tuple[float, float]:
        """Screen position of a point in the pad's 640x320 drawing."""
        box = self.canvas.bounding_box()
        return box["x"] + point[0] * box["width"] / CANVAS[0], box["y"] + point[1] * box["height"] / CANVAS[1]

    def stroke(self, points, pause: float = 0.0) -> None:
        """One mouse stroke through `points`, `pause` seconds between points."""
        mouse = self.page.mouse
        mouse.move(*self.at(points[0]))
        mouse.down()
        for point in points[1:]:
            mouse.move(*self.at(point), steps=2)
            if pause:
                time.sleep(pause)
        mouse.up()

    def touch_stroke(self, points) -> None:
        """One finger stroke, as real touch input (Chromium makes pointer events of type touch)."""
        cdp = self.context.new_cdp_session(self.page)
        kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
        for kind, point in zip(kinds, points):
            x, y = self.at(point)
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        cdp.detach()

    def write(self, number: str, height: float = 200, touch: bool = False) -> None:
        """Write a number (one digit or several) stroke by stroke, centred on the pad."""
        for digit, place in number_layout(number, CANVAS, height, brush=12):
            for stroke in placed_strokes(digit, place):
                points = stroke[::6].tolist() + [stroke[-1].tolist()]  # a pointer event every few px
                (self.touch_stroke if touch else self.stroke)(points)

    def answers(self) -> list[dict]:
        return self.page.evaluate("window.__answers")

    def final_answer(self, timeout: float = 30) -> str:
        """The number the pad settles on for the finished drawing (waits for it)."""
        self.page.wait_for_function(FINAL, timeout=timeout * 1000)
        time.sleep(0.2)  # nothing may come after it to change what is shown
        final = self.page.evaluate(FINAL)
        assert self.answer.text_content() == final["number"]  # what the visitor sees
        return final["number"]

    def screenshot(self, name: str) -> None:
        OUT.mkdir(exist_ok=True)
        self.page.screenshot(path=str(OUT / name), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def pad(browser, app_server):
    pad = Pad(browser, app_server.url)
    yield pad
    pad.close()


def test_a_digit_drawn_with_the_mouse_is_read_with_its_probabilities_and_preview(pad):
    # no tool to pick first: a visitor can draw the moment the page opens
    pad.write("7")
    assert pad.final_answer() == "7"
    cards = pad.result.locator(".card")
    assert cards.count() == 1 and cards.first.get_attribute("data-digit") == "7"
    assert cards.first.locator(".bar-row").count() == 10
    assert cards.first.locator(".bar-row.top .bar-label").inner_text() == "7"
    preview = pad.result.locator("img.preview")
    assert preview.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [28, 28]
    pad.screenshot("drawn-7.png")


def test_answers_appear_while_the_pen_is_still_moving(pad):
    # a one-second stroke: a 0 drawn slowly, 40 points 25 ms apart
    (stroke,) = placed_strokes(0, Placement(CANVAS, (320, 160), 220, 0, 12))
    points = stroke[:: max(1, len(stroke) // 40)].tolist()
    tic = time.monotonic()
    pad.stroke(points, pause=0.025)
    seconds = time.monotonic() - tic
    during = [a for a in pad.answers() if a["ms"] is None]  # no pen-up yet when they were sent
    assert seconds >= 0.9
    assert len(during) >= 3, f"{len(during)} answers during a {seconds:.1f} s stroke"
    assert pad.final_answer() == "0"


def test_a_number_undo_and_clear(pad):
    pad.write("17", height=180)
    assert pad.final_answer() == "17"
    assert pad.result.locator(".card").count() == 2

    pad.page.get_by_test_id("undo").click()  # the 7's stroke goes
    assert pad.final_answer() == "1"

    pad.page.get_by_test_id("clear").click()
    assert pad.answer.text_content() == ""
    assert "Draw a digit" in pad.result.inner_text()
    assert pad.page.get_by_test_id("undo").is_disabled()
    # the canvas is blank again and still takes strokes
    pad.write("4")
    assert pad.final_answer() == "4"


def test_an_example_is_drawn_on_the_pad_then_read(pad):
    pad.page.get_by_test_id("example-2026").click()
    assert pad.final_answer() == "2026"
    assert pad.result.locator(".card").count() == 4
    assert not pad.page.get_by_test_id("pad").evaluate("e => e.classList.contains('empty')")
    pad.screenshot("example-2026.png")


def test_dark_theme_draws_and_reads(browser, app_server):
    pad = Pad(browser, app_server.url, theme="dark")
    assert pad.page.evaluate("() => document.body.classList.contains('dark')")
    pad.write("3")
    assert pad.final_answer() == "3"
    pad.screenshot("dark-3.png")
    pad.close()


def test_a_phone_draws_with_a_finger_and_sees_the_answer_beside_the_pad(browser, app_server):
    pad = Pad(browser, app_server.url, **PHONE)
    box = pad.canvas.bounding_box()
    assert box["width"] >= 0.8 * 390  # the pad fills the screen's width
    pad.write("4", touch=True)
    assert pad.final_answer() == "4"
    answer = pad.answer.bounding_box()
    assert answer["y"] + answer["height"] <= 844 and answer["y"] >= 0  # in view, with the pad
    assert pad.page.evaluate("() => window.scrollY") == 0  # drawing never scrolled the page
    pad.screenshot("phone-4.png")
    pad.close()


def test_nothing_drawn_stays_in_the_browser(pad, app_server):
    pad.write("1")
    assert pad.final_answer() == "1"
    databases = pad.page.evaluate("async () => (await indexedDB.databases()).map(d => d.name)")
    stored = pad.page.evaluate(
        "() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})"
    )
    assert not [name for name in databases if "run" in name.lower() or "history" in name.lower()]
    assert "data:image" not in stored
    response = pad.page.goto(app_server.url + "gradio_api/runs")
    assert response.status == 404  # no run history page, so no "Load run" of anybody's drawing


def test_a_kiosk_pad_clears_itself_when_nobody_draws(browser, tmp_path):
    with AppServer(tmp_path / "kiosk.log", env={"DIGIT_KIOSK_IDLE": "2"}) as server:
        pad = Pad(browser, server.url)
        assert "small neural network" not in pad.page.content()  # a short header
        assert pad.page.get_by_test_id("clear").bounding_box()["height"] >= 48  # large touch targets
        pad.write("7")
        assert pad.final_answer() == "7"
        pad.page.wait_for_function("() => document.querySelector('[data-testid=answer]').textContent === ''")
        assert pad.page.get_by_test_id("pad").evaluate("e => e.classList.contains('empty')")
        assert "Draw a digit" in pad.result.inner_text()
        pad.screenshot("kiosk-cleared.png")
        pad.close()
