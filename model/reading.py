"""Read a drawing: find the digit(s), run the classifier, and say what it sees.

    reading = read_drawing(image, classifier)   # with the shipped number reader (model/numbers)
    reading.number           # "7", or "2026" for several digits, "" when there is no digit
    reading.digits[0].probabilities   # ten floats, one per class
    theirs = reread(reading, other_classifier)   # the same digits, another network's answer

This is everything the app does with an image, in one call, with no Gradio in sight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .classifier import Classifier
from .drawing.ink import in_drawing_pixels
from .numbers import NumberReader, default_reader, find_digits


@dataclass(frozen=True)
class DigitReading:
    """One digit: what the model sees (28x28), where it was drawn, and what the model says."""

    image: np.ndarray  # (28, 28) float32 in [0, 1], the model's input
    box: tuple[int, int, int, int]  # (left, top, right, bottom) in the drawing's pixels
    probabilities: tuple[float, ...]  # ten probabilities, index = digit
    cut: bool = False  # True when it was cut apart from ink it touches (a neighbour, a joining stroke)

    @property
    def digit(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def confidence(self) -> float:
        return float(max(self.probabilities))


@dataclass(frozen=True)
class Reading:
    """All the digits of a drawing, left to right."""

    digits: tuple[DigitReading, ...]

    @property
    def number(self) -> str:
        return "".join(str(d.digit) for d in self.digits)

    def to_dict(self) -> dict:
        """A JSON-ready summary (what the API returns)."""
        return {
            "number": self.number,
            "digits": [
                {
                    "digit": d.digit,
                    "confidence": round(d.confidence, 4),
                    "probabilities": {str(k): round(p, 4) for k, p in enumerate(d.probabilities)},
                    "box": list(d.box),
                    "cut": d.cut,
                }
                for d in self.digits
            ],
        }


def read_drawing(
    image: Image.Image | np.ndarray, classifier: Classifier, reader: NumberReader | None = None
) -> Reading:
    """Find the digits of `image` and read them (model/numbers: the classifier helps choose where
    touching digits are cut and which stray marks are dropped). `reader`: the whole-digit check
    and the path weights to read with (default: the shipped ones, on the classifier's device)."""
    reader = reader or default_reader(classifier.device)
    segments, probs = find_digits(image, classifier, reader)
    # segmentation works on a shrunk copy of big images (drawing/ink.py): boxes back to full size
    digits = (
        DigitReading(s.image, in_drawing_pixels(s.box, image), tuple(p), s.cut)
        for s, p in zip(segments, probs.tolist())
    )
    return Reading(tuple(digits))


def reread(reading: Reading, classifier: Classifier) -> Reading:
    """The same digits read by another classifier, with no second segmentation (two networks
    side by side on one drawing)."""
    if not reading.digits:
        return Reading(())
    x = torch.from_numpy(np.stack([d.image for d in reading.digits]))[:, None]  # (N, 1, 28, 28)
    probs = classifier.predict_proba(x).tolist()
    return Reading(
        tuple(DigitReading(d.image, d.box, tuple(p), d.cut) for d, p in zip(reading.digits, probs))
    )
