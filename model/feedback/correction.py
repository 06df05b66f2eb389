"""One corrected digit, as it is stored: what the model saw and said, and what the visitor says.

    label = parse_label(value)                 # 0-9, NOT_A_DIGIT (-1), or LabelError with a message
    row = Correction.of(reading, index, label, drawing, weights=digest, session=anonymous(h))

Everything in a row comes from the server's own reading of the drawing it was sent, never from
numbers a client sends. The drawing is kept as the digit's own piece of it (the box the reading
found, with a margin), grey, at most DRAWING_SIDE pixels on a side and DRAWING_BYTES as PNG: a
row describes one digit, and a number written on the pad is never stored whole in one row.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..reading import Reading
from .schema import NOT_A_DIGIT

DRAWING_SIDE = 128  # px: the stored drawing's longest side at most
DRAWING_BYTES = 16 * 1024  # the stored PNG at most (a pad digit is 1-3 KB)
DIGITS = tuple("0123456789")
NOT_A_DIGIT_NAME = "not_a_digit"  # the label NOT_A_DIGIT as the pad and the export write it
MARGIN = 0.15  # around the digit's box, as a share of its longer side
_SESSION_KEY = secrets.token_bytes(16)  # per process: a stored session id leads back to nothing


class LabelError(ValueError):
    """A label that is not one digit 0-9; the message says so in plain words."""


@dataclass(frozen=True)
class Correction:
    """A row of the corrections table (see schema.py)."""

    created: float
    input: bytes  # (28, 28) float32, the model's input
    drawing: bytes  # PNG, mode L
    label: int  # 0-9, or NOT_A_DIGIT
    answer: int
    probabilities: tuple[float, ...]
    weights: str
    session: str
    verdict: str | None = None  # the reading's: "number", "unsure" or "not_a_digit"

    @property
    def right(self) -> bool:
        return self.label == self.answer

    def values(self) -> tuple:
        """In the table's column order (without the id)."""
        probs = json.dumps([round(p, 6) for p in self.probabilities])
        return (
            self.created,
            self.input,
            self.drawing,
            self.label,
            self.answer,
            probs,
            self.weights,
            self.session,
            self.verdict,
        )

    @classmethod
    def of(
        cls,
        reading: Reading,
        index: int,
        label: int,
        drawing: Image.Image,
        weights: str,
        session: str,
        now: float | None = None,
    ) -> Correction:
        """The row for digit `index` of `reading`, the server's reading of `drawing`."""
        digit = reading.digits[index]
        return cls(
            created=time.time() if now is None else now,
            input=np.ascontiguousarray(digit.image, np.float32).tobytes(),
            drawing=digit_png(drawing, digit.box),
            label=label,
            answer=digit.digit,
            probabilities=tuple(float(p) for p in digit.probabilities),
            weights=weights,
            session=session,
            verdict=reading.verdict,
        )


def parse_label(value: object) -> int:
    """The label a visitor or program gives: a digit as 7, 7.0 or "7", or "not a digit" as
    "not_a_digit" or -1 (NOT_A_DIGIT); anything else raises LabelError."""
    if isinstance(value, str) and value == NOT_A_DIGIT_NAME:
        return NOT_A_DIGIT
    digit = value
    if (isinstance(value, float) and value.is_integer()) or (isinstance(value, str) and value in DIGITS):
        digit = int(value)
    if isinstance(digit, int) and not isinstance(digit, bool) and NOT_A_DIGIT <= digit <= 9:
        return digit
    raise LabelError(f'the label must be one digit, 0 to 9, or "{NOT_A_DIGIT_NAME}" (got {repr(value)[:20]})')


def digit_png(drawing: Image.Image, box: tuple[int, int, int, int]) -> bytes:
    """The digit's piece of the drawing as a small grey PNG, under DRAWING_BYTES. `box` is the
    reading's (left, top, right, bottom), in the drawing's pixels."""
    gray = _gray(drawing)
    left, top, right, bottom = box
    pad = max(2, round(MARGIN * max(right - left, bottom - top)))
    piece = gray.crop((left - pad, top - pad, right + pad, bottom + pad))  # outside: filled black,
    piece = _on_white(piece, gray.size, (left - pad, top - pad))  # so paint it paper-white
    side = DRAWING_SIDE
    while True:
        small = piece.copy()
        small.thumbnail((side, side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        small.save(buffer, "PNG", optimize=True)
        if buffer.tell() <= DRAWING_BYTES or side <= 16:
            return buffer.getvalue()
        side //= 2


def weights_digest(path: str | Path) -> str:
    """The weights file's sha256, short: which model gave the answers in a row."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def anonymous(session: str | None) -> str:
    """A stored session id: the same for one visit's rows, and unlinkable to anything else (a
    keyed hash with a key that lives only in this process)."""
    return hmac.new(_SESSION_KEY, (session or "").encode(), hashlib.sha256).hexdigest()[:16]


def _gray(image: Image.Image) -> Image.Image:
    """Grey as a person sees it: transparency shows white paper."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, "white")
        return Image.alpha_composite(paper, rgba).convert("L")
    return image.convert("L")


def _on_white(piece: Image.Image, size: tuple[int, int], origin: tuple[int, int]) -> Image.Image:
    """Paint white what a crop took from outside the drawing (Pillow fills it with black)."""
    inside = Image.new("L", piece.size, 0)
    x, y = origin
    inside.paste(255, (max(0, -x), max(0, -y), min(piece.width, size[0] - x), min(piece.height, size[1] - y)))
    out = Image.new("L", piece.size, 255)
    out.paste(piece, (0, 0), inside)
    return out
