"""The number reader's learned data: the path score's weights, each digit's width, energy medians.

    learned = load_path_weights()                 # weights/path_weights.json
    learned.weights["log p"], learned.digit_width[1], learned.digit_medians(clf.digit_energy)
    save_path_weights(learned, "weights/path_weights.json")   # what train.py --path-weights does

Data, not code: `python train.py --path-weights` writes the file (numbers/training/path_weights.py)
with where it came from, and reading loads it at start-up. JSON, written atomically, because it is
a few dozen numbers a reader may want to look at.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..files import atomic_write
from ..weights import DEFAULT_WEIGHTS, WeightsError
from .priors import FEATURES

DEFAULT_PATH_WEIGHTS = DEFAULT_WEIGHTS.parent / "path_weights.json"
FORMAT = "path-weights/1"


@dataclass(frozen=True)
class PathWeights:
    """What reading a number learned: `weights` (feature name: weight, priors.FEATURES; a feature
    left out weighs 0), `digit_width` (per digit: the median width as a share of the drawing's
    typical digit height, and the sigma of its logarithm), `digit_energy` (the energy medians of
    whole digits to read with when the classifier's weights carry none), and `provenance`."""

    weights: dict[str, float]
    digit_width: tuple[tuple[float, float], ...]
    digit_energy: tuple[float, ...]
    provenance: dict = field(default_factory=dict)

    def digit_medians(self, measured: Sequence[float] | None) -> tuple[float, ...]:
        """The energy medians to read with: the classifier's own (Classifier.digit_energy) where
        they were measured, digit_energy where not (an older file; NaN: no digit read right)."""
        if measured is None:
            return self.digit_energy
        return tuple(m if math.isfinite(m) else d for m, d in zip(measured, self.digit_energy, strict=True))

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "weights": self.weights,
            "digit_width": [list(w) for w in self.digit_width],
            "digit_energy": list(self.digit_energy),
            "provenance": self.provenance,
        }


def load_path_weights(path: str | Path = DEFAULT_PATH_WEIGHTS) -> PathWeights:
    """The learned data at `path`; raises model.WeightsError, saying what to do, when it is
    missing or not such a file."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"No path weights at {path}: run `python train.py --path-weights`.")
    data = read_learned(path, FORMAT, "a path weights file")
    try:
        learned = PathWeights(
            weights={str(k): float(v) for k, v in data["weights"].items()},
            digit_width=tuple((float(m), float(s)) for m, s in data["digit_width"]),
            digit_energy=tuple(float(e) for e in data["digit_energy"]),
            provenance=dict(data.get("provenance", {})),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise WeightsError(f"{path} is not a path weights file ({e!r}).") from None
    if len(learned.digit_width) != 10 or len(learned.digit_energy) != 10:
        raise WeightsError(f"{path} needs a width and an energy for each of the ten digits.")
    unknown = sorted(set(learned.weights) - set(FEATURES))
    if unknown:
        raise WeightsError(f"{path} weighs features reading does not have: {unknown}.")
    return learned


def save_path_weights(learned: PathWeights, path: str | Path = DEFAULT_PATH_WEIGHTS) -> Path:
    """Write `learned` to `path` atomically (readers see the old file or the new one)."""
    text = json.dumps(learned.to_json(), indent=2) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def read_learned(path: Path, format: str, what: str) -> dict:
    """The JSON object in a file that training wrote (`format` in its "format" field); raises
    WeightsError saying it is not `what` otherwise."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise WeightsError(f"{path} is not {what} ({e}).") from None
    if not isinstance(data, dict) or data.get("format") != format:
        raise WeightsError(f"{path} is not {what} (format {format!r} expected).")
    return data
