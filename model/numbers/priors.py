"""How plausible a reading of a piece of ink is, beyond the classifier's probability.

    medians = learned.digit_medians(classifier.digit_energy)       # what a whole digit scores
    reading = candidate_features(probs[i], energy[i], box, typical, learned, medians, whole[i])
    features = step_features(reading, cut=True, doubted=False)     # one step of a search
    score = features @ learned.vector                              # its log-probability, about
    sure = is_sure(digit, p, energy, box, typical, learned, medians, whole)  # no need to look for cuts

The classifier was trained on single, whole, centred digits: shown half a 0, two touching
digits or a tick, it still answers, often with confidence. Several things tell such pieces from
digits:
- energy, the log-sum-exp of the logits, which the softmax discards: a digit read right scores
  near its kind's median, a piece of one or two run together far less;
- width: each digit has its own (a 1 is narrow, a 0 wide), so a "6" as wide as a 6 and a 5
  side by side, or a "7" as narrow as half a 0, is unlikely;
- height: the digits of a number are about equally tall, a piece cut from one is shorter;
- the whole-digit check (whole_digit.py), a network trained to tell one whole digit from
  touching pairs and pieces.
Each step of reading's search (segmentation.py) gets these as FEATURES, with what cutting and
dropping ink cost, and scores their weighted sum. The weights, the digits' widths and the energy
medians are learned data (learned.py: weights/path_weights.json, written by
`train.py --path-weights`). How the thresholds below were chosen: docs/experiments.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .marks import SMALL

if TYPE_CHECKING:
    from .learned import PathWeights

# A group is sure to be one digit, and gets no cuts, when its energy is at most SURE_ENERGY below
# its digit's median, its probability at least SURE_P, and its width within SURE_WIDTH sigmas:
# then a sixth as many digits of numbers with digits apart are searched for cuts, read alike.
SURE_ENERGY = 6.0
SURE_P = 0.9
SURE_WIDTH = 2.0
SURE_WHOLE = math.log(0.5)  # a group the whole-digit check doubts (below this) is never sure
HEIGHT_FROM = 0.9  # a digit shorter than this share of the typical height loses "height short"

# A step of a group's search (segmentation.py: a candidate read as a digit, or a small group
# dropped) scores the weighted sum of these; the best path through the group has the highest
# total, a log-probability up to a constant.
READ = (
    "log p",  # log-probability of the digit the classifier reads
    "whole check",  # log-probability the whole-digit check gives it (0 without a check)
    "energy short",  # minus its energy short of its digit's median (0 at or above it)
    "width",  # -z**2 / 2 of its width, of the log-normal width of that digit
    "height short",  # minus its height short of HEIGHT_FROM (of the typical height)
    "small",  # 1 when under marks.SMALL of the typical height: a mark more than a digit
)
CUT_READ = ("log p", "whole check", "energy short", "width")  # read again as "cut: ..." features
FEATURES = (
    *READ,
    "cut",  # 1 for a piece a cut made
    "cut, group not doubted",  # ... of a group the whole-digit check does not doubt
    "cut after",  # 1 when a cut path, not the group's edge, is its right edge: one per cut
    "piece dropped",  # 1 for a group read without one of its small pieces (a stray mark)
    "group dropped",  # 1 for a small group read as no digit at all
    "cut: log p",  # CUT_READ again, for cut pieces only: they are read differently
    "cut: whole check",
    "cut: energy short",
    "cut: group's check",  # the check's log-probability of the whole group the piece was cut from
    "cut: width",
    *(f"cut: reads {d}" for d in range(10)),  # the digit a cut piece reads as
)
INDEX = {name: i for i, name in enumerate(FEATURES)}


def candidate_features(
    probs: np.ndarray,
    energy: float,
    box: tuple[int, int, int, int],
    typical: float,
    learned: PathWeights,
    medians: Sequence[float],
    whole: float = 0.0,
) -> tuple[int, dict[str, float]]:
    """The digit a candidate reads as, and the READ features of that reading by name: its
    log-probability, the whole-digit check's log-probability `whole` (0: no check), its energy
    short of the digit's median, its width's log-normal -z**2/2, its height short of HEIGHT_FROM,
    and whether it is small. `box`: (left, top, right, bottom) in the drawing."""
    digit = int(np.argmax(probs))
    left, top, right, bottom = box
    height = (bottom - top) / typical
    return digit, {
        "log p": math.log(max(float(probs[digit]), 1e-12)),
        "whole check": whole,
        "energy short": -max(0.0, medians[digit] - energy),
        "width": -(width_z(learned, digit, right - left, typical) ** 2) / 2,
        "height short": -max(0.0, HEIGHT_FROM - height),
        "small": float(height < SMALL),
    }


def step_features(
    reading: tuple[int, dict[str, float]] | None,
    *,
    cut: bool = False,
    cut_after: bool = False,
    doubted: bool = False,
    group_whole: float = 0.0,
    piece_dropped: bool = False,
) -> np.ndarray:
    """FEATURES of one step of a group's search: a candidate `reading` (candidate_features), or
    None for a small group dropped as no digit. `cut`: the candidate is a piece a cut made, of a
    group the check gives `group_whole` and may have `doubted`; `cut_after`: a cut path is its
    right edge (not the group's); `piece_dropped`: read without one of its small pieces."""
    named: dict[str, float] = {}
    if reading is None:
        named["group dropped"] = 1.0
    else:
        digit, read = reading
        named.update(read)
        named["piece dropped"] = float(piece_dropped)
        if cut:
            named.update({"cut": 1.0, "cut, group not doubted": float(not doubted)})
            named["cut after"] = float(cut_after)
            named.update({f"cut: {name}": read[name] for name in CUT_READ})
            named["cut: group's check"] = group_whole
            named[f"cut: reads {digit}"] = 1.0
    features = np.zeros(len(FEATURES))
    for name, value in named.items():
        features[INDEX[name]] = value
    return features


def is_sure(
    digit: int,
    p: float,
    energy: float,
    box: tuple[int, int, int, int],
    typical: float,
    learned: PathWeights,
    medians: Sequence[float],
    whole: float = 0.0,
) -> bool:
    """True when a group reads as one digit clearly, is not too wide for it, and the whole-digit
    check (its log-probability `whole`; 0: no check) does not doubt it."""
    return (
        p >= SURE_P
        and whole >= SURE_WHOLE
        and energy >= medians[digit] - SURE_ENERGY
        and width_z(learned, digit, box[2] - box[0], typical) <= SURE_WIDTH
    )


def width_z(learned: PathWeights, digit: int, width: float, typical: float) -> float:
    """How many sigmas a width (in pixels, of the typical digit height `typical`) is from the
    digit's median width, on a log scale."""
    median, sigma = learned.digit_width[digit]
    return math.log(max(width, 1) / typical / median) / sigma


def weight_vector(weights: dict[str, float]) -> np.ndarray:
    """`weights` (feature name: weight; a feature left out weighs 0) as a vector over FEATURES."""
    unknown = set(weights) - set(FEATURES)
    if unknown:
        raise ValueError(f"Unknown features: {sorted(unknown)}")
    return np.array([weights.get(name, 0.0) for name in FEATURES])


class CutBound:
    """The most a cut piece's step of one group's search can score (step_features @ `weights`),
    known before the piece is normalised and read: its box gives its height and, for each digit
    it might read as, its width's prior; what the classifier and the whole-digit check would say
    (log p, whole check, energy short) is taken at its best. The search reads only the pieces on
    a path that could still beat the group's best uncut reading (segmentation.py)."""

    def __init__(
        self,
        weights: np.ndarray,
        learned: PathWeights,
        typical: float,
        *,
        doubted: bool,
        group_whole: float,
    ) -> None:
        self.weights, self.typical = weights, typical
        unread = {name: 0.0 for name in READ}  # every feature at 0: the digit-dependent ones added below
        # what reading would add: each such value is <= 0 and counts with its weight and its "cut:" one
        best = 0.0
        for name in ("log p", "whole check", "energy short"):
            weight = weights[INDEX[name]] + weights[INDEX[f"cut: {name}"]]
            if weight < 0:  # lower values score higher: only log p has a floor (the top of ten >= 0.1)
                best += weight * math.log(0.1) if name == "log p" else math.inf
        self.constant = [
            float(
                step_features(
                    (0, unread), cut=True, cut_after=after, doubted=doubted, group_whole=group_whole
                )
                @ weights
            )
            - weights[INDEX["cut: reads 0"]]
            + best
            for after in (False, True)
        ]
        self.reads = weights[[INDEX[f"cut: reads {d}"] for d in range(10)]]
        self.width_weight = weights[INDEX["width"]] + weights[INDEX["cut: width"]]
        self.median, self.sigma = (np.array(v) for v in zip(*learned.digit_width))

    def __call__(self, box: tuple[int, int, int, int], cut_after: bool) -> float:
        """The bound for a cut piece with this box (in the drawing), `cut_after`: a cut is its right edge."""
        return float(self.of_boxes(np.array([box]), np.array([cut_after]))[0])

    def of_boxes(self, boxes: np.ndarray, cut_after: np.ndarray) -> np.ndarray:
        """The bound for each of `boxes` ((N, 4): left, top, right, bottom), as __call__ gives it."""
        height = (boxes[:, 3] - boxes[:, 1]) / self.typical
        score = np.array(self.constant)[cut_after.astype(int)]
        score = score + self.weights[INDEX["height short"]] * -np.maximum(0.0, HEIGHT_FROM - height)
        score += self.weights[INDEX["small"]] * (height < SMALL)
        width = np.maximum(boxes[:, 2] - boxes[:, 0], 1)[:, None]
        z = np.log(width / self.typical / self.median) / self.sigma  # width_z, every digit
        return score + np.max(self.reads + self.width_weight * -(z**2) / 2, axis=1)

    def most(self, width: int, height: int, cut_after: bool) -> float:
        """At least what `self(box, cut_after)` gives for any box at most `width` wide and `height`
        tall: a bound for a piece before it is cut out, from the span of the ink between its cuts."""
        return float(self.most_of(np.array([width]), np.array([height]), np.array([cut_after]))[0])

    def most_of(self, width: np.ndarray, height: np.ndarray, cut_after: np.ndarray) -> np.ndarray:
        """`most` for many spans at once ((N,) arrays): one numpy pass for all of a group's spans."""
        short, small = self.weights[INDEX["height short"]], self.weights[INDEX["small"]]
        h = height / self.typical
        # each height term at its best over heights up to `h` (a short piece may lose less, or more)
        score = np.array(self.constant)[cut_after.astype(int)] + (
            short * -np.maximum(0.0, HEIGHT_FROM - h) if short >= 0 else -short * HEIGHT_FROM
        )
        score += small if small > 0 else small * (h < SMALL)
        # the width's term is concave in log width (weight >= 0: best at the digit's median width when
        # that lies within 1..width, else at an end) or convex (best at an end): both ends, and the peak
        width = np.maximum(width, 1)[:, None]  # (N, 1)
        ends = [np.log(end / self.typical / self.median) / self.sigma for end in (1.0, width)]
        per_digit = np.maximum(*(self.reads + self.width_weight * -(z**2) / 2 for z in ends))  # (N, 10)
        if self.width_weight >= 0:
            peak = self.typical * self.median
            per_digit = np.where((peak >= 0.999) & (peak <= 1.001 * width), self.reads, per_digit)
        return score + np.max(per_digit, axis=1) + 1e-6  # a hair over: rounding never makes it too low
