"""Train the whole-digit check (model/numbers/whole_digit.py): one whole digit, a piece or pair
of digits, or not a digit at all?

    python train.py --whole-digit --data-dir ../shared/data     # weights/whole_digit.safetensors

One whole digit: pad drawings of the first HELD_OUT_FROM training digits (all four of each, as
model/training/pad.py draws them for the classifier) and the digits cut cleanly from a touching
pair (pairs.py's pieces, and cut_candidates.py's pieces that hold one digit's ink and little
else). Not one digit: pairs.py's touching pairs, digits with a slice of their neighbour and
fragments of one digit, and the pieces reading's own cuts make of touching pairs that hold bits
of both digits or under half of one (cut_candidates.py). Not a digit at all (outlier exposure):
made-up letters, symbols and doodles (model/synth/outliers.py: font glyphs and random shapes, none
of the designs the verdict's thresholds are chosen or reported on), read whole as reading reads a
drawing. Pieces count as much as whole digits, non-digits OUTLIER_WEIGHT as much; 5,000 of the
samples are held out to report accuracy. Why these samples and not others: docs/experiments.md.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ...network import MLP
from ...synth.outliers import outlier_bank
from ...training.cache import load_or_make
from ...training.data import load_mnist
from ...training.loop import PAD_SEED, TrainConfig, _drawings
from ...training.workers import run_chunks, spans
from ...weights import save
from ..whole_digit import DEFAULT_WHOLE_DIGIT, NOT_A_DIGIT, NOT_ONE, WHOLE, WHOLE_DIGIT_CONFIG
from . import HELD_OUT_FROM
from .cut_candidates import load_cut_candidates
from .pairs import load_pairs

HELD_OUT = 5_000  # samples kept out of training, to report accuracy on
PAIRS = 30_000  # touching pairs and straight cuts of them (pairs.py), made once and cached
OUTLIERS_VERSION = "1"  # bump when model/synth/outliers.py draws otherwise: old banks are then ignored
OUTLIER_WEIGHT = 0.5  # the non-digits' share of the loss, against the whole digits' (docs/experiments.md)


@dataclass(frozen=True)
class WholeDigitConfig:
    """A whole-digit check's training run (8 epochs: about 40 s on two CPU cores)."""

    data_dir: str = "./data"
    download: bool = True
    cache_dir: str | None = "data/cache"  # the drawings, shared with train.py's, and the banks
    epochs: int = 8
    cut_pairs: int = 16_000  # touching pairs whose cut pieces are samples (cut_candidates.py)
    outliers: int = 6_000  # made-up non-digits (model/synth/outliers.py), made once and cached
    batch_size: int = 256
    lr: float = 3e-3  # peak of the one-cycle schedule
    seed: int = 0
    threads: int | None = None
    out: str = str(DEFAULT_WHOLE_DIGIT)


def train_whole_digit(config: WholeDigitConfig, log: Callable[[str], None] | None = print) -> dict:
    """Make the samples, train the check, save it to `config.out`; its held-out accuracy."""
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    x, y = samples(config, log)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(config.seed))
    held = order[: min(HELD_OUT, len(x) // 10)]
    train = order[len(held) :]
    network = MLP(WHOLE_DIGIT_CONFIG)
    counts = torch.bincount(y[train], minlength=3).clamp(min=1).float()
    balance = counts[WHOLE] / counts  # the classes count alike ...
    balance[NOT_A_DIGIT] *= OUTLIER_WEIGHT  # ... but non-digits less: a digit must stay a digit
    optimizer = torch.optim.Adam(network.parameters(), lr=config.lr)
    steps = config.epochs * math.ceil(len(train) / config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=steps)
    tic = time.perf_counter()
    for epoch in range(config.epochs):
        network.train()
        for batch in train[torch.randperm(len(train))].split(config.batch_size):
            loss = F.cross_entropy(network(x[batch]), y[batch], weight=balance)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        scores = accuracy(network, x[held], y[held])
        _say(log, f"epoch {epoch + 1}: held-out {_percent(scores)} ({time.perf_counter() - tic:.0f} s)")
    save(network.eval(), config.out, test_accuracy=scores["accuracy"], training=_provenance(config, scores))
    _say(log, f"Saved the whole-digit check to {config.out}.")
    return scores


def samples(config: WholeDigitConfig, log: Callable[[str], None] | None = print) -> tuple[torch.Tensor, ...]:
    """(N, 1, 28, 28) floats in [0, 1] and (N,) labels (1: one whole digit, 0: not)."""
    images, labels = load_mnist(config.data_dir, train=True, download=config.download)
    recipe = TrainConfig(data_dir=config.data_dir, cache_dir=config.cache_dir, threads=config.threads)
    drawn = _drawings(images, recipe, log)  # (N, variants, 28, 28)
    bank, kinds = _pairs(torch.cat([images[:, None], drawn], 1), labels, config.cache_dir, log)
    whole = drawn[:HELD_OUT_FROM].flatten(0, 1)  # every drawing of each digit
    pairs = min(config.cut_pairs, len(whole) // 8)  # a small set (the tests') gets a few
    cut, cut_labels = load_cut_candidates(
        drawn[:HELD_OUT_FROM],
        labels[:HELD_OUT_FROM],
        pairs,
        config.seed,
        config.cache_dir,
        on_build=lambda: _say(
            log, f"Cutting {pairs:,} touching pairs as reading does (once; {pairs // 40} s)..."
        ),
        workers=config.threads or 1,
    )
    count = min(config.outliers, len(whole) // 4)  # a small set (the tests') gets a few
    others = load_outliers(
        count,
        config.seed,
        config.cache_dir,
        workers=config.threads or 1,
        on_build=lambda: _say(log, f"Drawing {count:,} made-up non-digits (once; {count // 30} s)..."),
    )
    x = torch.cat([whole, bank, cut, others]).float().div(255)[:, None]
    y = torch.cat(
        [
            torch.full((len(whole),), WHOLE),
            torch.where(kinds >= 0, WHOLE, NOT_ONE),
            torch.where(cut_labels == WHOLE, WHOLE, NOT_ONE),
            torch.full((len(others),), NOT_A_DIGIT),
        ]
    )
    return x, y


def load_outliers(
    count: int,
    seed: int,
    cache_dir: str | None,
    workers: int = 1,
    on_build: Callable[[], None] | None = None,
) -> torch.Tensor:
    """(count, 28, 28) uint8 made-up non-digits (model/synth/outliers.py), from `cache_dir` or
    drawn (in `workers` processes) and saved there."""
    settings = {"count": count, "seed": seed, "version": OUTLIERS_VERSION}

    def make() -> dict[str, torch.Tensor]:
        chunks = [(b - a, seed, a) for a, b in spans(count, 500)]
        parts = run_chunks(outlier_bank, chunks, workers) or [np.zeros((0, 28, 28), np.uint8)]
        return {"outliers": torch.from_numpy(np.concatenate(parts))}

    found = load_or_make(
        cache_dir,
        "made-up-nondigits",  # not "outliers": pairs.py's banks are named so
        np.zeros(0, np.uint8),  # made from no digits: the settings alone name the file
        settings,
        make,
        lambda t: "outliers" in t and t["outliers"].shape == (count, 28, 28),
        on_build,
    )
    return found["outliers"]


def _pairs(
    images: torch.Tensor, labels: torch.Tensor, cache_dir: str | None, log: Callable[[str], None] | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(count, 28, 28) uint8 touching pairs, slices, fragments and pieces made from the scans and
    drawings of the first HELD_OUT_FROM training digits, and their labels (-1: not one digit)."""
    source = images[:HELD_OUT_FROM]
    count = min(PAIRS, 2 * len(source))  # a small set (the tests') gets a few
    return load_pairs(
        source,
        labels[:HELD_OUT_FROM],
        count,
        PAD_SEED,
        cache_dir,
        on_build=lambda: _say(log, f"Making {count:,} touching pairs and cuts of them (once; 20 s)..."),
    )


@torch.no_grad()
def accuracy(network: MLP, x: torch.Tensor, y: torch.Tensor) -> dict:
    """Share right overall; of whole digits and of pieces, whole or not; of non-digits, not a digit."""
    said = network.eval()(x).argmax(1)
    right = said == y
    return {
        "accuracy": float(right.float().mean()),
        "whole_right": float(right[y == WHOLE].float().mean()),
        "not_whole_right": float((said[y == NOT_ONE] != WHOLE).float().mean()),
        "not_a_digit_right": float(right[y == NOT_A_DIGIT].float().mean()),
    }


def _provenance(config: WholeDigitConfig, scores: dict) -> dict:
    return {
        "what": "whole-digit check (model/numbers/whole_digit.py)",
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "lr": config.lr,
        "seed": config.seed,
        "digits": f"training digits 0-{HELD_OUT_FROM - 1}",
        "cut_pairs": config.cut_pairs,
        "outliers": f"{config.outliers} made-up non-digits (model/synth/outliers.py v{OUTLIERS_VERSION})",
        "outlier_weight": OUTLIER_WEIGHT,
        "held_out": {k: round(v, 4) for k, v in scores.items()},
        "data": Path(config.data_dir).name,
    }


def _percent(scores: dict) -> str:
    return (
        f"{100 * scores['accuracy']:.2f}% right (whole digits {100 * scores['whole_right']:.1f}%, "
        f"pieces {100 * scores['not_whole_right']:.1f}%, non-digits {100 * scores['not_a_digit_right']:.1f}%)"
    )


def _say(log: Callable[[str], None] | None, text: str) -> None:
    if log is not None:
        log(text)
