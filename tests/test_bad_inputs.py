"""A catalogue of bad inputs, each sent to the running app over HTTP (gradio_client).

    python -m pytest tests/test_bad_inputs.py

Every one must get a sensible reading or a clear, friendly message; no traceback may reach the
caller; the server must keep answering, with bounded memory.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import psutil
import pytest
from gradio_client import handle_file
from PIL import Image

from bench.sketches import Placement, draw_digit

pytestmark = pytest.mark.slow
CANVAS = (640, 320)
SEVEN = Placement(CANVAS, (320, 160), 220, 0, 12)


def png_bytes(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header announcing width x height pixels, with a tiny zlib stream of zeros."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    rows = zlib.compress(b"\x00" * (width + 1) * 64)  # a few rows; the rest is never needed
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def make_inputs(tmp_path) -> dict[str, tuple[bytes, str, str]]:
    """name -> (file bytes, file name, what must happen: a digit, 'hint' or 'refused')."""
    white = Image.new("RGB", CANVAS, "white")
    seven = draw_digit(7, SEVEN, "white")
    one_pixel = white.copy()
    one_pixel.putpixel((320, 160), (0, 0, 0))
    hairline = Image.new("L", CANVAS, 255)
    from PIL import ImageDraw

    ImageDraw.Draw(hairline).line([(260, 50), (380, 50), (300, 270)], fill=0, width=1)
    frames = [draw_digit(d, SEVEN, "white").convert("P") for d in (3, 5, 8)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    sixteen = Image.fromarray(np.asarray(draw_digit(4, SEVEN, "gray"), np.uint16) * 257)
    cmyk = io.BytesIO()
    draw_digit(2, SEVEN, "white").convert("CMYK").save(cmyk, "JPEG", quality=90)
    floats = np.asarray(draw_digit(6, SEVEN, "gray"), np.float32) / 255
    floats[0, :5] = [np.nan, np.inf, -np.inf, 1e30, -1e30]
    tiff = io.BytesIO()
    Image.fromarray(floats, "F").save(tiff, "TIFF")
    big_canvas = Image.new("L", (10_000, 10_000), 255)
    png = png_bytes(seven)
    return {
        "all white": (png_bytes(white), "white.png", "hint"),
        "all black": (png_bytes(Image.new("RGB", CANVAS, "black")), "black.png", "hint"),
        "fully transparent": (png_bytes(Image.new("RGBA", CANVAS, (0, 0, 0, 0))), "clear.png", "hint"),
        "one pixel": (png_bytes(one_pixel), "pixel.png", "hint"),
        "hairline 7": (png_bytes(hairline), "hairline.png", "7"),
        "1x1 canvas": (png_bytes(Image.new("L", (1, 1), 0)), "tiny.png", "hint"),
        "10000x10000 canvas": (png_bytes(big_canvas, compress_level=9), "huge.png", "refused"),
        "decompression bomb": (bomb_png(50_000, 50_000), "bomb.png", "refused"),
        "truncated png": (png[: len(png) // 2], "truncated.png", "refused"),
        "not an image": (b"hello, this is a text file pretending to be a PNG\n" * 20, "fake.png", "refused"),
        "animated gif": (gif.getvalue(), "animated.gif", "3"),
        "16-bit png": (png_bytes(sixteen), "sixteen.png", "4"),
        "cmyk jpeg": (cmyk.getvalue(), "cmyk.jpg", "2"),
        "float tiff with nan and inf": (tiff.getvalue(), "floats.tiff", "6"),
    }


CASES = [
    "all white", "all black", "fully transparent", "one pixel", "hairline 7", "1x1 canvas",
    "10000x10000 canvas", "decompression bomb", "truncated png", "not an image", "animated gif",
    "16-bit png", "cmyk jpeg", "float tiff with nan and inf",
]  # fmt: skip


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> dict[str, tuple[str, str]]:
    folder = tmp_path_factory.mktemp("bad")
    files = {}
    for name, (data, filename, expected) in make_inputs(folder).items():
        path = folder / filename
        path.write_bytes(data)
        files[name] = (str(path), expected)
    return files


def check(reading: dict, html: str, expected: str) -> None:
    assert "Traceback" not in html and "Traceback" not in reading["message"]
    if expected == "hint":
        assert reading["number"] == "" and "Draw a digit" in reading["message"]
    elif expected == "refused":
        assert reading["number"] == "" and reading["message"].startswith("Sorry, I can't read that image")
        assert reading["message"] in html or reading["message"].replace("'", "&#x27;") in html
    else:
        assert reading["number"] == expected, reading


@pytest.mark.parametrize("case", CASES)
def test_upload_tab(client, bad_files, case):
    path, expected = bad_files[case]
    html, reading = client.predict(handle_file(path), api_name="/read_image")
    check(reading, html, expected)


@pytest.mark.parametrize("case", CASES)
def test_sketch_endpoint(client, bad_files, case):
    """The same files sent as the pad's composite (a program can send anything there)."""
    path, expected = bad_files[case]
    value = {"background": None, "layers": [], "composite": handle_file(path), "id": None}
    html, reading = client.predict(value, api_name="/read_sketch")
    check(reading, html, expected)


@pytest.mark.parametrize(
    "value",
    [
        None,
        {"background": None, "layers": [], "composite": None, "id": None},
        {"background": None, "layers": [], "composite": None, "id": "no-such-upload"},
    ],
    ids=["no value", "empty pad", "composite missing"],
)
def test_empty_sketch_values_get_the_hint(client, value):
    html, reading = client.predict(value, api_name="/read_sketch")
    check(reading, html, "hint")


def test_no_image_on_the_upload_tab_gets_the_hint(client):
    html, reading = client.predict(None, api_name="/read_image")
    check(reading, html, "hint")


def test_an_upload_over_the_size_limit_is_refused_at_the_door(client, tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(png_bytes(Image.new("L", (16, 16), 255)) + b"\0" * (11 * 2**20))  # > 10 MB
    with pytest.raises(Exception, match=r"(?i)size|large|limit|413"):
        client.predict(handle_file(str(path)), api_name="/read_image")


def test_the_server_is_still_up_and_its_memory_bounded(client, app_server, bad_files, tmp_path):
    server = psutil.Process(app_server.process.pid)
    for case in CASES:  # warm: every bad input once
        client.predict(handle_file(bad_files[case][0]), api_name="/read_image")
    before = server.memory_info().rss
    for _ in range(3):
        for case in CASES:
            client.predict(handle_file(bad_files[case][0]), api_name="/read_image")
    grown = (server.memory_info().rss - before) / 2**20
    assert app_server.alive()
    assert grown < 50, f"server memory grew {grown:.0f} MB over 3 rounds of bad inputs"
    image = draw_digit(9, SEVEN, "white")
    image.save(tmp_path / "nine.png")
    assert client.predict(handle_file(str(tmp_path / "nine.png")), api_name="/read_image")[1]["number"] == "9"
    assert "Traceback" not in app_server.log()
