"""What the pad sends, parsed in one place (ui/pad_request.py): the drawing, the "Look inside"
panel's digit, the visitor's language; every other field, and every odd value, left out.

    python -m pytest tests/test_pad_request.py
"""

from __future__ import annotations

import base64
import zlib

import numpy as np
import pytest
from PIL import Image

from harness.bad_inputs import bomb_png, png_bytes
from harness.pad_client import pad_png_data_url, png_data_url
from model import ImageError
from ui.pad import EXPORT
from ui.pad_request import MAX_PAYLOAD_BYTES, PadRequest, is_live, pad_image


def drawing() -> Image.Image:
    image = Image.new("RGBA", EXPORT, "white")
    image.paste((0, 0, 0, 255), (150, 40, 160, 120))  # a 1
    return image


def test_the_benchmarks_frames_are_read_as_the_pads_own_grey_unfiltered_pngs():
    # bench.crowd's frames are made as ui/png.js makes them (tests/test_browser.py compares the two)
    grey = drawing().convert("L")
    url = pad_png_data_url(grey)
    png = base64.b64decode(url.split(",", 1)[1])
    idat = png[png.index(b"IDAT") + 4 : png.index(b"IEND") - 8]  # one IDAT chunk's data, CRC off
    rows = zlib.decompress(idat)
    assert rows[:: grey.width + 1] == bytes(grey.height)  # every row unfiltered, as the pad sends
    image = PadRequest.parse({"image": url}).image
    assert image.mode == "L" and np.array_equal(np.asarray(image), np.asarray(grey))


def test_what_ui_pad_js_sends_is_read_into_a_request():
    payload = {"image": png_data_url(drawing()), "inside": 2, "language": "zh-Hant-TW"}
    request = PadRequest.parse(payload)
    assert request.image.size == EXPORT and request.image.getpixel((155, 80)) == (0, 0, 0, 255)
    assert (request.inside, request.language) == (2, "zh-Hant-TW")
    with pytest.raises(AttributeError):
        request.inside = 0  # frozen: what arrived is not changed on the way


@pytest.mark.parametrize("odd", [None, True, "0", -1, 1.0, [0], {"digit": 0}])
def test_anything_but_a_digits_index_leaves_the_panel_closed(odd):
    assert PadRequest.parse({"image": png_data_url(drawing()), "inside": odd}).inside is None


@pytest.mark.parametrize(
    "odd", [None, 7, "", "e", "en_GB", "en-GB<script>", "x" * 41, ["en"], "en-" + "a" * 9]
)
def test_a_language_that_is_not_a_language_tag_is_left_out(odd):
    request = PadRequest.parse({"image": png_data_url(drawing()), "language": odd})
    assert request.language is None and request.image.size == EXPORT  # the drawing is still read


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (None, r'expected \{"image"'),
        ("data:image/png;base64,AAAA", r'expected \{"image"'),
        ({"inside": 0}, r'expected \{"image"'),
        ({"image": 7}, r'expected \{"image"'),
        ({"image": "data:text/html;base64,PGI+"}, "not an image data URL"),
        ({"image": "data:image/png;base64,@@@@"}, "not valid base64"),
        ({"image": "data:image/png;base64," + "A" * (MAX_PAYLOAD_BYTES * 2)}, "too big"),
        ({"image": "data:image/png;base64,AAAA"}, "not an image"),
    ],
)
def test_a_payload_without_a_readable_drawing_is_refused_with_the_reason(payload, message):
    with pytest.raises(ImageError, match=message):
        PadRequest.parse(payload)


def test_a_huge_image_is_refused_before_it_is_decoded():
    bomb = "data:image/png;base64," + base64.b64encode(bomb_png(20_000, 20_000)).decode()
    with pytest.raises(ImageError, match="too large"):
        pad_image({"image": bomb})
    small = png_bytes(drawing())
    assert pad_image({"image": "data:image/png;base64," + base64.b64encode(small).decode()}).size == EXPORT


@pytest.mark.parametrize("odd", [None, 1, "true", [True], {"live": True}])
def test_only_a_frame_marked_live_is_read_after_the_others(odd):
    assert is_live({"image": "not even decoded", "live": True})
    assert not is_live({"image": "…", "live": odd}) and not is_live({"image": "…"}) and not is_live(None)
