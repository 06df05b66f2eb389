"""A real browser: Debian's Chromium, driven by Playwright, draws on the live app with the mouse
and with touch, the way a visitor does.

    python -m pytest tests/test_browser.py        # screenshots land in tests/out/

Needs /usr/bin/chromium (`apt-get install chromium`); skipped without it, unless
REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import base64
import io
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from harness.browser import PHONE, Pad
from harness.pad_client import pad_png_data_url
from harness.server import ROOT, AppServer
from model.synth.sketches import Placement, placed_strokes
from ui.pad import CANVAS, EXPORT, PAD_FUNCTION

pytestmark = [pytest.mark.slow, pytest.mark.browser]
OUT = Path(__file__).resolve().parent / "out"


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
    pad.screenshot(OUT / "drawn-7.png")


def test_answers_appear_while_the_pen_is_still_moving(pad):
    # a 0 drawn as one stroke lasting about a second
    (stroke,) = placed_strokes(0, Placement(CANVAS, (320, 160), 220, 0, 12))
    pad.stroke(stroke[:: len(stroke) // 16].tolist(), seconds=1.0)
    stroke = pad.stroke_timing()  # as the page saw it
    # at least three answers a second while the pen moves (a loaded machine stretches the stroke)
    assert stroke["ms"] >= 900, stroke
    answers = f"{stroke['answers']} answers during a {stroke['ms']:.0f} ms stroke"
    assert stroke["answers"] >= 3 * stroke["ms"] / 1000, answers
    assert pad.final_answer() == "0"


def data_url_png(url: str) -> tuple[Image.Image, bytes]:
    """A PNG data URL as its image, and its pixel rows as zlib inflates them (which checks the
    stream's Adler-32); every chunk's CRC-32 checked here, as Pillow checks only some."""
    png = base64.b64decode(url.split(",", 1)[1])
    idat, at = b"", 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length : at + 12 + length])[0] == zlib.crc32(kind + data)
        idat += data if kind == b"IDAT" else b""
        at += 12 + length
    return Image.open(io.BytesIO(png)), zlib.decompress(idat)


def test_the_pad_sends_its_drawing_as_a_grey_png_with_the_canvas_pixels(pad):
    # The server decodes every frame: the pad sends 8-bit grey with the pixels of the canvas it
    # drew them on (so the same reading as the canvas's own PNG), in under half its bytes.
    sent = []
    pad.page.on("request", lambda r: "component_server" in r.url and sent.append(r.post_data_json))
    catch = """() => {  // the pad's export canvas, caught as the pad reads its pixels
      const read = CanvasRenderingContext2D.prototype.getImageData;
      CanvasRenderingContext2D.prototype.getImageData = function (...args) {
        window.exported = this.canvas;
        return read.apply(this, args);
      };
    }"""
    pad.page.evaluate(catch)
    pad.draw(7, Placement(CANVAS, (320, 160), 200, 0, 12))
    assert pad.final_answer() == "7"
    frames = [body["data"] for body in sent if body.get("fn_name") == PAD_FUNCTION]
    assert "live" in frames[0] and "live" not in frames[-1]  # live frames, then the pen-up one
    grey, rows = data_url_png(frames[-1]["image"])
    own = pad.page.evaluate("() => window.exported.toDataURL('image/png')")
    canvas, _ = data_url_png(own)
    assert (grey.mode, grey.size, canvas.mode) == ("L", EXPORT, "RGBA"), (grey, canvas)
    assert np.array_equal(np.asarray(grey), np.asarray(canvas.convert("L")))
    assert len(rows) == (EXPORT[0] + 1) * EXPORT[1]
    assert np.asarray(grey).min() == 0  # the digit is in it, black on white
    assert len(frames[-1]["image"]) < len(own) / 2


def test_the_pads_png_encoder_keeps_every_pixel_of_any_image(browser):
    # ui/png.js writes its own deflate: any grey image, not only a drawing, comes back whole
    page = browser.new_page()
    page.add_script_tag(content=(ROOT / "ui" / "png.js").read_text())
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (37, 300), dtype=np.uint8)
    runs = np.repeat(rng.integers(0, 4, (90, 40), dtype=np.uint8) * 85, 7, axis=1)[:, :277]
    drawing = np.full((160, 320), 255, np.uint8)
    drawing[40:120, 150:170] = 0
    drawing[39, 150:170] = 128  # an anti-aliased edge
    # runs of lengths 1 to 300: every length code deflate has, with its extra bits
    every_length = np.concatenate([np.full(n, n % 2 * 200, np.uint8) for n in range(1, 301)])
    every_length = every_length.reshape(150, 301)
    images = [noise, runs, drawing, every_length, np.zeros((1, 1), np.uint8), np.full((300, 1), 7, np.uint8)]
    for pixels in images:
        height, width = pixels.shape
        encode = "([g, w, h]) => greyPngDataUrl(new Uint8Array(g), w, h)"
        url = page.evaluate(encode, [pixels.ravel().tolist(), width, height])
        image, rows = data_url_png(url)
        assert image.mode == "L" and np.array_equal(np.asarray(image), pixels), pixels.shape
        # the benchmarks' frames are made as the pad makes them: unfiltered rows, the same pixels
        theirs, their_rows = data_url_png(pad_png_data_url(Image.fromarray(pixels)))
        assert rows[:: width + 1] == their_rows[:: width + 1] == bytes(height)
        assert np.array_equal(np.asarray(theirs), pixels)
    page.close()


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
    pad.screenshot(OUT / "example-2026.png")


def test_dark_theme_draws_and_reads(browser, app_server):
    pad = Pad(browser, app_server.url, theme="dark")
    assert pad.page.evaluate("() => document.body.classList.contains('dark')")
    pad.write("3")
    assert pad.final_answer() == "3"
    pad.screenshot(OUT / "dark-3.png")
    pad.close()


@pytest.mark.parametrize("number", ["4", "7"])
def test_a_phone_draws_with_a_finger_and_sees_the_answer_beside_the_pad(browser, app_server, number):
    pad = Pad(browser, app_server.url, **PHONE)
    box = pad.canvas.bounding_box()
    assert box["width"] >= 0.8 * 390  # the pad fills the screen's width
    pad.write(number, touch=True)
    assert pad.final_answer() == number
    # the live answers ("7", "not sure") never moved the canvas under the finger
    assert pad.canvas_positions() == {(round(box["x"]), round(box["y"]))}
    answer = pad.answer.bounding_box()
    assert answer["y"] + answer["height"] <= 844 and answer["y"] >= 0  # in view, with the pad
    assert pad.page.evaluate("() => window.scrollY") == 0  # drawing never scrolled the page
    pad.screenshot(OUT / f"phone-{number}.png")
    pad.close()


def test_look_inside_shows_the_network_at_work_on_the_drawing(pad):
    panel = pad.page.get_by_test_id("inside-panel")
    assert not panel.is_visible()  # closed until a visitor opens it
    pad.page.get_by_test_id("inside-toggle").locator("summary").click()
    assert "Draw a digit to look inside" in panel.inner_text()
    pad.write("1")
    assert pad.final_answer() == "1"
    inside = pad.page.get_by_test_id("inside")
    assert inside.get_attribute("data-digit") == "1"
    first_layer = pad.page.get_by_test_id("inside-layer-1").inner_html()
    assert pad.page.get_by_test_id("inside-layer-5").locator(".top").inner_text() == "1"
    assert pad.page.get_by_test_id("inside-attribution").is_visible()
    assert pad.page.get_by_test_id("inside-gallery").is_visible()

    pad.page.get_by_test_id("clear").click()
    assert "Draw a digit to look inside" in panel.inner_text()
    pad.write("0")
    assert pad.final_answer() == "0"
    assert inside.get_attribute("data-digit") == "0"
    assert pad.page.get_by_test_id("inside-layer-1").inner_html() != first_layer  # other units light up
    pad.screenshot(OUT / "inside-0.png")


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
        assert "small neural network" not in pad.page.locator("#header").inner_text()  # a short header
        assert pad.page.get_by_test_id("clear").bounding_box()["height"] >= 48  # large touch targets
        pad.write("7")
        assert pad.final_answer() == "7"
        pad.page.wait_for_function("() => document.querySelector('[data-testid=answer]').textContent === ''")
        assert pad.page.get_by_test_id("pad").evaluate("e => e.classList.contains('empty')")
        assert "Draw a digit" in pad.result.inner_text()
        pad.screenshot(OUT / "kiosk-cleared.png")
        pad.close()


# ---- rough edges a visitor met (issue 25) ----------------------------------------------------
def since_now(pad: Pad) -> None:
    """What follows (a key, a tap) is what the next final answer must answer."""
    pad.page.evaluate("() => { window.__lastUp = performance.now(); }")


def test_ctrl_z_right_after_drawing_undoes_the_last_stroke(pad):
    pad.write("17", height=180)
    assert pad.final_answer() == "17"
    since_now(pad)
    pad.page.keyboard.press("Control+z")  # nothing was clicked: the focus is on the page
    assert pad.final_answer() == "1"
    pad.page.keyboard.press("Meta+z")  # a Mac's ⌘Z
    expect(pad.root.get_by_test_id("pad")).to_have_class(re.compile(r"\bempty\b"))


def test_a_stray_dot_and_the_upload_tab_say_what_to_do(pad, tmp_path):
    pad.stroke([[320, 160], [321, 160]])  # a dot: no digit in it
    assert pad.final_answer() == ""
    line = pad.page.locator("#pad .pad-answer").inner_text().strip()
    assert line and line not in ("I see", "I read") and "not sure" not in line, line

    pad.page.get_by_role("tab", name="Upload a photo").click()
    result = pad.page.locator("#photo-result")
    assert "upload" in result.inner_text().lower() and "Draw" not in result.inner_text()
    (tmp_path / "notes.png").write_text("a shopping list, not a picture")
    pad.page.locator("#photo input[type=file]").set_input_files(tmp_path / "notes.png")
    expect(result).to_contain_text("can't read that image")
    pad.page.locator("#photo img").wait_for(state="attached")
    # no broken-image icon beside the message: the picture that cannot be shown is not shown
    pad.page.wait_for_function(
        "() => ![...document.querySelectorAll('#photo img')].some("
        "i => i.checkVisibility() && i.complete && i.naturalWidth === 0)",
        timeout=5000,
    )
    pad.screenshot(OUT / "upload-not-an-image.png")


def test_on_a_phone_a_numbers_cards_are_one_compact_row_and_a_tap_shows_every_bar(browser, app_server):
    pad = Pad(browser, app_server.url, **PHONE)
    pad.page.get_by_test_id("example-2026").click()
    assert pad.final_answer() == "2026"
    cards = pad.result.locator(".card")
    boxes = [cards.nth(k).bounding_box() for k in range(4)]
    assert len({round(b["y"]) for b in boxes}) == 1, boxes  # side by side, in one row
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes), boxes
    for k, digit in enumerate("2026"):  # each shows its 28x28 and its top three, the winner first
        card = cards.nth(k)
        assert card.locator("img.preview").is_visible()
        rows = card.locator(".bar-row:visible")
        assert rows.count() == 3 and card.locator(".bar-row.top").is_visible()
        first = min(range(3), key=lambda i: rows.nth(i).bounding_box()["y"])
        assert rows.nth(first).locator(".bar-label").inner_text() == digit
    pad.screenshot(OUT / "phone-2026-compact.png")
    cards.nth(2).locator("img.preview").tap()
    assert cards.nth(2).locator(".bar-row:visible").count() == 10  # the full bars of the tapped one
    assert cards.nth(0).locator(".bar-row:visible").count() == 3
    pad.screenshot(OUT / "phone-2026-tapped.png")
    pad.close()


# every control a finger can hit on the pad
CONTROLS = """() => [...document.querySelectorAll('#pad button, #pad summary, #pad label')]
  .filter(e => e.checkVisibility())
  .map(e => { const b = e.getBoundingClientRect();
              return [e.textContent.trim().slice(0, 20), Math.round(b.width), Math.round(b.height)]; })"""


def test_on_a_phone_every_control_on_the_pad_is_at_least_44_px(browser, app_server):
    pad = Pad(browser, app_server.url, **PHONE)
    pad.write("7", touch=True)
    assert pad.final_answer() == "7"
    seen = pad.page.evaluate(CONTROLS)
    pad.result.locator(".card").first.get_by_test_id("wrong").tap()  # the ten digits show
    seen += pad.page.evaluate(CONTROLS)
    assert len(seen) >= 20  # undo, clear, the examples, the card's buttons, the ten digits...
    assert [c for c in seen if c[1] < 44 or c[2] < 44] == []
    pad.screenshot(OUT / "phone-targets.png")
    pad.close()


def test_a_split_digit_is_explained_in_words_once(browser, app_server):
    pad = Pad(browser, app_server.url, **PHONE)  # a phone shows no hover tooltip
    for digit, x in ((2, 267.5), (5, 372.5)):  # written so close that the 2's foot touches the 5
        pad.draw(digit, Placement(CANVAS, (x, 160), 200, 0, 12), touch=True)
    assert pad.final_answer() == "25"
    assert pad.result.locator(".cut").count() == 2  # both cards wear the badge
    said = pad.result.get_by_test_id("cut-note")
    assert said.count() == 1 and said.is_visible() and "cut apart" in said.inner_text()
    pad.screenshot(OUT / "phone-split.png")
    pad.close()
