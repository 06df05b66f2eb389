"""Choose the verdict's thresholds, and write them where reading loads them.

    python train.py --verdict --data-dir ../shared/data     # writes weights/verdict.json

    scores = measure(VerdictConfig(), classifier, reader)   # the readings' scores, digits and not
    thresholds, measured = choose(scores, VerdictConfig())

The score (model/numbers/verdict.py) is read, as the app reads a drawing, for two sets:
- drawings that are not digits: the TUNE split of model/synth/nondigits.py (its own font and
  seeds; the test split, another font, is kept for bench/nondigits.py to report on);
- sketch-style digits (model/synth/sketches.py) drawn from the training digits from
  HELD_OUT_FROM on, which neither network learned from (never the MNIST test digits).
Then, of the digits read right and confidently, `unsure_lose` may lose that answer to the score
(the threshold below which a reading is shown as a guess) and `not_a_digit_lose` may be told
they are not digits (the threshold below which a reading is "not_a_digit"). The weight of the
not-a-digit check's part (model/numbers/not_a_digit.py) is the one of `weights` whose "unsure"
line catches the most tune non-digits. The share of the non-digits each threshold catches is
written beside them, with where they came from.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ...classifier import Classifier, load_classifier
from ...drawing.blobs import digit_pieces
from ...drawing.preprocess import preprocess_pieces
from ...reading import read_drawing
from ...synth.nondigits import KINDS, drawings, render
from ...synth.sketches import sketch_set
from ...training.data import load_mnist
from ...weights import DEFAULT_WEIGHTS
from ..not_a_digit import digit_log_prob
from ..reader import NumberReader, load_reader
from ..verdict import DEFAULT_VERDICT, UNSURE, Thresholds, digit_scores, save_verdict
from . import HELD_OUT_FROM


@dataclass(frozen=True)
class VerdictConfig:
    """What the thresholds are chosen on, and how much of the digits each may cost."""

    data_dir: str = "data"
    download: bool = True
    out: str = str(DEFAULT_VERDICT)
    classifier: str = str(DEFAULT_WEIGHTS)
    per_kind: int = 150  # tune non-digits of each kind (letters, symbols, doodles)
    digits: int = 1200  # held-out sketch-style digits
    seed: int = 0
    unsure_lose: float = 0.01  # of digits read right and sure, shown as a guess at most
    not_a_digit_lose: float = 0.005  # of those, told "not a digit" at most
    confidence: float = UNSURE  # a digit read with less probability is a guess
    # the not-a-digit check's weights to choose from (0: without it); only 0 without the check
    weights: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)


# What a reading's score is the least of: (base, log P(a digit)) of each piece, and of the whole
# drawing when the reading judges it (model/reading.py); its score with weight w is
# min(base + w * log P(a digit)). base: energy + log P(one whole digit).
Candidates = np.ndarray  # (K, 2)


@dataclass(frozen=True)
class Scores:
    """What the readings' scores are made of: non-digits with their kind, digits with whether
    they were read right and confidently (what a threshold may take away)."""

    nondigits: list[Candidates]
    kinds: np.ndarray
    digits: list[Candidates]
    sure_and_right: np.ndarray  # bool, per digit

    def at(self, weight: float) -> tuple[np.ndarray, np.ndarray]:
        """(non-digits, digits) scores with the not-a-digit check counted `weight` times; inf
        for a reading with no score (no verdict on it)."""
        return _at(self.nondigits, weight), _at(self.digits, weight)


def _at(candidates: list[Candidates], weight: float) -> np.ndarray:
    scores = [float(np.min(c[:, 0] + weight * c[:, 1])) if len(c) else np.inf for c in candidates]
    return np.nan_to_num(np.array(scores, float), nan=np.inf)


def candidates(image: Image.Image | np.ndarray, classifier: Classifier, reader: NumberReader) -> tuple:
    """The reading of `image` by `reader` (whose verdict must be None: no weight yet) and what
    its score is the least of, as `Scores` keeps it."""
    reading = read_drawing(image, classifier, reader)
    if not reading.digits or not np.isfinite(reading.score):
        return reading, np.zeros((0, 2))
    x = torch.from_numpy(np.stack([d.image for d in reading.digits]))[:, None]
    base = [d.score for d in reading.digits]
    if len(reading.digits) == 1 or any(d.cut for d in reading.digits):  # judged whole, as reading does
        whole = preprocess_pieces(digit_pieces(image))
        if whole is not None:
            x = torch.cat([x, whole[None]])
            base.append(float(digit_scores(classifier, reader, whole[None])[0]))
    digit = digit_log_prob(reader.not_a_digit, x).double().numpy() if reader.not_a_digit else np.zeros(len(x))
    return reading, np.stack([np.array(base), digit], axis=1)


def measure(config: VerdictConfig, classifier: Classifier, reader: NumberReader) -> Scores:
    """Read the tune non-digits and the held-out digits; what their scores are made of."""
    tune = drawings("tune", config.per_kind)
    others = [(d.kind, candidates(render(d), classifier, reader)[1]) for d in tune]
    images, labels = load_mnist(config.data_dir, train=True, download=config.download)
    images, labels = images[HELD_OUT_FROM:].numpy(), labels[HELD_OUT_FROM:].numpy()
    digits, sure = [], []
    for canvas, label, _ in sketch_set(images, labels, config.digits, config.seed):
        reading, parts = candidates(canvas, classifier, reader)
        digits.append(parts)
        confident = bool(reading.digits) and min(d.confidence for d in reading.digits) >= config.confidence
        sure.append(confident and reading.number == str(label))
    return Scores([c for _, c in others], np.array([k for k, _ in others]), digits, np.array(sure, bool))


def choose(scores: Scores, config: VerdictConfig, has_check: bool = True) -> tuple[Thresholds, dict]:
    """The weight and thresholds that cost the digits read right and sure no more than the
    config allows and catch the most tune non-digits, and what each catches (per kind)."""
    if not scores.sure_and_right.any():
        raise ValueError("no digit was read right and sure: is this the classifier you meant?")
    tried = {}
    for weight in config.weights if has_check else (0.0,):
        others, digits = scores.at(weight)
        kept = digits[scores.sure_and_right]
        unsure = float(np.quantile(kept, config.unsure_lose, method="lower"))
        tried[weight] = float((others < unsure).mean())
    weight = max(tried, key=lambda w: (tried[w], -w))  # the most caught; of equals, the least weight
    others, digits = scores.at(weight)
    kept = digits[scores.sure_and_right]
    unsure = float(np.quantile(kept, config.unsure_lose, method="lower"))
    not_a_digit = float(np.quantile(kept, config.not_a_digit_lose, method="lower"))

    def caught(t: float) -> dict[str, float]:
        shares = {k: float((others[scores.kinds == k] < t).mean()) for k in KINDS}
        return shares | {"all": float((others < t).mean())}

    measured = {
        "weight": weight,
        "tune caught by weight": {str(w): c for w, c in tried.items()},
        "tune non-digits": len(others),
        "held-out digits": len(scores.digits),
        "read right and sure": len(kept),
        "digits losing their sure answer": float((kept < unsure).mean()),
        "digits told not a digit": float((kept < not_a_digit).mean()),
        "tune caught (unsure or not a digit)": caught(unsure),
        "tune caught as not a digit": caught(not_a_digit),
    }
    return Thresholds(not_a_digit, unsure, config.confidence, weight=weight), measured


def learn_verdict(config: VerdictConfig, log: Callable[[str], None] | None = print) -> Path:
    """Measure, choose, and write the thresholds with their provenance to config.out."""
    say = log or (lambda _: None)
    tic = time.perf_counter()
    classifier = load_classifier(config.classifier, device="cpu")
    reader = load_reader("cpu", verdict=None)  # the scores, judged by nothing yet, weight 0
    scores = measure(config, classifier, reader)
    thresholds, measured = choose(scores, config, has_check=reader.not_a_digit is not None)
    provenance = {
        "command": "python train.py --verdict",
        "config": asdict(config)
        | {k: Path(getattr(config, k)).name for k in ("data_dir", "out", "classifier")},
        "score": "energy + log P(one whole digit) + weight * log P(a digit) (the not-a-digit check): "
        "worst piece, and whole drawing when cut or one piece",
        "measured": measured,
        "seconds": round(time.perf_counter() - tic, 1),
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    out = save_verdict(dataclasses.replace(thresholds, provenance=provenance), config.out)
    say(
        f"weight {thresholds.weight}: not a digit below {thresholds.not_a_digit:.3f}, "
        f"a guess below {thresholds.unsure:.3f}: {measured}"
    )
    say(f"wrote {out}")
    return out
