"""Visitor digits for training: an export of the corrections database (model/feedback/export.py).

    visitors = load_visitors("visitors/")        # the training share and the held-out share
    x, y = visitors.mixed_into(mnist_x, mnist_y, weight=10)   # each visitor digit 10 times per epoch

The held-out share is chosen by a hash of each digit (model/feedback/split.py), so it is the same
in every run and every export; those digits are scored, never trained on. With the export's
CSV beside the IDX files, the held-out score is compared with what the app's model answered
when the visitor corrected it: what a model trained with them gained on real pad drawings.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from pathlib import Path

import torch

from ..feedback.export import IMAGES, LABELS, TABLE
from ..feedback.split import held_out
from .data import DataError, read_idx


@dataclass(frozen=True)
class VisitorDigits:
    """Visitor digits as uint8 (N, 28, 28) images and int64 labels, split by hash."""

    train: tuple[torch.Tensor, torch.Tensor]
    held_out: tuple[torch.Tensor, torch.Tensor]
    held_out_answers: torch.Tensor | None  # what the app's model said then (None: no CSV)

    def mixed_into(self, images: torch.Tensor, labels: torch.Tensor, weight: int) -> tuple:
        """MNIST's training set with the visitor digits added, each `weight` times.

        `images` may hold several views of every digit, (N, V, 28, 28): the scan and drawings of
        it (pad.py). A visitor digit is already a pad drawing, so it is every one of its views.
        """
        x, y = self.train
        x = x.repeat(weight, 1, 1)
        if images.ndim == 4:
            x = x[:, None].expand(-1, images.shape[1], -1, -1)
        return torch.cat([images, x]), torch.cat([labels, y.repeat(weight)])


def load_visitors(folder: str | Path) -> VisitorDigits:
    """Read an export folder; DataError naming the file when something is missing or wrong."""
    folder = Path(folder)
    images = _read_gz(folder / IMAGES, ndim=3)
    labels = _read_gz(folder / LABELS, ndim=1).long()
    if images.ndim != 3 or tuple(images.shape[1:]) != (28, 28) or len(images) != len(labels):
        raise DataError(f"{folder / IMAGES} and {folder / LABELS} do not hold matching 28x28 digits.")
    held = torch.tensor([held_out(image.numpy().tobytes()) for image in images], dtype=torch.bool)
    answers = _answers(folder / TABLE, len(labels))
    return VisitorDigits(
        train=(images[~held], labels[~held]),
        held_out=(images[held], labels[held]),
        held_out_answers=answers[held] if answers is not None else None,
    )


def _read_gz(path: Path, ndim: int) -> torch.Tensor:
    """A gzipped IDX file's uint8 array."""
    if not path.is_file():
        raise DataError(f"{path} not found: make it with `python -m model.feedback.export DB {path.parent}`.")
    try:
        return read_idx(gzip.decompress(path.read_bytes()), ndim)
    except Exception as e:  # bad gzip, bad magic number, short file
        raise DataError(f"{path} is not a gzipped MNIST IDX file ({type(e).__name__}: {e}).") from e


def _answers(path: Path, n: int) -> torch.Tensor | None:
    """The model's answers from the export's CSV, in row order; None when there is no such CSV."""
    if not path.is_file():
        return None
    with open(path, newline="") as f:
        answers = [int(row["answer"]) for row in csv.DictReader(f)]
    return torch.tensor(answers, dtype=torch.long) if len(answers) == n else None
