"""Why a reading doubts that a drawing is a digit: the score behind its verdict, in its parts.

    d = doubt(reading, image, classifier)   # image: the drawing that was read
    d.verdict, d.source                     # the verdict; the piece it was decided on (None: the whole)
    d.parts.energy, d.parts.whole           # the classifier's energy, log P(one whole digit)
    d.parts.digit                           # the not-a-digit check's log P(a digit)
    d.reasons                               # which made it doubt: ("energy", "check", "seen"), some, or
                                            # ("confidence",) when it only could not pick a digit

A reading's verdict (numbers/verdict.py) compares one score with two thresholds that training
chose: the score of its worst piece, or of the whole drawing taken as one digit. The score is
a sum of parts in the same units (log-probabilities, up to a constant): the classifier's
energy, near its learned median for a digit it reads right (numbers/learned.py), the
whole-digit check's log P(one whole digit), near 0 for one whole digit, and (where the verdict
file gives it a weight) the not-a-digit check's log P(a digit) times that weight, near 0 for a
digit. How far each part falls short of that says which one pulled the score down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .classifier import Classifier
from .drawing.preprocess import preprocess
from .numbers import NumberReader, default_reader
from .numbers.verdict import ScoreParts, Thresholds, score_parts
from .reading import Reading

# A part is named as a reason when it falls short by at least this share of the other's
# shortfall: both, when they pulled about equally (a wording choice, not a learned number).
BOTH = 0.5


@dataclass(frozen=True)
class Doubt:
    """The verdict of a reading and the score it rests on, by part."""

    verdict: str
    parts: ScoreParts  # of the image the verdict was decided on
    source: int | None  # that image: a piece of the reading (its index), None: the whole drawing
    digit: int  # what the classifier reads that image as
    typical_energy: float  # the median energy of a `digit` read right (learned with the weights)
    thresholds: Thresholds | None  # weights/verdict.json; None: by confidence alone
    confidence: float  # the reading's least sure digit's probability
    pieces: int = 1  # how many digits the reading found

    @property
    def score(self) -> float:
        return self.parts.score

    @property
    def shortfalls(self) -> tuple[float, float, float]:
        """How far (energy, check, seen) fall short of a typical digit's, in the score's units."""
        seen = max(0.0, -self.parts.weight * self.parts.digit)
        return max(0.0, self.typical_energy - self.parts.energy), max(0.0, -self.parts.whole), seen

    @property
    def reasons(self) -> tuple[str, ...]:
        """What made it doubt: "energy", "check" and/or "seen" (the not-a-digit check) when the
        score is under the "unsure" line, "confidence" when only the digits' probabilities were
        too low, () when it did not doubt."""
        if self.verdict in ("number", "empty"):
            return ()
        t = self.thresholds
        if t is None or not math.isfinite(self.score) or self.score >= t.unsure:
            return ("confidence",)
        short = dict(zip(("energy", "check", "seen"), self.shortfalls))
        most = max(short.values())
        return tuple(name for name, s in short.items() if s >= BOTH * most and s > 0)


def doubt(
    reading: Reading,
    image: Image.Image | np.ndarray,
    classifier: Classifier,
    reader: NumberReader | None = None,
) -> Doubt | None:
    """The doubt behind `reading`, the reading of `image` by `classifier` with `reader` (default:
    the shipped number reader); None for an empty reading."""
    if not reading.digits:
        return None
    reader = reader or default_reader(classifier.device)
    source = _source(reading)
    x = None if source is not None else preprocess(image)
    if x is None:  # no whole drawing to score: its worst piece, the least sure without scores
        source = source if source is not None else _worst(reading)
        x = torch.from_numpy(reading.digits[source].image)[None]
    parts = score_parts(classifier, reader, x[None]).one(0)
    digit = int(classifier.predict_proba(x[None])[0].argmax())
    medians = reader.learned.digit_medians(classifier.digit_energy)
    return Doubt(
        reading.verdict,
        parts,
        source,
        digit,
        float(medians[digit]),
        reader.verdict,
        min(d.confidence for d in reading.digits),
        len(reading.digits),
    )


def _source(reading: Reading) -> int | None:
    """The piece whose score is the reading's; None when the reading's is the whole drawing's."""
    if not math.isfinite(reading.score):
        return _worst(reading)
    for k, d in enumerate(reading.digits):
        if math.isclose(d.score, reading.score, rel_tol=0, abs_tol=1e-6):
            return k
    return None


def _worst(reading: Reading) -> int:
    """The least sure piece, or the lowest scored where pieces have scores."""
    if all(math.isfinite(d.score) for d in reading.digits):
        return min(range(len(reading.digits)), key=lambda k: reading.digits[k].score)
    return min(range(len(reading.digits)), key=lambda k: reading.digits[k].confidence)
