"""Read a drawing: find the digit(s), run the classifier, and say what it sees.

    reading = read_drawing(image, classifier)
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
from .drawing.segment import segment_digits


@dataclass(frozen=True)
class DigitReading:
    """One digit: what the model sees (28x28), where it was drawn, and what the model says."""

    image: np.ndarray  # (28, 28) float32 in [0, 1], the model's input
    box: tuple[int, int, int, int]  # (left, top, right, bottom) in the drawing's pixels
    probabilities: tuple[float, ...]  # ten probabilities, index = digit

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
                }
                for d in self.digits
            ],
        }


def read_drawing(image: Image.Image | np.ndarray, classifier: Classifier) -> Reading:
    """Segment `image` into digits and classify them all in one batch."""
    return _classify([(c.image, c.box) for c in segment_digits(image)], classifier)


def reread(reading: Reading, classifier: Classifier) -> Reading:
    """The same digits read by another classifier, with no second segmentation (two networks
    side by side on one drawing)."""
    return _classify([(d.image, d.box) for d in reading.digits], classifier)


def _classify(pieces: list[tuple[np.ndarray, tuple[int, int, int, int]]], classifier: Classifier) -> Reading:
    if not pieces:
        return Reading(())
    x = torch.from_numpy(np.stack([image for image, _ in pieces]))[:, None]  # (N, 1, 28, 28)
    probs = classifier.predict_proba(x).tolist()
    return Reading(tuple(DigitReading(image, box, tuple(p)) for (image, box), p in zip(pieces, probs)))
