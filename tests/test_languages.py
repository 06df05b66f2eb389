"""The demo in English and Simplified Chinese, for real: the server answers in the language asked
for (the pad's "language", the API's Accept-Language), and a browser set to zh-CN or en-US sees
the page in its language, with a switch in the header.

    python -m pytest tests/test_languages.py        # screenshots land in tests/out/

The browser tests need /usr/bin/chromium, like tests/test_browser.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from PIL import Image

from harness.browser import PHONE, Pad
from harness.pad_client import PadClient, png_data_url
from model.synth.sketches import Placement, draw_digit
from tests.conftest import canvas_png
from ui.pad import CANVAS

pytestmark = pytest.mark.slow
OUT = Path(__file__).resolve().parent / "out"
CJK = re.compile(r"[\u4e00-\u9fff]")
SEVEN = draw_digit(7, Placement(CANVAS, (320, 160), 200, 0, 12), "white")


@pytest.fixture(scope="module")
def pad(app_server):
    client = PadClient(app_server.url)
    yield client
    client.close()


def read(pad: PadClient, image: Image.Image, language: str | None) -> dict:
    payload = {"image": png_data_url(image)}
    if language is not None:
        payload["language"] = language
    response = pad.send(payload)
    response.raise_for_status()
    return response.json()


def test_the_pad_answers_in_the_language_it_sends(pad):
    zh, en, unknown = (read(pad, SEVEN, lang) for lang in ("zh-CN", "en-US", None))
    assert zh["number"] == en["number"] == "7"
    assert "模型看到的" in zh["html"] and not CJK.search(en["html"]) and not CJK.search(unknown["html"])
    assert zh["reading"].keys() == en["reading"].keys()  # the JSON keeps its English keys
    blank = Image.new("RGBA", CANVAS, "white")
    assert read(pad, blank, "zh-CN")["reading"]["message"] == "写一个数字：0 到 9，或者一个多位数。"
    assert read(pad, blank, "en")["reading"]["message"] == "Draw a digit: 0 to 9, or a whole number."


def test_a_broken_drawing_is_refused_in_the_visitors_language(pad):
    zh = pad.send({"image": "data:image/png;base64,bm90IGFuIGltYWdl", "language": "zh-CN"}).json()
    en = pad.send({"image": "data:image/png;base64,bm90IGFuIGltYWdl", "language": "en-GB"}).json()
    assert zh["reading"]["message"].startswith("抱歉，这幅图读不了")
    assert en["reading"]["message"].startswith("Sorry, I can't read that drawing")


def test_the_booth_and_a_refused_correction_speak_chinese(pad):
    assert "写一个数字" in pad.call("booth", {"language": "zh-CN"})["html"]
    assert "Draw a digit" in pad.call("booth", {})["html"]
    payload = {"image": png_data_url(SEVEN), "digit": 0, "label": 7, "consent": False, "language": "zh-CN"}
    assert pad.call("correct_pad", payload)["message"].startswith("没有保存")


def test_the_api_translates_only_the_message_and_only_when_asked(app_server, tmp_path):
    blank = handle_file(canvas_png(tmp_path, Image.new("RGB", (200, 100), "white")))
    asked = Client(app_server.url, verbose=False, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    _, zh = asked.predict(blank, api_name="/read_image")
    _, plain = Client(app_server.url, verbose=False).predict(blank, api_name="/read_image")
    # an image with no digit in it gets the upload tab's hint
    assert zh["message"] == "上传一张手写数字或数字串的照片或扫描件，或者在下面选一个示例。"
    assert (
        plain["message"]
        == "Upload a photo or a scan of a handwritten digit or number, or pick an example below."
    )
    assert zh.keys() == plain.keys() and {"number", "digits", "message"} <= zh.keys()  # English keys


# ---- in a browser ---------------------------------------------------------------------------
def chinese_in_draw_tab(pad: Pad) -> int:
    """Chinese characters a visitor sees in the header and the Draw tab (not the switch's "中文")."""
    text = pad.page.evaluate(
        "() => [document.querySelector('#header'), document.querySelector('[role=tablist]'),"
        " document.querySelector('#pad')].map(e => e.innerText).join(' ')"
    )
    return len(CJK.findall(text))


def overflowing(pad: Pad) -> list[str]:
    """Buttons and cards whose text does not fit in them."""
    return pad.page.evaluate(
        """() => [...document.querySelectorAll('#pad button, #pad .card, #header-row button')]
        .filter(e => e.offsetParent &&
          (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1))
        .map(e => e.outerHTML.slice(0, 80))"""
    )


@pytest.mark.browser
@pytest.mark.parametrize("form", ["desktop", "phone"])
def test_a_browser_set_to_chinese_sees_the_page_in_chinese(browser, app_server, form):
    pad = Pad(browser, app_server.url, locale="zh-CN", **(PHONE if form == "phone" else {}))
    pad.page.get_by_role("heading", name="写个数字").wait_for()
    assert chinese_in_draw_tab(pad) >= 40
    assert pad.root.get_by_test_id("undo").inner_text() == "撤销"
    assert pad.root.get_by_test_id("clear").inner_text() == "清除"
    assert pad.page.get_by_role("tab", name="手写").is_visible()
    pad.write("7", touch=form == "phone")
    assert pad.final_answer() == "7"
    assert pad.root.locator(".pad-label").inner_text() == "我看到"
    pad.result.get_by_test_id("right").first.wait_for()
    assert pad.result.get_by_test_id("right").first.inner_text() == "对！"
    assert overflowing(pad) == []
    pad.screenshot(OUT / f"zh-{form}.png")
    pad.close()


@pytest.mark.browser
def test_an_error_is_shown_in_chinese(browser, app_server, tmp_path):
    pad = Pad(browser, app_server.url, locale="zh-CN")
    pad.page.get_by_role("tab", name="上传照片").click()
    (tmp_path / "notes.png").write_text("not an image at all")
    pad.page.locator("#photo input[type=file]").set_input_files(str(tmp_path / "notes.png"))
    result = pad.page.locator("#photo-result")
    result.get_by_text("抱歉，这张图片读不了").wait_for(timeout=30_000)
    pad.close()


@pytest.mark.browser
def test_a_browser_set_to_english_sees_no_chinese(browser, app_server):
    pad = Pad(browser, app_server.url, locale="en-US", theme="dark")
    pad.page.get_by_role("heading", name="Draw a digit").wait_for()
    assert chinese_in_draw_tab(pad) == 0
    pad.write("7")
    assert pad.final_answer() == "7"
    assert pad.root.locator(".pad-label").inner_text() == "I see"
    assert chinese_in_draw_tab(pad) == 0
    pad.close()


@pytest.mark.browser
def test_the_switch_changes_the_language_and_is_remembered(browser, app_server):
    pad = Pad(browser, app_server.url, locale="en-US")
    pad.write("7")
    assert pad.final_answer() == "7"
    pad.page.get_by_test_id("lang-zh-CN").click()
    pad.page.get_by_role("heading", name="写个数字").wait_for()  # Gradio's Markdown
    assert pad.root.get_by_test_id("undo").inner_text() == "撤销"  # our HTML
    pad.page.wait_for_function("() => document.querySelector('#pad .pad-label').innerText === '我看到'")
    pad.result.get_by_text("对！").first.wait_for()
    # the cards, asked for again in Chinese: the server wrote them
    assert pad.result.locator("img.preview").first.get_attribute("alt") == "模型看到的 28x28 图像"
    assert pad.answer.inner_text() == "7"
    assert chinese_in_draw_tab(pad) >= 40
    pad.page.reload()
    pad.page.get_by_role("heading", name="写个数字").wait_for()  # the choice is kept
    pad.page.get_by_test_id("lang-en").click()
    pad.page.get_by_role("heading", name="Draw a digit").wait_for()
    assert pad.root.get_by_test_id("undo").inner_text() == "Undo"
    pad.close()


@pytest.mark.browser
@pytest.mark.parametrize("look", ["light", "dark"])
def test_watch_it_learn_trains_and_reads_in_chinese(browser, learning_server, look):
    # the app on made-up MNIST (tests/conftest.py): a run of a few seconds
    pad = Pad(browser, learning_server.url, theme=look, locale="zh-CN", tab="看它学习", elem_id="learn-pad")
    status = pad.page.get_by_test_id("learn-status")
    status.get_by_text("一个全新的、未经训练的网络").wait_for()
    pad.page.locator("#learn-train").get_by_text("训练").wait_for()
    pad.page.locator("#learn-train").click()
    pad.page.wait_for_function(
        "() => document.querySelector('[data-testid=learn-status]').dataset.state === 'done'",
        timeout=120_000,
    )
    assert status.inner_text().startswith("你的网络训练了"), status.inner_text()
    assert "训练" in pad.page.locator("#learn-patterns figcaption").inner_text()
    pad.canvas.scroll_into_view_if_needed()
    pad.write("7")
    assert re.fullmatch(r"\d", pad.final_answer())
    assert (
        pad.result.get_by_text("你的网络").is_visible() and pad.result.get_by_text("我们的网络").is_visible()
    )
    pad.screenshot(OUT / f"zh-learn-{look}.png")
    pad.close()
