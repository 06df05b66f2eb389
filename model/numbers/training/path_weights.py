"""Learn how reading scores the paths of its search (model/priors.py: WEIGHTS).

    python train.py --path-weights --data-dir ../shared/data    # prints WEIGHTS for priors.py

    weights = fit([(truth, search(image, classifier)), ...], start=HAND_WEIGHTS)

Reading a number searches each group of ink for the best way to read it (model/segmentation.py):
whole, without a stray piece, dropped, or cut into digits. Every step of a path has features
(priors.FEATURES: the classifier's log-probability, the whole-digit check's, the energy, width
and height priors, what cutting and dropping cost) and the path scores their weighted sum.
Those weights were set by hand, one or two at a time, by grid searches that only ever traded
numbers with digits apart for numbers with touching digits. Here they are learned together, as
LeCun, Bottou, Bengio and Haffner (1998) trained their graph transformer networks
discriminatively: the scores of a number's paths, through a softmax over all of them, make a
probability for each reading, and the weights maximise the log-probability of the right one (a
conditional random field over the search graphs, linear in the features; convex, so L-BFGS finds
its one optimum). The right reading's probability sums every path whose digits spell it (a
forward pass that also counts the digits read so far); the normaliser sums every path. A pull
towards the hand-set weights (`strength`) keeps rare features from running off.

The numbers are written by the benchmark's own writer (bench/numbers.py, passed in by train.py)
from the last 5,000 training digits, which neither network learned from: digits apart, the
benchmark's mix of conditions, and more touching pairs. The benchmark's test digits are never
used; bench.multidigit --validate, which reads other numbers of the same held-out digits, and
then the benchmark itself judge the result.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from ..classifier import load_classifier
from ..priors import FEATURES, HAND_WEIGHTS, weight_vector
from ..segmentation import Search, search
from ..weights import DEFAULT_WEIGHTS
from .data import DataError, load_mnist
from .loop import OUTLIER_SOURCE

NEVER = -1e9  # log of "impossible", finite so that sums stay defined

# Writes a number: its digits' images (28x28 uint8), a generator, a condition (bench/numbers.py's)
Writer = Callable[[Sequence[np.ndarray], np.random.Generator, str], Image.Image]


@dataclass(frozen=True)
class PathWeightsConfig:
    """What to learn the path weights from: numbers of 2 to 6 digits, `per_length` of each length
    in `mix`'s conditions (in turn) and `touching_per_length` more with a touching pair, and
    `single` drawings of one digit (what the pad sees most: they must not be cut in two)."""

    data_dir: str = "./data"
    download: bool = True
    weights: str = str(DEFAULT_WEIGHTS)  # the classifier (with its whole-digit check beside it)
    mix: tuple[str, ...] = ("apart",)
    per_length: int = 400
    touching_per_length: int = 120
    single: int = 3000
    strength: float = 1.0  # the pull towards HAND_WEIGHTS (per number, times the squared distance)
    iterations: int = 60  # L-BFGS steps
    seed: int = 0
    first_digit: int = OUTLIER_SOURCE  # numbers are written from training digits from this one on


def learn_path_weights(
    config: PathWeightsConfig, write: Writer, log: Callable[[str], None] | None = print
) -> dict[str, float]:
    """Write the numbers, search them as reading does, and fit the weights (fit)."""
    classifier = load_classifier(config.weights, device="cpu")
    images, labels = load_mnist(config.data_dir, train=True, download=config.download)
    images, labels = images.numpy()[config.first_digit :], labels.numpy()[config.first_digit :]
    if len(images) == 0:
        raise DataError(
            f"The path weights are learned from the training digits from {config.first_digit:,} on, "
            f"which the networks never learned from, and {config.data_dir} has fewer: use MNIST's "
            "full training set (60,000 digits)."
        )
    rng = np.random.default_rng(config.seed)
    plan = [
        (config.per_length, config.mix, range(2, 7)),
        (config.touching_per_length, ("touching",), range(2, 7)),
        (config.single, ("apart",), (1,)),
    ]
    examples, started = [], time.time()
    for per_length, conditions, lengths in plan:
        for length in lengths:
            for i in range(per_length):
                chosen = rng.choice(len(images), length, replace=False)
                truth = "".join(str(labels[j]) for j in chosen)
                drawing = write([images[j] for j in chosen], rng, conditions[i % len(conditions)])
                examples.append((truth, search(drawing, classifier)))
    if log:
        log(f"searched {len(examples)} numbers in {time.time() - started:.0f} s")
    return fit(examples, HAND_WEIGHTS, config.strength, config.iterations, log)


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


def format_weights(weights: dict[str, float]) -> str:
    """`weights` as the Python literal priors.WEIGHTS holds."""
    return "WEIGHTS = {\n" + "".join(f"    {json.dumps(name)}: {w},\n" for name, w in weights.items()) + "}"


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
