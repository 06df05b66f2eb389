"""Open image files that anybody may send: limits first, first frame only, clear errors.

    image = open_image(path_or_bytes)      # PIL image, fully decoded; or raises ImageError
    png = decode_data_url(text)            # "data:image/png;base64,..." -> the file's bytes

Everything a visitor or a program can upload passes here before any pixel is decoded: the size
is checked from the header (decompression bombs are refused without being inflated), a large
JPEG is shrunk while it is decoded, only common image formats are decoded at all (never EPS,
which would run Ghostscript), animated images give their first frame, phone photos are turned
upright (EXIF), and a damaged, truncated or non-image file raises `ImageError` with a message
fit to show a visitor.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

# Refuse to work on images with more pixels than this (decompression bombs, absurd canvases).
MAX_PIXELS = 40_000_000
MAX_FILE_BYTES = 20 * 2**20  # the app's own upload limit is lower; this guards direct callers
ORIENTATION = 0x0112  # the EXIF tag saying which way up a photo was taken
# The only decoders a visitor's file may reach (a phone's multi-picture JPEG comes through JPEG's, as
# "MPO"). Pillow would otherwise try every plugin it has, EPS (Ghostscript) and a dozen rarely
# audited ones among them.
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF")
_DRAFTS = ("JPEG", "MPO")  # decoders that can shrink by 2, 4 or 8 while decoding


class ImageError(ValueError):
    """The input is not an image this project can read; the message says why, for a visitor."""


def check_size(width: int, height: int, max_pixels: int = MAX_PIXELS) -> None:
    """Refuse images with more than `max_pixels` pixels (before decoding them, where possible)."""
    if width * height > max_pixels:
        raise ImageError(f"the image is too large ({width}x{height} pixels); the limit is {max_pixels:,}")


def decode_data_url(text: object, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a base64 image data URL ("data:image/png;base64,..."), checked before any
    work: its type, its length (a longer text is refused unread) and its base64 alphabet."""
    if not isinstance(text, str):
        raise ImageError(f"expected an image as a data URL, got {type(text).__name__}")
    if len(text) > max_bytes * 4 // 3 + 100:  # base64 is 4 characters for 3 bytes
        raise ImageError(f"the drawing is too big ({len(text) / 2**20:.1f} MB of text)")
    header, comma, body = text.partition(",")
    if not comma or not header.startswith("data:image/") or not header.endswith(";base64"):
        raise ImageError("that is not an image data URL (data:image/...;base64,...)")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("the drawing's data is not valid base64") from None


def open_image(source: str | Path | bytes, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode an image file (path or bytes) safely; raises ImageError on anything unreadable
    or larger than `max_pixels`. A JPEG of up to MAX_PIXELS is shrunk by 2, 4 or 8 while decoding,
    to `max_pixels` at most (a 12 MP phone photo: 3 MP, a quarter of the memory); reading works
    on a far smaller copy anyway (ink.py)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) > MAX_FILE_BYTES:
            raise ImageError(f"the file is too big ({len(source) / 2**20:.0f} MB)")
        stream = io.BytesIO(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise ImageError("the uploaded file is missing (it may have expired; please try again)")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImageError(f"the file is too big ({path.stat().st_size / 2**20:.0f} MB)")
        stream = path.open("rb")
    try:
        with warnings.catch_warnings():
            # Pillow warns, then errs, on huge images; both mean "refuse" here
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream, formats=FORMATS)
            if image.format in _DRAFTS:
                check_size(*image.size)
                _shrink_while_decoding(image, max_pixels)
            check_size(*image.size, max_pixels=max_pixels)
            image.seek(0)  # animated GIF/PNG/WebP: the first frame
            image.load()
            if image.getexif().get(ORIENTATION, 1) != 1:  # only photos that need it: this copies
                image = ImageOps.exif_transpose(image)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"the image is too large; the limit is {max_pixels:,} pixels") from None
    except UnidentifiedImageError:
        raise ImageError("that file is not an image (or not a kind this app can read)") from None
    except (OSError, ValueError, SyntaxError, EOFError) as e:  # truncated, corrupt, bad chunks
        raise ImageError(f"the image file is damaged or incomplete ({type(e).__name__})") from None
    finally:
        if not isinstance(source, (bytes, bytearray, memoryview)):
            stream.close()
    return image


def _shrink_while_decoding(image: Image.Image, max_pixels: int) -> None:
    """Ask a JPEG decoder for the least scale-down (1, 2, 4 or 8) that fits `max_pixels`."""
    width, height = image.size
    for factor in (1, 2, 4, 8):
        if -(-width // factor) * -(-height // factor) <= max_pixels:
            break
    if factor > 1:
        image.draft(image.mode, (-(-width // factor), -(-height // factor)))
