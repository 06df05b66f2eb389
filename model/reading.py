"""Read a drawing: find the digit(s), run the classifier, and say what it sees.

    reading = read_drawing(image, classifier)   # with the shipped number reader (model/numbers)
    reading.number           # "7", or "2026" for several digits, "" when there is no digit
    reading.verdict          # "number", "unsure", "not_a_digit" or "empty" (model/numbers/verdict.py)
    reading.digits[0].probabilities   # ten floats, one per class
    reading.digits[0].not_a_digit     # this piece does not look like a digit
    theirs = reread(reading, other_classifier)   # the same digits, another network's answer

This is everything the app does with an image, in one call, with no Gradio in sight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .classifier import Classifier
from .drawing.blobs import digit_pieces
from .drawing.ink import in_drawing_pixels
from .drawing.preprocess import preprocess_pieces
from .logits import softmax
from .numbers import NumberReader, Segment, default_reader, find_digits
from .numbers.verdict import is_not_a_digit, judge, scores_of


@dataclass(frozen=True)
class DigitReading:
    """One digit: what the model sees (28x28), where it was drawn, and what the model says."""

    image: np.ndarray  # (28, 28) float32 in [0, 1], the model's input
    box: tuple[int, int, int, int]  # (left, top, right, bottom) in the drawing's pixels
    probabilities: tuple[float, ...]  # ten probabilities, index = digit
    cut: bool = False  # True when it was cut apart from ink it touches (a neighbour, a joining stroke)
    not_a_digit: bool = False  # True when this piece does not look like a digit (verdict.py)
    score: float = math.nan  # how much it looks like one whole digit (verdict.py; NaN: not scored)

    @property
    def digit(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def confidence(self) -> float:
        return float(max(self.probabilities))


@dataclass(frozen=True)
class Reading:
    """All the digits of a drawing, left to right, and the verdict on them: "number" (shown as a
    fact), "unsure" (a guess), "not_a_digit" or "empty". Left out, the verdict is the digits'
    confidence alone ("number", "unsure" or "empty")."""

    digits: tuple[DigitReading, ...]
    verdict: str = ""
    score: float = math.nan  # the drawing's score: its worst piece, or the whole (verdict.py)

    def __post_init__(self) -> None:
        if not self.verdict:
            object.__setattr__(self, "verdict", judge(None, math.nan, [d.confidence for d in self.digits]))

    @property
    def number(self) -> str:
        return "".join(str(d.digit) for d in self.digits)

    def to_dict(self) -> dict:
        """A JSON-ready summary (what the API returns)."""
        return {
            "number": self.number,
            "verdict": self.verdict,
            "score": _rounded(self.score),
            "digits": [
                {
                    "digit": d.digit,
                    "confidence": round(d.confidence, 4),
                    "probabilities": {str(k): round(p, 4) for k, p in enumerate(d.probabilities)},
                    "box": list(d.box),
                    "cut": d.cut,
                    "not_a_digit": d.not_a_digit,
                    "score": _rounded(d.score),
                }
                for d in self.digits
            ],
        }


def read_drawing(
    image: Image.Image | np.ndarray,
    classifier: Classifier,
    reader: NumberReader | None = None,
    max_digits: int | None = None,
) -> Reading:
    """Find the digits of `image` and read them (model/numbers: the classifier helps choose where
    touching digits are cut and which stray marks are dropped). `reader`: the whole-digit check
    and the path weights to read with (default: the shipped ones, on the classifier's device).
    `max_digits`: read at most this many digits (the pad's count of what its strokes can hold)."""
    reader = reader or default_reader(classifier.device)
    with reader.holding(classifier):  # the network checked for changes once, not per batch
        return _read(image, classifier, reader, max_digits)


def _read(
    image: Image.Image | np.ndarray, classifier: Classifier, reader: NumberReader, max_digits: int | None
) -> Reading:
    pieces = digit_pieces(image)  # once: both the search and the whole drawing start from them
    # with the not-a-digit check's part of the score, read with the candidates (find_digits)
    segments, logits, whole_log_p, digit = find_digits(image, classifier, reader, max_digits, pieces)
    if not segments:
        return Reading((), "empty")
    probs = softmax(logits)
    scores = scores_of(logits, whole_log_p, digit)
    score = float(scores.min())
    # A letter is often cut into digits (an N read 14), while digits standing apart are not: the
    # whole drawing is judged too when the reading cut ink or found one piece (a smiley read as a
    # 0 once its eyes and mouth were dropped as stray marks), or found several in ink no wider
    # than one digit (a thin 7 broken in two, read "71").
    narrow = len(segments) > 1 and _aspect([s.box for s in segments]) <= ONE_DIGIT_ASPECT
    judged_whole = len(segments) == 1 or any(s.cut for s in segments)
    # a single segment that is all the ink (segmentation.Segment.all_ink) is its own whole
    if math.isfinite(score) and (judged_whole or narrow) and not (len(segments) == 1 and segments[0].all_ink):
        whole = preprocess_pieces(pieces)
        if whole is not None and not (
            len(segments) == 1 and np.array_equal(whole[0].numpy(), segments[0].image)
        ):
            _, whole_logits, one_digit, digit = reader.read(classifier, whole[None], moves=True)
            one_digit = np.nan if one_digit is None else one_digit.astype(np.float64)  # NaN: no check
            whole_score = float(scores_of(whole_logits, one_digit, digit)[0])
            one = narrow and reader.verdict is not None and whole_score >= max(reader.verdict.unsure, score)
            if one:
                # the whole ink is surely one digit, and more so than its pieces: one digit after all
                box = _union([s.box for s in segments])
                segments = [Segment(whole[0].numpy(), box, False)]
                logits, scores = whole_logits, np.array([whole_score])
                probs = softmax(logits)
            score = whole_score if one else min(score, whole_score) if judged_whole else score
    alone = len(segments) == 1  # one piece is the drawing: judged as the drawing is
    # segmentation works on a shrunk copy of big images (drawing/ink.py): boxes back to full size
    digits = tuple(
        DigitReading(
            s.image,
            in_drawing_pixels(s.box, image),
            tuple(p),
            s.cut,
            is_not_a_digit(reader.verdict, score if alone else float(piece)),
            float(piece),
        )
        for s, p, piece in zip(segments, probs.tolist(), scores)
    )
    return Reading(digits, judge(reader.verdict, score, [d.confidence for d in digits]), score)


def reread(reading: Reading, classifier: Classifier) -> Reading:
    """The same digits read by another classifier, with no second segmentation (two networks
    side by side on one drawing). Its verdict is by confidence alone: the not-a-digit thresholds
    were chosen for the shipped network's scores."""
    if not reading.digits:
        return Reading(())
    x = torch.from_numpy(np.stack([d.image for d in reading.digits]))[:, None]  # (N, 1, 28, 28)
    probs = classifier.predict_proba(x).tolist()
    return Reading(
        tuple(DigitReading(d.image, d.box, tuple(p), d.cut) for d, p in zip(reading.digits, probs))
    )


# Several digits in ink at most this much wider than tall may be one digit broken apart (the
# sketch-style digits the app split, of 3,000, were 0.69-1.66 wide, the three this mends 0.75-1.27;
# docs/measurements.md); numbers of digits apart are mostly wider, and are read as before unless
# the whole ink scores as one digit better than its pieces and above the verdict's "unsure".
ONE_DIGIT_ASPECT = 1.3


def _aspect(boxes: list[tuple[int, int, int, int]]) -> float:
    left, top, right, bottom = _union(boxes)
    return (right - left) / max(bottom - top, 1)


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _rounded(value: float) -> float | None:
    """A score for JSON: 4 decimals, None when there is none (JSON has no NaN)."""
    return round(value, 4) if math.isfinite(value) else None
