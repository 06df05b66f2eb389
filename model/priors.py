"""How plausible a reading of a piece of ink is, beyond the classifier's probability.

    medians = digit_medians(classifier.digit_energy)           # what a whole digit scores
    score = read_score(probs[i], energy[i], medians, whole[i])  # log-probability of the digit it reads
    score += shape_prior(digit, box, typical)                  # log-prior of that digit with that box
    sure = is_sure(digit, p, energy, box, typical, medians, whole)  # no need to look for cuts

The classifier was trained on single, whole, centred digits: shown half a 0, two touching
digits or a tick, it still answers, often with confidence. Three things tell such pieces from
digits (measured on numbers written by bench/numbers.py from MNIST *training* digits; the
benchmark's own numbers, from the test digits, were never used to set them):
- energy, the log-sum-exp of the logits, which the softmax discards: a digit read right scores
  near its kind's median (DIGIT_ENERGY), a piece of one or two run together far less;
- width: each digit has its own (a 1 is narrow, a 0 wide), so a "6" as wide as a 6 and a 5
  side by side, or a "7" as narrow as half a 0, is unlikely;
- height: the digits of a number are about equally tall, a piece cut from one is shorter;
- the whole-digit check (model/whole_digit.py), a network trained to tell one whole digit from
  touching pairs and pieces, when the weights have one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .drawing.marks import SMALL

# A digit's width as a share of the drawing's typical digit height: the median and the spread
# (sigma of its logarithm, from the quartiles), on 2,752 training digits written as numbers.
DIGIT_WIDTH = {
    0: (0.91, 0.25),
    1: (0.34, 0.64),
    2: (0.88, 0.24),
    3: (0.76, 0.25),
    4: (0.74, 0.23),
    5: (0.87, 0.33),
    6: (0.65, 0.25),
    7: (0.69, 0.28),
    8: (0.70, 0.25),
    9: (0.61, 0.23),
}
# Median energy of digits read right, per digit. It belongs to the weights: train.py measures it
# on training digits and writes it into the weights file (Classifier.digit_energy), and the
# callers pass that; these are for a file without it (measured for the scans-only weights on
# 1,848 training digits, alone and in numbers: two touching digits read as one scored 6.9, median
# of 89, a digit 15.6, median of 1,198).
DIGIT_ENERGY = (15.4, 16.5, 12.1, 19.5, 15.3, 17.0, 13.6, 13.1, 17.6, 16.6)
# Weights, as log-probability: chosen together by a grid search on 600 mixed numbers, 300 with
# digits apart and 600 single digits (training digits), for the most numbers read exactly with
# no fewer digits apart and single digits read right than before; checked on 500 more mixed
# numbers (84.4% read exactly, 67.2% before), where the grid's best did no better (83.6%).
ENERGY_WEIGHT = 0.4  # per unit of energy below the digit's median
WIDTH_WEIGHT = 0.5  # times z**2 / 2 of the log-normal width
HEIGHT_FROM = 0.9  # a digit shorter than this share of the typical height ...
HEIGHT_WEIGHT = 20.0  # ... loses this much per unit of height short of it
LOG_SMALL_DIGIT = math.log(0.02)  # a digit under marks.SMALL of the typical height: a mark
# A group is sure to be one digit, and gets no cuts, when its energy is at most SURE_ENERGY below
# its digit's median, its probability at least SURE_P, and its width within SURE_WIDTH sigmas.
# Then 6% of the digits of numbers with digits apart are searched for cuts (without this test,
# 37%), with the same numbers read right; 8 of 300 hand-drawn touching pairs lost their cut.
SURE_ENERGY = 6.0
SURE_P = 0.9
SURE_WIDTH = 2.0
# The whole-digit check's log-probability counts this much in a reading's score, and a group it
# doubts (below SURE_WHOLE) is never sure. Measured on 1,500 numbers from held-out training digits
# (bench.multidigit --validate's), upright and slanted cuts, touching / all the mix / digits apart:
# without the check 61.3% / 87.2% / 96.1%; weight 1 71.6% / 89.4% / 96.1% (weight 0.5: 65-70%,
# 2: 73.8% / 89.5% / 95.9%); the doubt test searches 3% more of the wide groups for cuts.
# With the check trained on the search's own cut pieces as well (training/cut_candidates.py),
# from 8,000 pairs, on 600 numbers with a touching pair from held-out training digits and 1,125
# with digits apart: weight 1 72.2% / 94.70%, 1.5 72.8% / 94.70%, 2 72.7% / 94.43% (the check
# before, weight 1: 67.3% / 94.78%; all with NARROW_CUT_FROM). Weight 1.5 read 0.4 points more of
# the mix but cut two more of the 3,000 single sketch-style digits in two (a 4 read 14, a 6 read
# 67): 1 it is.
WHOLE_WEIGHT = 1.0
SURE_WHOLE = math.log(0.5)


def digit_medians(measured: Sequence[float] | None) -> tuple[float, ...]:
    """The energy medians to read with: the weights' own (Classifier.digit_energy) where they were
    measured, DIGIT_ENERGY where not (an older file; NaN: no such digit read right then)."""
    if measured is None:
        return DIGIT_ENERGY
    return tuple(m if math.isfinite(m) else d for m, d in zip(measured, DIGIT_ENERGY, strict=True))


def read_score(
    probs: np.ndarray, energy: float, medians: Sequence[float] = DIGIT_ENERGY, whole: float = 0.0
) -> tuple[int, float]:
    """The digit a candidate reads as, and the log-probability of that reading: the
    classifier's, less ENERGY_WEIGHT per unit of energy short of the digit's median, plus
    WHOLE_WEIGHT times the whole-digit check's log-probability (0: no check)."""
    digit = int(np.argmax(probs))
    score = math.log(max(float(probs[digit]), 1e-12)) + WHOLE_WEIGHT * whole
    return digit, score - ENERGY_WEIGHT * max(0.0, medians[digit] - energy)


def shape_prior(digit: int, box: tuple[int, int, int, int], typical: float) -> float:
    """Log-prior of `digit` drawn in `box` (left, top, right, bottom) among digits `typical` tall."""
    left, top, right, bottom = box
    height = (bottom - top) / typical
    prior = LOG_SMALL_DIGIT if height < SMALL else 0.0
    prior -= HEIGHT_WEIGHT * max(0.0, HEIGHT_FROM - height)
    return prior - WIDTH_WEIGHT * _width_z(digit, right - left, typical) ** 2 / 2


def is_sure(
    digit: int,
    p: float,
    energy: float,
    box: tuple[int, int, int, int],
    typical: float,
    medians: Sequence[float] = DIGIT_ENERGY,
    whole: float = 0.0,
) -> bool:
    """True when a group reads as one digit clearly, is not too wide for it, and the whole-digit
    check (its log-probability `whole`; 0: no check) does not doubt it."""
    return (
        p >= SURE_P
        and whole >= SURE_WHOLE
        and energy >= medians[digit] - SURE_ENERGY
        and _width_z(digit, box[2] - box[0], typical) <= SURE_WIDTH
    )


def _width_z(digit: int, width: float, typical: float) -> float:
    median, sigma = DIGIT_WIDTH[digit]
    return math.log(max(width, 1) / typical / median) / sigma
