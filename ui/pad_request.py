"""What the pad sends, read in one place: the drawing, which digit's panel, the visitor's language,
and on the "Watch it learn" tab the key of the visitor's own network.

    request = PadRequest.parse(payload)   # raises ImageError, with a message fit for a visitor
    request.image, request.inside, request.language, request.key, request.max_digits
    is_live(payload)                      # a live frame (pen still down): read after the others

ui/pad.js sends `{"image": "data:image/png;base64,...", "inside": 0, "language": "en-GB"}` to the
server function `read_pad`; the corrections (ui/feedback.js) send the same "image". Every field
comes from the network and is hostile until checked here: the image's shape and size are checked
before a byte of it is decoded. The image is required; a missing or odd "inside" or "language"
is only left out (the panel stays closed, no language is known), never a refusal of the drawing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PIL import Image

from model import ImageError
from model.drawing.image_io import decode_data_url, open_image

MAX_PAYLOAD_BYTES = 1 * 2**20  # a 640x320 drawing is 5-20 KB as PNG; anything far bigger is not ours
MAX_PIXELS = 4_000_000  # refuse larger images before decoding them (a pad never sends one)
# navigator.language: a BCP 47 tag such as "en", "en-GB", "zh-Hant-TW" (RFC 5646's longest
# well-formed tags are under 40 characters)
LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,6}")
MAX_LANGUAGE = 40
MAX_DIGITS = 64  # a "max_digits" above this is not from our pad (the canvas holds far fewer)
KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what ui/learn.py issues: URL-safe base64


@dataclass(frozen=True)
class PadRequest:
    """One reading asked for by the pad."""

    image: Image.Image  # decoded, at most MAX_PIXELS
    inside: int | None = None  # the digit whose "Look inside" panel is open; None: it is closed
    language: str | None = None  # the browser's language tag, as sent; None when absent or odd
    key: str | None = None  # the "Watch it learn" page's network key, as sent (ui/learn.py checks it)
    # how many digits the pad's strokes can hold, as it counts them (ui/pad.js, digitsHeld): the
    # reading returns no more (read_drawing's max_digits); None when absent or not a sensible count
    max_digits: int | None = None

    @classmethod
    def parse(cls, payload: object) -> PadRequest:
        """The request in `payload`; raises ImageError when there is no readable drawing in it."""
        fields = payload if isinstance(payload, dict) else {}
        return cls(
            pad_image(payload),
            _inside(fields.get("inside")),
            _language(fields.get("language")),
            _key(fields.get("key")),
            _max_digits(fields.get("max_digits")),
        )


def is_live(payload: object) -> bool:
    """Whether the pad marked this a live frame (`"live": true`, sent while the pen is down):
    under load its reading waits behind every pen-up one, whose answer the visitor waits for.
    Read without decoding anything, so the server can order its queue."""
    return isinstance(payload, dict) and payload.get("live") is True


def pad_image(payload: object) -> Image.Image:
    """The drawing in `{"image": "data:image/png;base64,..."}`, checked for shape and size before
    it is decoded; raises ImageError with a message for a visitor."""
    if not isinstance(payload, dict) or not isinstance(payload.get("image"), str):
        raise ImageError('expected {"image": "data:image/png;base64,..."} from the pad')
    return open_image(decode_data_url(payload["image"], max_bytes=MAX_PAYLOAD_BYTES), max_pixels=MAX_PIXELS)


def _inside(value: object) -> int | None:
    # JSON gives ints, floats, bools (an int subclass) and strings: only a real index opens the panel
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _language(value: object) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_LANGUAGE or not LANGUAGE.fullmatch(value):
        return None
    return value


def _key(value: object) -> str | None:
    return value if isinstance(value, str) and KEY.fullmatch(value) else None


def _max_digits(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DIGITS:
        return None
    return value
