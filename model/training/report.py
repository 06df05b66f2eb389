"""The training report: metrics as JSON and pictures as PNG (curves, confusion matrix, mistakes,
and what the first layer's units look for).

    write_report(folder, metrics, evaluation, test_images, network)

Every file is written atomically, so a report is never half there.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display needed (CI, servers)
import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image
from torch import nn

from ..files import atomic_write
from .evaluate import Evaluation


def write_report(
    folder: str | Path,
    metrics: dict,
    evaluation: Evaluation,
    test_images: torch.Tensor,
    network: nn.Module | None = None,
) -> list[Path]:
    """Write metrics.json, curves.png, confusion.png, mistakes.png and, given the network,
    first_layer.png into `folder`."""
    folder = Path(folder)
    text = json.dumps(metrics, indent=2, sort_keys=True)
    written = [atomic_write(folder / "metrics.json", lambda tmp: tmp.write_text(text + "\n"))]
    written.append(_save(plot_curves(metrics["history"]), folder / "curves.png"))
    written.append(_save(plot_confusion(evaluation), folder / "confusion.png"))
    written.append(_save(plot_mistakes(evaluation, test_images), folder / "mistakes.png"))
    if network is not None:
        first = next(m for m in network.modules() if isinstance(m, nn.Linear))
        written.append(_save(plot_first_layer(first.weight), folder / "first_layer.png", colors=256))
    return written


def plot_curves(history: list[dict]) -> plt.Figure:
    """Loss and accuracy per epoch: training (augmented batches) and test."""
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [h["train_loss"] for h in history], label="train (augmented)")
    ax_loss.plot(epochs, [h["test_loss"] for h in history], label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="Loss", yscale="log")
    ax_acc.plot(epochs, [100 * h["train_accuracy"] for h in history], label="train (augmented)")
    ax_acc.plot(epochs, [100 * h["test_accuracy"] for h in history], label="test")
    best = max(100 * h["test_accuracy"] for h in history)
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy", ylim=(max(90.0, best - 8), 100))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_confusion(evaluation: Evaluation) -> plt.Figure:
    """Confusion matrix of the test set, counts in each cell, the diagonal de-emphasised."""
    cm = evaluation.confusion().numpy()
    off = cm.copy()
    np.fill_diagonal(off, 0)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    image = ax.imshow(off, cmap="Reds")
    for t in range(10):
        for p in range(10):
            n = int(cm[t, p])
            if n:
                color = "white" if off[t, p] > off.max() / 2 else "black"
                ax.text(p, t, n, ha="center", va="center", fontsize=8, color=color)
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true")
    ax.set_title(f"Test confusion matrix (accuracy {100 * evaluation.accuracy:.2f}%)")
    fig.colorbar(image, ax=ax, label="mistakes")
    fig.tight_layout()
    return fig


def plot_mistakes(evaluation: Evaluation, images: torch.Tensor, limit: int = 60) -> plt.Figure:
    """Grid of misclassified test digits, most confident mistakes first: 'true -> predicted'.
    One axes for the whole grid (an axes per digit took seconds to draw)."""
    wrong = evaluation.mistakes()[:limit].tolist()
    digits = images[wrong].view(-1, 28, 28).cpu().float().numpy()
    cols, cell_w, cell_h = 10, 28 + 8, 28 + 14  # room beside and above each digit for its caption
    rows = max(1, -(-len(wrong) // cols))
    shape = (rows * cell_h, cols * cell_w)
    grid = np.ma.masked_array(np.zeros(shape), mask=np.ones(shape, bool))  # masked: the paper between digits
    fig, ax = plt.subplots(figsize=(cols * 1.1, rows * 1.3))
    for k, (i, digit) in enumerate(zip(wrong, digits)):
        top, left = (k // cols) * cell_h + 12, (k % cols) * cell_w + 4
        grid[top : top + 28, left : left + 28] = digit
        truth, pred = int(evaluation.labels[i]), int(evaluation.predictions[i])
        caption = f"{truth}→{pred} {100 * evaluation.confidences[i]:.0f}%"
        ax.text(left + 14, top - 2, caption, fontsize=8, ha="center", va="bottom")
    cmap = plt.get_cmap("gray").with_extremes(bad="white")
    ax.imshow(
        grid, cmap=cmap, interpolation="nearest", vmin=digits.min(initial=0), vmax=digits.max(initial=1)
    )
    ax.axis("off")
    fig.suptitle(f"Most confident mistakes ({len(evaluation.mistakes())} in all): true→predicted")
    fig.tight_layout()
    return fig


def plot_first_layer(weight: torch.Tensor, cols: int = 20, gap: int = 4) -> plt.Figure:
    """Every first-layer unit's 784 weights as a 28x28 image: what it looks for in a digit.

    Red: ink there raises the unit's activation; blue: ink there lowers it. One colour scale
    per unit (its own largest weight), so faint units are as readable as strong ones. The units
    are tiled into one picture (one axes, not one per unit: 200 axes took seconds to draw).
    """
    w = weight.detach().cpu().view(-1, 28, 28).numpy()
    limit = np.abs(w).max(axis=(1, 2), keepdims=True)
    colored = plt.get_cmap("RdBu_r")((w / np.where(limit > 0, limit, 1.0) + 1) / 2)[..., :3]
    rows = -(-len(w) // cols)
    grid = np.ones((rows * (28 + gap) - gap, cols * (28 + gap) - gap, 3))  # white between units
    for k, tile in enumerate(colored):
        top, left = (k // cols) * (28 + gap), (k % cols) * (28 + gap)
        grid[top : top + 28, left : left + 28] = tile
    fig, ax = plt.subplots(figsize=(cols * 0.6, rows * 0.6 + 0.5))
    ax.imshow(grid, interpolation="nearest")
    ax.axis("off")
    ax.set_title(
        f"What the {len(w)} first-layer units look for (red: ink here excites the unit; blue: inhibits)"
    )
    fig.tight_layout()
    return fig


def _save(fig: plt.Figure, path: Path, colors: int | None = None) -> Path:
    """Write a figure as PNG; `colors` reduces it to a palette (the weight grid: 760 KB -> 390 KB)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    data = buffer.getvalue()
    if colors:
        small = io.BytesIO()
        Image.open(io.BytesIO(data)).convert("RGB").quantize(colors).save(small, "PNG", optimize=True)
        data = small.getvalue()
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))
