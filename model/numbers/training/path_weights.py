"""Learn how reading scores the paths of its search, and write it where reading loads it.

    python train.py --path-weights --data-dir ../shared/data    # writes weights/path_weights.json

    weights = fit([(truth, search(image, classifier, reader)), ...], start=HAND_WEIGHTS)

Reading a number searches each group of ink for the best way to read it (segmentation.py):
whole, without a stray piece, dropped, or cut into digits. Every step of a path has features
(priors.FEATURES) and the path scores their weighted sum. The weights are learned together, as
LeCun, Bottou, Bengio and Haffner (1998) trained their graph transformer networks
discriminatively: the scores of a number's paths, through a softmax over all of them, make a
probability for each reading, and the weights maximise the log-probability of the right one (a
conditional random field over the search graphs, linear in the features; convex, so L-BFGS finds
its one optimum). The right reading's probability sums every path whose digits spell it (a
forward pass that also counts the digits read so far); the normaliser sums every path. A pull
towards the hand-set weights (`strength`) keeps rare features from running off.

The numbers are written by the number writer (model/synth/numbers.py) from the training digits
from HELD_OUT_FROM on, which neither network learned from: digits apart, the benchmark's mix of
conditions, and more touching pairs. The benchmark's test digits are never used;
bench.multidigit --validate, which reads other numbers of the same held-out digits, and then the
benchmark itself judge the result. Each digit's width, which the path score weighs, is measured
first, on other numbers written from the same digits with the digits apart (measure_widths).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ...classifier import load_classifier
from ...drawing.blobs import crop_group, digit_pieces, group_into_digits, typical_height
from ...synth.numbers import MIX, write_in_any_style
from ...training.data import DataError, load_mnist
from ...weights import DEFAULT_WEIGHTS
from ..learned import DEFAULT_PATH_WEIGHTS, PathWeights, save_path_weights
from ..marks import split_off_lines
from ..priors import FEATURES, weight_vector
from ..reader import NumberReader, load_reader
from ..segmentation import Search, search
from ..whole_digit import DEFAULT_WHOLE_DIGIT
from . import HELD_OUT_FROM

NEVER = -1e9  # log of "impossible", finite so that sums stay defined
MIN_WIDTHS = 20  # a digit measured fewer times than this keeps the width it had

# Writes a number: its digits' images (28x28 uint8), a generator, a condition (synth/numbers.py's)
Writer = Callable[[Sequence[np.ndarray], np.random.Generator, str], Image.Image]

# Where learning starts, and what it is held near: weights once chosen by hand and by grid
# searches, one or two at a time (docs/experiments.md).
HAND_WEIGHTS = {
    "log p": 1.0,
    "whole check": 1.0,
    "energy short": 0.4,
    "width": 0.5,
    "height short": 20.0,
    "small": math.log(0.02),
    "cut, group not doubted": math.log(0.4),
    "cut after": math.log(0.6),
    "piece dropped": math.log(0.6),
    "group dropped": math.log(0.5),
}


@dataclass(frozen=True)
class PathWeightsConfig:
    """What to learn the path weights from: numbers of 2 to 6 digits, `per_length` of each length
    in `mix`'s conditions (in turn) and `touching_per_length` more with a touching pair, and
    `single` drawings of one digit (what the pad sees most: they must not be cut in two); read
    with the classifier `weights` and the check `whole_digit`, the digits' widths measured on
    `width_numbers` more numbers (the rest of `start`, the file read, is only a fallback);
    written to `out`."""

    data_dir: str = "./data"
    download: bool = True
    weights: str = str(DEFAULT_WEIGHTS)  # the classifier
    whole_digit: str = str(DEFAULT_WHOLE_DIGIT)
    start: str = str(DEFAULT_PATH_WEIGHTS)  # the learned data read with (its digits' widths)
    out: str = str(DEFAULT_PATH_WEIGHTS)
    mix: tuple[str, ...] = MIX
    per_length: int = 400
    touching_per_length: int = 120
    single: int = 3000
    width_numbers: int = 600
    strength: float = 1.0  # the pull towards HAND_WEIGHTS (per number, times the squared distance)
    iterations: int = 60  # L-BFGS steps
    seed: int = 0
    first_digit: int = HELD_OUT_FROM  # numbers are written from training digits from this one on


def learn_path_weights(
    config: PathWeightsConfig, write: Writer = write_in_any_style, log: Callable[[str], None] | None = print
) -> PathWeights:
    """Measure the digits' widths, write the numbers, search them as reading does, fit the weights
    (fit), and save them with the widths and energy medians they were learned with to
    `config.out`; what was saved."""
    lines: list[str] = []  # what it says goes into the file's provenance too

    def say(line: str) -> None:
        lines.append(line)
        if log:
            log(line)

    classifier = load_classifier(config.weights, device="cpu")
    reader = load_reader("cpu", config.whole_digit, config.start)
    images, labels = load_mnist(config.data_dir, train=True, download=config.download)
    images, labels = images.numpy()[config.first_digit :], labels.numpy()[config.first_digit :]
    if len(images) == 0:
        raise DataError(
            f"The path weights are learned from the training digits from {config.first_digit:,} on, "
            f"which the networks never learned from, and {config.data_dir} has fewer: use MNIST's "
            "full training set (60,000 digits)."
        )
    start = reader.learned
    width_rng = np.random.default_rng([config.seed, 1])
    widths, measured = measure_widths(
        images, labels, config.width_numbers, width_rng, write, start.digit_width
    )
    say(f"measured the widths of {measured} digits written as numbers")
    reader = NumberReader(reader.check, dataclasses.replace(start, digit_width=widths))
    started = time.time()
    examples = write_and_search(
        config, write, images, labels, lambda image: search(image, classifier, reader)
    )
    say(f"searched {len(examples)} numbers in {time.time() - started:.0f} s")
    weights = fit(examples, HAND_WEIGHTS, config.strength, config.iterations, say)
    provenance = {
        "written_by": "python train.py --path-weights (model/numbers/training/path_weights.py)",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "classifier": Path(config.weights).name,
        "whole_digit": Path(config.whole_digit).name if reader.check is not None else None,
        "data": f"{Path(config.data_dir).name}, training digits from {config.first_digit:,} on",
        "numbers": {"per_length": config.per_length, "touching_per_length": config.touching_per_length},
        "single": config.single,
        "mix": sorted(set(config.mix)),
        "strength": config.strength,
        "iterations": config.iterations,
        "seed": config.seed,
        "log": lines,
        "digit_width": f"measured on {config.width_numbers} numbers written apart (a digit measured "
        f"under {MIN_WIDTHS} times keeps the width {Path(config.start).name} gave it)",
        "digit_energy": "the medians these weights were learned with",
    }
    learned = PathWeights(weights, widths, start.digit_medians(classifier.digit_energy), provenance)
    save_path_weights(learned, config.out)
    if log:
        log(f"Saved the path weights to {config.out}.")
    return learned


def write_and_search(
    config: PathWeightsConfig,
    write: Writer,
    images: np.ndarray,
    labels: np.ndarray,
    searched: Callable[[Image.Image], Search],
) -> list[tuple[str, Search]]:
    """The numbers to learn from, written from `images` as `config` plans, each with the truth and
    its search: numbers of 2 to 6 digits in the mix, more with a touching pair, single digits."""
    rng = np.random.default_rng(config.seed)
    plan = [
        (config.per_length, config.mix, range(2, 7)),
        (config.touching_per_length, ("touching",), range(2, 7)),
        (config.single, ("apart",), (1,)),
    ]
    examples = []
    for per_length, conditions, lengths in plan:
        for length in lengths:
            for i in range(per_length):
                chosen = rng.choice(len(images), length, replace=False)
                truth = "".join(str(labels[j]) for j in chosen)
                drawing = write([images[j] for j in chosen], rng, conditions[i % len(conditions)])
                examples.append((truth, searched(drawing)))
    return examples


def measure_widths(
    images: np.ndarray,
    labels: np.ndarray,
    count: int,
    rng: np.random.Generator,
    write: Writer,
    previous: Sequence[tuple[float, float]],
) -> tuple[tuple[tuple[float, float], ...], int]:
    """Each digit's width as a share of its number's typical digit height, as reading measures
    them: the median and the sigma of its logarithm (from the quartiles), on `count` numbers of 2
    to 6 digits written apart whose ink falls into as many groups as they have digits. A digit
    measured under MIN_WIDTHS times keeps its `previous` width. Also: how many digits were measured."""
    shares: list[list[float]] = [[] for _ in range(10)]
    for i in range(count):
        chosen = rng.choice(len(images), 2 + i % 5, replace=False)
        ink, pieces, blobs = digit_pieces(write([images[j] for j in chosen], rng, "apart"))
        groups = group_into_digits(split_off_lines(blobs)[0]) if blobs else []
        if len(groups) != len(chosen):
            continue  # a digit in two groups, or two in one: no width to trust
        typical = typical_height(groups)
        for j, group in zip(chosen, groups):
            left, _, right, _ = crop_group(ink, pieces, group)[1]
            shares[int(labels[j])].append((right - left) / typical)
    widths = []
    for digit, found in enumerate(shares):
        if len(found) < MIN_WIDTHS:
            widths.append(tuple(previous[digit]))
            continue
        q1, median, q3 = np.percentile(np.log(found), [25, 50, 75])
        widths.append((round(float(np.exp(median)), 2), round(float((q3 - q1) / 1.349), 2)))
    return tuple(widths), sum(len(found) for found in shares)


def fit(
    examples: Sequence[tuple[str, Search]],
    start: dict[str, float],
    strength: float = 1.0,
    iterations: int = 60,
    log: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """The weights (feature name: weight) that maximise the mean log-probability of each
    number's right reading among all the paths of its search, less `strength` times the squared
    distance from `start`, per number. Numbers whose search has no path to the truth are left
    out (no weights can read them)."""
    graphs = [g for g in (_Graph(truth, found) for truth, found in examples) if g.reachable]
    if not graphs:
        raise ValueError("No number's search can read it right: nothing to learn from.")
    centre = torch.from_numpy(weight_vector(start))
    weights = centre.clone().requires_grad_(True)
    optimiser = torch.optim.LBFGS([weights], max_iter=iterations, line_search_fn="strong_wolfe")

    def loss() -> torch.Tensor:
        optimiser.zero_grad()
        total = sum(g.wrongness(weights) for g in graphs) / len(graphs)
        total = total + strength * ((weights - centre) ** 2).sum() / len(graphs)
        total.backward()
        return total

    started = time.time()
    before = loss().item()
    optimiser.step(loss)
    after = loss().item()
    if log:
        log(
            f"{len(graphs)} of {len(examples)} numbers can be read right; mean -log P(right reading) "
            f"{before:.3f} -> {after:.3f} in {time.time() - started:.0f} s"
        )
    learned = {name: round(float(w), 3) for name, w in zip(FEATURES, weights.detach())}
    return {name: w for name, w in learned.items() if w != 0.0}


def reachable(truth: str, found: Search) -> bool:
    """Whether some path of `found` reads `truth` (each piece read as the classifier's first
    choice, in one pass): no path weights can read more numbers right than those."""
    return _Graph(truth, found).reachable


class _Graph:
    """A number's search as tensors: every step's features, and per group, per cut position,
    the steps into it (their starts, indices, and how they move through the truth's digits)."""

    def __init__(self, truth: str, found: Search) -> None:
        digits = np.array([int(c) for c in truth])
        self.length = len(digits)
        features, self.groups = [], []
        for steps, stop in zip(found.groups, found.stops):
            nodes = []
            for at in range(1, stop + 1):
                into = [s for s in steps if s.stop == at]
                if not into:
                    continue
                index = torch.arange(len(features), len(features) + len(into))
                features += [s.features for s in into]
                # reading a digit moves one place along the truth where the truth has that digit
                moves = np.zeros((len(into), self.length + 1))
                for row, step in enumerate(into):
                    if step.digit is not None:
                        moves[row, 0] = NEVER
                        moves[row, 1:] = np.where(digits == step.digit, 0.0, NEVER)
                reads = torch.tensor([s.digit is not None for s in into])[:, None]
                nodes.append((at, [s.start for s in into], index, reads, torch.from_numpy(moves)))
            self.groups.append((stop, nodes))
        self.features = torch.from_numpy(np.array(features)) if features else torch.zeros((0, len(FEATURES)))
        flat = torch.from_numpy(weight_vector({}))  # every path alike: is any path right?
        self.reachable = bool(features) and float(self.wrongness(flat)) < -NEVER / 2

    def wrongness(self, weights: torch.Tensor) -> torch.Tensor:
        """-log P(right reading): log of the sum over all paths, less log of the sum over the
        paths that read the truth (each path weighs exp(its score))."""
        scores = self.features @ weights
        every = torch.zeros((), dtype=torch.float64)
        right = torch.full((self.length + 1,), NEVER, dtype=torch.float64)  # by digits read so far
        right[0] = 0.0
        for stop, nodes in self.groups:
            total = {0: torch.zeros((), dtype=torch.float64)}
            spelled = {0: right}
            for at, starts, index, reads, moves in nodes:
                kept = [k for k, s in enumerate(starts) if s in total]
                if not kept:
                    continue
                if len(kept) < len(starts):
                    keep = torch.tensor(kept)
                    index, reads, moves = index[keep], reads[keep], moves[keep]
                    starts = [starts[k] for k in kept]
                step = scores[index]
                total[at] = torch.logsumexp(torch.stack([total[s] for s in starts]) + step, 0)
                before = torch.stack([spelled[s] for s in starts])
                moved = torch.cat([before[:, :1], before[:, :-1]], 1) + moves
                spelled[at] = torch.logsumexp(torch.where(reads, moved, before) + step[:, None], 0)
            if stop not in total:
                return torch.tensor(-NEVER, dtype=torch.float64)
            every = every + total[stop]
            right = spelled[stop]
        return every - right[self.length]
