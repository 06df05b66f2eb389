"""Train the not-a-digit check (model/numbers/not_a_digit.py): a digit, or not a digit at all?

    python train.py --not-a-digit --data-dir ../shared/data     # weights/not_a_digit.safetensors

A digit: the first HELD_OUT_FROM MNIST training digits as scanned, and `sketches` of them drawn
in the sketch-style canvas styles and read back by `preprocess` (model/synth/sketches.py), as
reading sees an upload. Not a digit: made-up letters, symbols and doodles, digit look-alikes
and near misses (model/synth/outliers.py: font glyphs, random shapes; random round shapes with
marks or a dent, crossings, ladders, hooks with a dot, strokes with a head; hooks over a mark,
open loops, cusped loops, ticks with a bar, bowls with a leg, stems with bars, loops with
features), none of the designs model/synth/nondigits.py draws for the verdict's tune and test
splits. Each bank is drawn
once and cached. The two classes count alike in the loss; the sketches count SKETCH_WEIGHT as
much as a scan, since they are what the verdict's line is drawn on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ...drawing.preprocess import preprocess
from ...network import MLP
from ...synth.outliers import outlier_bank
from ...synth.sketches import sketch_set
from ...training.cache import load_or_make
from ...training.data import load_mnist
from ...training.workers import run_chunks, spans
from ...weights import save
from ..not_a_digit import DEFAULT_NOT_A_DIGIT, DIGIT, NOT_A_DIGIT_CONFIG
from . import HELD_OUT_FROM

BANK_VERSION = "1"  # bump when outliers.py or sketches.py draw otherwise: old banks are then ignored
SKETCH_WEIGHT = 4.0  # a drawn digit's share of the loss against a scanned one's
CHUNK = 250  # drawings per worker task


@dataclass(frozen=True)
class NotADigitConfig:
    """A not-a-digit check's training run."""

    data_dir: str = "./data"
    download: bool = True
    cache_dir: str | None = "data/cache"  # the banks of drawings, made once
    sketches: int = 4_000  # sketch-style drawings of training digits
    outliers: int = 3_000  # made-up letters, symbols and doodles
    lookalikes: int = 5_000  # made-up digit look-alikes
    near_misses: int = 5_000  # made-up shapes nearer still (question marks, hearts, open loops...)
    epochs: int = 6
    batch_size: int = 256
    lr: float = 3e-3  # peak of the one-cycle schedule
    seed: int = 0
    threads: int | None = None
    out: str = str(DEFAULT_NOT_A_DIGIT)


def train_not_a_digit(config: NotADigitConfig, log: Callable[[str], None] | None = print) -> dict:
    """Make the samples, train the check, save it to `config.out`; what it says of its samples."""
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    x, y, w = samples(config, log)
    network = MLP(NOT_A_DIGIT_CONFIG)
    optimizer = torch.optim.Adam(network.parameters(), lr=config.lr)
    steps = config.epochs * math.ceil(len(x) / config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=steps)
    tic = time.perf_counter()
    for epoch in range(config.epochs):
        network.train()
        for batch in torch.randperm(len(x)).split(config.batch_size):
            loss = F.cross_entropy(network(x[batch]), y[batch], reduction="none")
            loss = (loss * w[batch]).sum() / w[batch].sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        _say(log, f"epoch {epoch + 1}: loss {loss.item():.4f} ({time.perf_counter() - tic:.0f} s)")
    network.eval()
    with torch.no_grad():
        said = network(x).argmax(1)
    scores = {
        "digits_right": float((said[y == DIGIT] == DIGIT).float().mean()),
        "not_digits_right": float((said[y != DIGIT] != DIGIT).float().mean()),
    }
    training = {"what": "not-a-digit check (model/numbers/not_a_digit.py)", **asdict(config), **scores}
    for key in ("out", "data_dir", "cache_dir"):  # names, not this machine's paths
        training[key] = None if training[key] is None else Path(training[key]).name
    save(network, config.out, training=training)
    _say(log, f"Saved the not-a-digit check to {config.out} (on its own samples: {scores}).")
    return scores


def samples(
    config: NotADigitConfig, log: Callable[[str], None] | None = print
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(N, 1, 28, 28) floats in [0, 1], (N,) labels (1: a digit) and (N,) loss weights."""
    scans = load_mnist(config.data_dir, train=True, download=config.download)[0][:HELD_OUT_FROM]
    most = max(len(scans) // 4, 1)  # a small set (the tests') draws a few of each
    sketches = _bank(config, "sketch-digits", min(config.sketches, most), log)
    made_up = _bank(config, "made-up-nondigits", min(config.outliers, most), log)
    lookalikes = _bank(config, "lookalikes", min(config.lookalikes, most), log)
    others = torch.cat(
        [made_up, lookalikes, _bank(config, "near-misses", min(config.near_misses, most), log)]
    )
    x = torch.cat([scans, sketches, others]).float().div(255)[:, None]
    y = torch.cat([torch.full((len(scans) + len(sketches),), DIGIT), torch.full((len(others),), 1 - DIGIT)])
    digit_w = torch.cat([torch.ones(len(scans)), torch.full((len(sketches),), SKETCH_WEIGHT)])
    other_w = torch.full((len(others),), float(digit_w.sum()) / max(len(others), 1))  # classes alike
    return x, y, torch.cat([digit_w, other_w])


# each bank draws from a stream of its own (not the whole-digit check's made-up non-digits)
_SEEDS = {"sketch-digits": 13, "made-up-nondigits": 12, "lookalikes": 11, "near-misses": 14}
_FAMILIES = {"made-up-nondigits": "made-up", "lookalikes": "lookalikes", "near-misses": "near misses"}


def _bank(config: NotADigitConfig, name: str, count: int, log: Callable[[str], None] | None) -> torch.Tensor:
    """(count, 28, 28) uint8 drawings of bank `name`, from the cache or drawn (in `threads`
    processes) and saved there."""
    seed = config.seed + _SEEDS[name]
    settings = {"count": count, "seed": seed, "version": BANK_VERSION, "data": "mnist-train"}

    def make() -> dict[str, torch.Tensor]:
        if name == "sketch-digits":
            images, labels = load_mnist(config.data_dir, train=True, download=config.download)
            drawn = sketch_bank(images[:HELD_OUT_FROM].numpy(), labels.numpy(), count, seed)
            return {"x": torch.from_numpy(drawn)}
        chunks = [(b - a, seed, a, _FAMILIES[name]) for a, b in spans(count, CHUNK)]
        parts = run_chunks(outlier_bank, chunks, config.threads or 1) or [np.zeros((0, 28, 28), np.uint8)]
        return {"x": torch.from_numpy(np.concatenate(parts))}

    found = load_or_make(
        config.cache_dir,
        f"not-a-digit-{name}",
        np.zeros(0, np.uint8),  # the settings alone name the file
        settings,
        make,
        lambda t: "x" in t and t["x"].ndim == 3 and t["x"].shape[1:] == (28, 28),
        lambda: _say(log, f"Drawing {count:,} {name} (once; about {count // 20} s)..."),
    )
    return found["x"]


def sketch_bank(images: np.ndarray, labels: np.ndarray, count: int, seed: int) -> np.ndarray:
    """(n, 28, 28) uint8: `count` sketch-style drawings of `images` read back by `preprocess`
    (a drawing whose ink reads as nothing is left out, so n <= count)."""
    out = []
    for canvas, _, _ in sketch_set(images, labels[: len(images)], count, seed):
        x = preprocess(canvas)
        if x is not None:
            out.append(np.round(x[0].numpy() * 255).astype(np.uint8))
    return np.stack(out) if out else np.zeros((0, 28, 28), np.uint8)


def _say(log: Callable[[str], None] | None, text: str) -> None:
    if log is not None:
        log(text)
