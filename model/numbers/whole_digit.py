"""Is a piece of ink one whole digit? A second, small MLP that says so, for reading numbers.

    check = load_whole_digit()              # weights/whole_digit.safetensors, or None if absent
    log_p = whole_log_prob(check, x)        # x: (N, 1, 28, 28) in [0, 1] -> (N,) log P(one whole digit)
    parts = check_log_probs(check, x)       # (N, 3): log P(a piece or pair), log P(whole), log P(not a digit)

The classifier was trained on whole, single digits, so it reads anything as some digit: two
touching digits as an 8, an 8 with its right half cut away as a 6, often with confidence.
Segmentation by recognition (segmentation.py) needs to know which candidate pieces are
digits at all, as LeCun, Bottou, Bengio and Haffner's check reader learnt with its "none of the
above" class. Here that is a separate network, so the tutorial's classifier stays exactly as
trained: the same MLP class with three outputs (0: digits, but not one whole digit; 1: one whole
digit; 2: not a digit at all), trained by `python train.py --whole-digit` (training/whole_digit.py)
on pad drawings of digits against touching pairs, slices of a neighbour and fragments
(training/pairs.py), the pieces reading's own cuts make of touching pairs
(training/cut_candidates.py), and made-up letters, symbols and doodles (model/synth/outliers.py).
The third output lets the verdict (verdict.py) tell a letter from a digit: a letter is neither
one digit nor pieces of two. A check with two outputs (an older file) still loads and works.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..network import MLP, MLPConfig
from ..weights import DEFAULT_WEIGHTS, WeightsError, load

DEFAULT_WHOLE_DIGIT = DEFAULT_WEIGHTS.parent / "whole_digit.safetensors"
WHOLE_DIGIT_CONFIG = MLPConfig(hidden=(128, 64), n_classes=3)
NOT_ONE = 0  # the output that means "digits, but not one whole digit" (a pair, a piece)
WHOLE = 1  # the output that means "one whole digit"
NOT_A_DIGIT = 2  # the output that means "not a digit at all" (a letter, a doodle)


def load_whole_digit(
    path: str | Path | None = DEFAULT_WHOLE_DIGIT, device: str | torch.device = "cpu"
) -> MLP | None:
    """The whole-digit check from `path`, or None when there is no such file (reading numbers
    then does with the classifier alone); raises model.WeightsError for a file that is broken."""
    if path is None or not Path(path).is_file():
        return None
    network = load(path, device)
    if network.config.n_classes not in (2, 3):
        raise WeightsError(f"{path} is not a whole-digit check (it has {network.config.n_classes} outputs).")
    return network


@torch.inference_mode()
def check_log_probs(check: MLP, x: torch.Tensor) -> torch.Tensor:
    """(N, 1, 28, 28) floats in [0, 1] -> (N, outputs) the check's log-probabilities (CPU):
    NOT_ONE, WHOLE and (a three-output check) NOT_A_DIGIT."""
    device = next(check.parameters()).device
    return torch.log_softmax(check(x.to(device, torch.float32)), dim=1).cpu()


def whole_log_prob(check: MLP, x: torch.Tensor) -> torch.Tensor:
    """(N, 1, 28, 28) floats in [0, 1] -> (N,) log-probability that each is one whole digit (CPU)."""
    return check_log_probs(check, x)[:, WHOLE]
