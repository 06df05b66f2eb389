"""What reading a number needs besides the classifier: the two checks and the learned data.

    reader = load_reader(device="cpu")   # weights/: whole_digit, not_a_digit, path_weights, verdict
    reader = load_reader(whole_digit=None)              # without the check
    reader = default_reader(classifier.device)          # the shipped ones, loaded once per device

The classifier (model/classifier.py) reads one digit; the number reader owns the rest, so that a
classifier trained anew (the app's "Watch it learn") can be read with the same reader.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..network import MLP
from .learned import DEFAULT_PATH_WEIGHTS, PathWeights, load_path_weights
from .not_a_digit import DEFAULT_NOT_A_DIGIT, DIGIT, digit_log_prob, load_not_a_digit
from .priors import weight_vector
from .verdict import DEFAULT_VERDICT, Thresholds, load_verdict
from .whole_digit import DEFAULT_WHOLE_DIGIT, WHOLE, load_whole_digit, whole_log_prob


@dataclass(frozen=True)
class NumberReader:
    """The whole-digit check (None: read without it), the path score's learned data, the
    thresholds of the verdict (None: by the digits' confidence alone; verdict.py), and the
    not-a-digit check, the verdict's second opinion (None: the score does without it)."""

    check: MLP | None
    learned: PathWeights
    verdict: Thresholds | None = None
    not_a_digit: MLP | None = None

    @property
    def weight(self) -> float:
        """How much the not-a-digit check counts in the verdict's score: the verdict file's
        weight, 0 without that check or without a verdict file."""
        return 0.0 if self.not_a_digit is None or self.verdict is None else self.verdict.weight

    def digit_part(self, x: torch.Tensor) -> np.ndarray:
        """(N, 1, 28, 28) floats in [0, 1] -> (N,) the score's third part, weight * log P(a
        digit); zeros, without running the check, when it does not count."""
        if not self.weight:
            return np.zeros(len(x))
        return self.weight * digit_log_prob(self.not_a_digit, x).double().numpy()

    def parts(self, x: torch.Tensor) -> tuple[np.ndarray | None, np.ndarray]:
        """(N, 1, 28, 28) floats in [0, 1] -> the whole-digit check's (N,) log P(one whole digit)
        as float32 (None without the check) and the score's third part, digit_part's (N,), from
        one pass of both checks: their first layers, which see the same pixels, as one matmul."""
        together = self._first_layers
        if together is None:  # one check or none: each on its own
            whole = self.whole_log_prob(x)
            return (None if whole is None else whole.numpy()), self.digit_part(x)
        weight, bias, split = together
        with torch.inference_mode():
            first = F.linear(self.check.normalise(x.to(weight.device, torch.float32)), weight, bias)
            whole = torch.log_softmax(self.check.after_first(first[:, :split]), dim=1)[:, WHOLE]
            digit = torch.log_softmax(self.not_a_digit.after_first(first[:, split:]), dim=1)[:, DIGIT]
        return whole.cpu().numpy(), self.weight * digit.cpu().double().numpy()

    @functools.cached_property
    def _first_layers(self) -> tuple[torch.Tensor, torch.Tensor, int] | None:
        """Both checks' first layers stacked (weights, biases, where the second's outputs start),
        when both run and see their input alike; None otherwise. Made once: the checks are
        loaded from their files and never trained in place."""
        check, other = self.check, self.not_a_digit
        if check is None or not self.weight:
            return None
        alike = (check.config.in_features, check.config.mean, check.config.std) == (
            other.config.in_features, other.config.mean, other.config.std)  # fmt: skip
        a, b = next(iter(check.layers)), next(iter(other.layers))
        if not alike or a.weight.device != b.weight.device:
            return None
        with torch.no_grad():
            return torch.cat([a.weight, b.weight]), torch.cat([a.bias, b.bias]), a.out_features

    @functools.cached_property
    def vector(self) -> np.ndarray:
        """The path weights as a vector over priors.FEATURES."""
        return weight_vector(self.learned.weights)

    def whole_log_prob(self, x: torch.Tensor) -> torch.Tensor | None:
        """(N, 1, 28, 28) floats in [0, 1] -> (N,) log-probability that each image is one whole
        digit (not two run together, nor a piece of one); None without the check."""
        return None if self.check is None else whole_log_prob(self.check, x)


def load_reader(
    device: str | torch.device = "cpu",
    whole_digit: str | Path | None = DEFAULT_WHOLE_DIGIT,
    path_weights: str | Path = DEFAULT_PATH_WEIGHTS,
    verdict: str | Path | None = DEFAULT_VERDICT,
    not_a_digit: str | Path | None = DEFAULT_NOT_A_DIGIT,
) -> NumberReader:
    """The number reader from its files: the check from `whole_digit` when that file exists
    (None: without it), on `device`, the learned data from `path_weights`, the verdict's
    thresholds from `verdict` and the not-a-digit check from `not_a_digit`, each when its file
    exists."""
    return NumberReader(
        load_whole_digit(whole_digit, device),
        load_path_weights(path_weights),
        load_verdict(verdict),
        load_not_a_digit(not_a_digit, device),
    )


@functools.cache
def default_reader(device: str | torch.device = "cpu") -> NumberReader:
    """The shipped number reader on `device`, loaded once."""
    return load_reader(device)
