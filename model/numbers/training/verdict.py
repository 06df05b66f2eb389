"""Choose the verdict's thresholds, and write them where reading loads them.

    python train.py --verdict --data-dir ../shared/data     # writes weights/verdict.json

    scores = measure(VerdictConfig(), classifier, reader)   # the readings' scores, digits and not
    thresholds = choose(scores, VerdictConfig())

The score (model/numbers/verdict.py) is read, as the app reads a drawing, for two sets:
- drawings that are not digits: the TUNE split of model/synth/nondigits.py (its own font and
  seeds; the test split, another font, is kept for bench/nondigits.py to report on);
- sketch-style digits (model/synth/sketches.py) drawn from the training digits from
  HELD_OUT_FROM on, which neither network learned from (never the MNIST test digits).
Then, of the digits read right and confidently, `unsure_lose` may lose that answer to the score
(the threshold below which a reading is shown as a guess) and `not_a_digit_lose` may be told
they are not digits (the threshold below which a reading is "not_a_digit"). The share of the
non-digits each threshold catches is written beside them, with where they came from.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ...classifier import Classifier, load_classifier
from ...reading import read_drawing
from ...synth.nondigits import KINDS, drawings, render
from ...synth.sketches import sketch_set
from ...training.data import load_mnist
from ...weights import DEFAULT_WEIGHTS
from ..reader import NumberReader, load_reader
from ..verdict import DEFAULT_VERDICT, UNSURE, Thresholds, save_verdict
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


@dataclass(frozen=True)
class Scores:
    """The scores of the readings: non-digits with their kind, digits with whether they were
    read right and confidently (what a threshold may take away)."""

    nondigits: np.ndarray
    kinds: np.ndarray
    digits: np.ndarray
    sure_and_right: np.ndarray  # bool, per digit


def measure(config: VerdictConfig, classifier: Classifier, reader: NumberReader) -> Scores:
    """Read the tune non-digits and the held-out digits; their scores."""
    others = [
        (d.kind, read_drawing(render(d), classifier, reader)) for d in drawings("tune", config.per_kind)
    ]
    images, labels = load_mnist(config.data_dir, train=True, download=config.download)
    images, labels = images[HELD_OUT_FROM:].numpy(), labels[HELD_OUT_FROM:].numpy()
    digits, sure = [], []
    for canvas, label, _ in sketch_set(images, labels, config.digits, config.seed):
        reading = read_drawing(canvas, classifier, reader)
        digits.append(reading.score)
        confident = bool(reading.digits) and min(d.confidence for d in reading.digits) >= config.confidence
        sure.append(confident and reading.number == str(label))
    return Scores(
        np.array([r.score for _, r in others], float),
        np.array([k for k, _ in others]),
        np.nan_to_num(np.array(digits, float), nan=np.inf),
        np.array(sure, bool),
    )


def choose(scores: Scores, config: VerdictConfig) -> tuple[Thresholds, dict]:
    """The thresholds that cost the digits read right and sure no more than the config allows,
    and what each catches of the tune non-digits (per kind)."""
    kept = scores.digits[scores.sure_and_right]
    if len(kept) == 0:
        raise ValueError("no digit was read right and sure: is this the classifier you meant?")
    unsure = float(np.quantile(kept, config.unsure_lose, method="lower"))
    not_a_digit = float(np.quantile(kept, config.not_a_digit_lose, method="lower"))
    others = np.nan_to_num(scores.nondigits, nan=np.inf)  # an empty reading: no score, no verdict

    def caught(t: float) -> dict[str, float]:
        shares = {k: float((others[scores.kinds == k] < t).mean()) for k in KINDS}
        return shares | {"all": float((others < t).mean())}

    measured = {
        "tune non-digits": len(others),
        "held-out digits": len(scores.digits),
        "read right and sure": len(kept),
        "digits losing their sure answer": float((kept < unsure).mean()),
        "digits told not a digit": float((kept < not_a_digit).mean()),
        "tune caught (unsure or not a digit)": caught(unsure),
        "tune caught as not a digit": caught(not_a_digit),
    }
    return Thresholds(not_a_digit, unsure, config.confidence), measured


def learn_verdict(config: VerdictConfig, log: Callable[[str], None] | None = print) -> Path:
    """Measure, choose, and write the thresholds with their provenance to config.out."""
    say = log or (lambda _: None)
    tic = time.perf_counter()
    classifier = load_classifier(config.classifier, device="cpu")
    reader = load_reader("cpu", verdict=None)  # the scores, judged by nothing yet
    scores = measure(config, classifier, reader)
    thresholds, measured = choose(scores, config)
    provenance = {
        "command": "python train.py --verdict",
        "config": asdict(config)
        | {k: Path(getattr(config, k)).name for k in ("data_dir", "out", "classifier")},
        "score": "energy + log P(one whole digit): worst piece, and whole drawing when cut or one piece",
        "measured": measured,
        "seconds": round(time.perf_counter() - tic, 1),
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    out = save_verdict(
        Thresholds(thresholds.not_a_digit, thresholds.unsure, thresholds.confidence, provenance), config.out
    )
    say(f"not a digit below {thresholds.not_a_digit:.3f}, a guess below {thresholds.unsure:.3f}: {measured}")
    say(f"wrote {out}")
    return out
