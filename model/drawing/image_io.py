"""Open image files that anybody may send: limits first, first frame only, clear errors.

    image = open_image(path_or_bytes)      # PIL image, fully decoded; or raises ImageError

Everything a visitor or a program can upload passes here before any pixel is decoded: the size
is checked from the header (decompression bombs are refused without being inflated), animated
images give their first frame, phone photos are turned upright (EXIF), and a damaged,
truncated or non-image file raises `ImageError` with a message fit to show a visitor.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

# Refuse to work on images with more pixels than this (decompression bombs, absurd canvases).
MAX_PIXELS = 40_000_000
MAX_FILE_BYTES = 20 * 2**20  # the app's own upload limit is lower; this guards direct callers
ORIENTATION = 0x0112  # the EXIF tag saying which way up a photo was taken


class ImageError(ValueError):
    """The input is not an image this project can read; the message says why, for a visitor."""


def check_size(width: int, height: int) -> None:
    """Refuse images with more than MAX_PIXELS pixels (before decoding them, where possible)."""
    if width * height > MAX_PIXELS:
        raise ImageError(f"the image is too large ({width}x{height} pixels); the limit is {MAX_PIXELS:,}")


def open_image(source: str | Path | bytes) -> Image.Image:
    """Decode an image file (path or bytes) safely; raises ImageError on anything unreadable."""
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
            image = Image.open(stream)
            check_size(*image.size)
            image.seek(0)  # animated GIF/PNG/WebP: the first frame
            image.load()
            if image.getexif().get(ORIENTATION, 1) != 1:  # only photos that need it: this copies
                image = ImageOps.exif_transpose(image)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"the image is too large; the limit is {MAX_PIXELS:,} pixels") from None
    except UnidentifiedImageError:
        raise ImageError("that file is not an image (or not a kind this app can read)") from None
    except (OSError, ValueError, SyntaxError, EOFError) as e:  # truncated, corrupt, bad chunks
        raise ImageError(f"the image file is damaged or incomplete ({type(e).__name__})") from None
    finally:
        if not isinstance(source, (bytes, bytearray, memoryview)):
            stream.close()
    return image
