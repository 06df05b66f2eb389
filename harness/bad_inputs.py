"""A catalogue of bad inputs: files and pad payloads a booth demo or a public Space gets thrown at.

    for name, (data, filename, expected) in catalogue().items(): ...   # image files
    for name, (payload, expected) in pad_payloads().items(): ...        # what the pad's POST carries

`expected` is what the app must answer: a digit ("7"), "hint" (nothing to read: the friendly
"Draw a digit") or "refused" (a clear "Sorry, I can't read that ..."). Used by
tests/test_bad_inputs.py and bench/reliability.py.
"""

from __future__ import annotations

import base64
import html as html_text
import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw

from harness.pad_client import png_data_url
from model.synth.sketches import Placement, draw_digit
from ui.pad import CANVAS
from ui.words import text

SEVEN = Placement(CANVAS, (320, 160), 220, 0, 12)


def answered_as_expected(reading: dict, html: str, expected: str) -> bool:
    """Whether a reply (the reading's JSON and the panel's HTML) is what `expected` asks for: the
    digits read, the hint, or a clear refusal shown to the visitor; never a traceback."""
    if "Traceback" in html or "Traceback" in reading.get("message", ""):
        return False
    if expected == "hint":
        # the pad's hint, or the upload tab's own (ui/strings/)
        return reading["number"] == "" and reading["message"] in (
            text("reading.hint"),
            text("reading.upload_hint"),
        )
    if expected == "refused":
        message = reading["message"]
        return (
            reading["number"] == ""
            and message.startswith("Sorry, I can't read that")
            and (html_text.escape(message) in html)
        )
    return reading["number"] == expected


def png_bytes(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def dotted_grid(side: int) -> Image.Image:
    """Issue 24's costly drawing: 5x5-pixel dots every 12 px, a 1-bit image of a few hundred bytes."""
    pixels = np.ones((side, side), bool)
    for y in range(0, side - 5, 12):
        for x in range(0, side - 5, 12):
            pixels[y : y + 5, x : x + 5] = False
    return Image.fromarray(pixels)


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header announcing width x height pixels, with a tiny zlib stream of zeros."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    rows = zlib.compress(b"\x00" * (width + 1) * 64)  # a few rows; the rest is never needed
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def catalogue() -> dict[str, tuple[bytes, str, str]]:
    """name -> (file bytes, file name, what must happen: a digit, 'hint' or 'refused')."""
    white = Image.new("RGB", CANVAS, "white")
    seven = draw_digit(7, SEVEN, "white")
    one_pixel = white.copy()
    one_pixel.putpixel((320, 160), (0, 0, 0))
    hairline = Image.new("L", CANVAS, 255)
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


def pad_payloads() -> dict[str, tuple[object, str]]:
    """name -> (what the pad's POST carries as data, what must happen). Every image file of the
    catalogue arrives as a data URL; then payloads that are not a drawing at all."""
    payloads = {
        f"{name} (data URL)": ("data:image/png;base64," + base64.b64encode(data).decode(), expected)
        for name, (data, _, expected) in catalogue().items()
    }
    payloads = {name: ({"image": url}, expected) for name, (url, expected) in payloads.items()}
    seven = png_data_url(draw_digit(7, SEVEN, "white"))
    payloads.update(
        {
            "no payload": (None, "refused"),
            "a string": ("data:image/png;base64,iVBORw0KGgo=", "refused"),
            "a list": ([seven], "refused"),
            "a number": (7, "refused"),
            "no image key": ({"png": seven}, "refused"),
            "image not a string": ({"image": {"nested": [1, 2, 3]}}, "refused"),
            "not a data URL": ({"image": "https://example.com/seven.png"}, "refused"),
            "a text data URL": ({"image": "data:text/plain;base64,aGVsbG8="}, "refused"),
            "not base64": ({"image": "data:image/png;base64,<svg onload=alert(1)>"}, "refused"),
            "megabytes of text": ({"image": "data:image/png;base64," + "A" * (3 * 2**20)}, "refused"),
            "megabytes of JSON": ({"image": seven, "junk": ["x" * 1000] * 3000}, "7"),
            "pad-sized bomb (3000x3000)": ({"image": _data_url(bomb_png(3000, 3000))}, "refused"),
            "a real 7": ({"image": seven}, "7"),
        }
    )
    return payloads


def _data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


CASES = [
    "all white", "all black", "fully transparent", "one pixel", "hairline 7", "1x1 canvas",
    "10000x10000 canvas", "decompression bomb", "truncated png", "not an image", "animated gif",
    "16-bit png", "cmyk jpeg", "float tiff with nan and inf",
]  # fmt: skip
