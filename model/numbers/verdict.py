"""Is a drawing a number, a guess, or not a digit at all? A score per piece, and the thresholds
that training chose for it.

    scores = digit_scores(classifier, reader, x)            # (N,) higher: more like a digit
    parts = score_parts(classifier, reader, x)              # .energy, .whole, .digit: why
    thresholds = load_verdict()                             # weights/verdict.json
    verdict = judge(thresholds, score, confidences)         # "number", "unsure", "not_a_digit"

The classifier answers every drawing with some digit. Its energy (the log-sum-exp of its logits,
Liu et al. 2020) says how much an image looks like any digit; the whole-digit check
(whole_digit.py) says whether it is one whole digit, rather than pieces of digits or (its third
output, learnt from made-up letters and doodles) not a digit at all. Their sum, energy + log
P(one whole digit), separated digits from letters, symbols and doodles best of the scores
bench/nondigits.py compared (docs/measurements.md). What still passed looks like a digit to both
networks (a heart reads 0, a ? 7), so a third part is a second opinion that has seen such shapes:
the not-a-digit check's log P(a digit) (not_a_digit.py), times a weight that training chose
(0 without the check). `score_parts` gives the parts by name, to say which one doubted. A
reading's score is its worst piece's, and also the whole drawing's when the reading cut ink
apart or found one piece (a letter N is cut into "14", whose pieces each look like digits).

The thresholds and the weight are data: `python train.py --verdict` (training/verdict.py)
chooses them on the tune split of the non-digit drawings (model/synth/nondigits.py) and on
sketch-style digits that neither network learned from, and writes them to weights/verdict.json
with where they came from.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from ..classifier import Classifier
from ..files import atomic_write
from ..logits import logsumexp
from ..weights import DEFAULT_WEIGHTS, WeightsError
from .learned import read_learned
from .whole_digit import NOT_A_DIGIT, check_log_probs

if TYPE_CHECKING:  # reader.py imports this module
    from .reader import NumberReader

DEFAULT_VERDICT = DEFAULT_WEIGHTS.parent / "verdict.json"
FORMAT = "verdict/1"
VERDICTS = ("number", "unsure", "not_a_digit", "empty")
# Without a verdict file, a digit read with less probability than this is a guess (the app's
# line since its first version; the file carries its own).
UNSURE = 0.6


@dataclass(frozen=True)
class Thresholds:
    """Below `not_a_digit` a drawing (or a piece) is not a digit; below `unsure` it is shown as a
    guess; a digit read with a probability under `confidence` is a guess too. `weight`: how much
    the not-a-digit check's log P(a digit) counts in the score (0: not at all, as in older files)."""

    not_a_digit: float
    unsure: float
    confidence: float
    provenance: dict = field(default_factory=dict)
    weight: float = 0.0

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "not_a_digit": self.not_a_digit,
            "unsure": self.unsure,
            "confidence": self.confidence,
            "weight": self.weight,
            "provenance": self.provenance,
        }


@dataclass(frozen=True)
class ScoreParts:
    """What the scores of N pieces are made of, each (N,): the classifier's energy (how much a
    piece looks like any digit), the whole-digit check's log-probabilities that it is one whole
    digit and (a three-output check) that it is not a digit at all (NaN without the check, or
    without that output), and the not-a-digit check's log P(a digit) with the weight it counts
    with (0 and 0 without that check)."""

    energy: np.ndarray | float  # log-sum-exp of the logits: how strongly the network sees any digit
    whole: np.ndarray | float  # log P(one whole digit)
    not_a_digit: np.ndarray | float = math.nan  # the whole-digit check's log P(not a digit at all)
    digit: np.ndarray | float = 0.0  # the not-a-digit check's log P(a digit)
    weight: float = 0.0  # how much `digit` counts (Thresholds.weight)

    @property
    def score(self) -> np.ndarray | float:
        """The score: energy + log P(one whole digit) + weight * log P(a digit)."""
        return self.energy + self.whole + self.weight * self.digit

    def one(self, k: int) -> ScoreParts:
        """The parts of piece `k` alone, as floats (the "Look inside" panel names them)."""
        digit = float(self.digit[k]) if isinstance(self.digit, np.ndarray) else float(self.digit)
        return ScoreParts(
            float(self.energy[k]), float(self.whole[k]), float(self.not_a_digit[k]), digit, self.weight
        )


def score_parts(classifier: Classifier, reader: NumberReader | None, x: torch.Tensor) -> ScoreParts:
    """(N, 1, 28, 28) floats in [0, 1] -> the parts of their scores by `reader`'s checks, read as
    a reading reads its pieces (NumberReader.read), so that they add up to the very scores it
    judged by."""
    check = None if reader is None else reader.check
    if check is None or len(x) == 0:
        energy = logsumexp(classifier.predict_logits(x).double().numpy()) if len(x) else np.zeros(0)
        missing = np.full(len(x), np.nan)
        return ScoreParts(energy, missing, missing)
    _, moved, whole, digit = reader.read(classifier, x, moves=True)
    # a three-output check's log P(not a digit at all), not part of the score (older checks have two)
    outlier = np.full(len(x), np.nan)
    if check.config.n_classes > NOT_A_DIGIT:
        outlier = check_log_probs(check, x).double().numpy()[:, NOT_A_DIGIT]
    digit = digit / reader.weight if reader.weight else np.zeros(len(x))  # read() gives it weighed
    energy = logsumexp(moved.astype(np.float64))
    return ScoreParts(energy, whole.astype(np.float64), outlier, digit, reader.weight)


def digit_scores(classifier: Classifier, reader: NumberReader | None, x: torch.Tensor) -> np.ndarray:
    """(N, 1, 28, 28) floats in [0, 1] -> (N,) the scores (ScoreParts.score); NaN without the
    whole-digit check (no verdict on what it is, then)."""
    return score_parts(classifier, reader, x).score


def scores_of(logits: np.ndarray, whole: np.ndarray, digit: np.ndarray | float = 0.0) -> np.ndarray:
    """The score from what reading already has: (N, 10) logits (over the one-pixel moves), (N,)
    log P(one whole digit) and the weighted third part (NumberReader.digit_part) -> (N,) scores."""
    return logsumexp(logits.astype(np.float64)) + whole + digit


def judge(thresholds: Thresholds | None, score: float, confidences: Sequence[float]) -> str:
    """The verdict on a reading with these digit probabilities and this score (its worst piece,
    or the whole drawing: see the module's docstring). No thresholds, or no score: by the
    confidence alone."""
    if not confidences:
        return "empty"
    confidence = UNSURE if thresholds is None else thresholds.confidence
    if thresholds is not None and math.isfinite(score):
        if score < thresholds.not_a_digit:
            return "not_a_digit"
        if score < thresholds.unsure:
            return "unsure"
    return "number" if min(confidences) >= confidence else "unsure"


def is_not_a_digit(thresholds: Thresholds | None, score: float) -> bool:
    """Whether a piece with this score is not a digit."""
    return thresholds is not None and math.isfinite(score) and score < thresholds.not_a_digit


def load_verdict(path: str | Path | None = DEFAULT_VERDICT) -> Thresholds | None:
    """The thresholds at `path`; None when there is no such file (readings then say only
    "number", "unsure" by confidence, or "empty"); raises model.WeightsError for a broken file."""
    if path is None or not Path(path).is_file():
        return None
    path = Path(path)
    data = read_learned(path, FORMAT, "a verdict file")
    try:
        thresholds = Thresholds(
            float(data["not_a_digit"]),
            float(data["unsure"]),
            float(data["confidence"]),
            dict(data.get("provenance", {})),
            float(data.get("weight", 0.0)),  # files from before the not-a-digit check: none
        )
    except (KeyError, TypeError, ValueError) as e:
        raise WeightsError(f"{path} is not a verdict file ({e!r}).") from None
    values = (thresholds.not_a_digit, thresholds.unsure, thresholds.confidence, thresholds.weight)
    if not all(math.isfinite(v) for v in values) or thresholds.not_a_digit > thresholds.unsure:
        raise WeightsError(f"{path}: thresholds must be finite, with not_a_digit <= unsure.")
    if thresholds.weight < 0:
        raise WeightsError(f"{path}: the not-a-digit check's weight must not be negative.")
    return thresholds


def save_verdict(thresholds: Thresholds, path: str | Path = DEFAULT_VERDICT) -> Path:
    """Write `thresholds` to `path` atomically (readers see the old file or the new one)."""
    text = json.dumps(thresholds.to_json(), indent=2) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text))
