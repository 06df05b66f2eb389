"""Load the network once on the best device and turn pixels into class probabilities.

    from model import load_classifier
    clf = load_classifier()                 # shipped weights, best device
    probs = clf.predict_proba(x)            # x: (N, 1, 28, 28) floats in [0, 1] -> (N, 10)
    logits = clf.predict_logits(x)          # the same, before the softmax
    clf.predict_logits(x, moves=False)      # the network's one pass over x as it is

Device order: an explicit `device=` argument, then the MNIST_DEVICE environment variable, then
CUDA, Apple MPS and the CPU, whichever is available first.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from .network import MLP
from .shifts import ShiftAveraged
from .weights import DEFAULT_WEIGHTS, load

DEVICE_ENV = "MNIST_DEVICE"


def pick_device(requested: str | torch.device | None = None) -> torch.device:
    """The device to run on: `requested`, else $MNIST_DEVICE, else cuda > mps > cpu.

    Raises ValueError when a requested device is unknown or not available here.
    """
    requested = requested or os.environ.get(DEVICE_ENV) or None
    if requested is None or str(requested) == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(requested)
    except RuntimeError as e:
        raise ValueError(f"Unknown device {requested!r}: use cpu, cuda, cuda:N, mps or auto.") from e
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available()
        and (device.index is None or device.index < torch.cuda.device_count()),
        "mps": torch.backends.mps.is_available(),
    }
    if not available.get(device.type, False):
        raise ValueError(f"Device {requested!r} is not available on this machine; try 'cpu' or 'auto'.")
    return device


class Classifier:
    """A trained MLP on a device, ready to give probabilities for batches of digits."""

    def __init__(self, network: MLP, device: torch.device) -> None:
        self.network = network.to(device).eval()
        self.reader = ShiftAveraged(self.network)  # reads each digit as it is and moved a pixel each way
        self.device = device

    @property
    def metadata(self) -> dict[str, str]:
        """The weights file's header: config, test accuracy, training settings, versions."""
        return self.network.metadata

    @property
    def digit_energy(self) -> tuple[float, ...] | None:
        """Median energy of a digit read right, per digit, measured for these weights when they
        were trained (None for a file without it: reading numbers then uses its own, model/numbers)."""
        values = json.loads(self.metadata.get("digit_energy", "null"))
        return tuple(values) if isinstance(values, list) and len(values) == 10 else None

    @property
    def layer_scales(self) -> tuple[float, ...] | None:
        """Each hidden layer's 99th percentile activation on the MNIST test digits, measured for
        these weights (None for a file without it, or with a value that does not fit the network)."""
        values = json.loads(self.metadata.get("layer_scales", "null"))
        fits = isinstance(values, list) and len(values) == len(self.network.config.hidden)
        if not fits or not all(isinstance(v, (int, float)) and v > 0 for v in values):
            return None
        return tuple(float(v) for v in values)

    @torch.inference_mode()
    def predict_logits(self, x: torch.Tensor, moves: bool = True) -> torch.Tensor:
        """(N, 1, 28, 28) floats in [0, 1], white ink on black -> (N, 10) logits on the CPU: the
        mean of the network's over each digit and its four one-pixel moves (model/shifts.py);
        `moves=False`: the network's one pass over each digit as it is.

        Their log-sum-exp says how much an image looks like any digit at all (an MNIST digit
        scores high; a piece of one, or two digits run together, lower), which the
        probabilities, normalised to sum to one, cannot say.
        """
        _check_digits(x)
        read = self.reader if moves else self.network
        return read(x.to(self.device, torch.float32)).cpu()  # (N, 10)

    @torch.inference_mode()
    def predict_both(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """predict_logits(x, moves=False) and predict_logits(x), from one batched pass: the
        five moves' batch holds each digit as it is too. The same logits up to the last bits
        the kernel of a bigger batch may sum differently (about 1e-7)."""
        _check_digits(x)
        as_it_is, moved = self.reader.both(x.to(self.device, torch.float32))
        return as_it_is.cpu(), moved.cpu()

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) floats in [0, 1], white ink on black -> (N, 10) probabilities on the CPU."""
        return torch.softmax(self.predict_logits(x), dim=1)


def _check_digits(x: object) -> None:
    """Raise unless `x` is a (N, 1, 28, 28) tensor."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
        raise ValueError(f"expected shape (N, 1, 28, 28), got {tuple(x.shape)}")


def load_classifier(
    path: str | Path = DEFAULT_WEIGHTS, device: str | torch.device | None = None
) -> Classifier:
    """Load weights (the shipped ones by default) once, on `device` or the best available one."""
    target = pick_device(device)
    return Classifier(load(path), target)
