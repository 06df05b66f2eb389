"""Is a piece of ink a digit at all? A third, small MLP: the verdict's second opinion.

    check = load_not_a_digit()             # weights/not_a_digit.safetensors, or None if absent
    log_p = digit_log_prob(check, x)       # x: (N, 1, 28, 28) in [0, 1] -> (N,) log P(a digit)

The classifier and the whole-digit check (whole_digit.py) saw only digits and pieces of digits,
so a heart or a smiley reads as a 0 to both, a ? as a 7, a + as a 4. This network has seen such
shapes: trained by `python train.py --not-a-digit` (training/not_a_digit.py) on the first
HELD_OUT_FROM MNIST training digits, as scanned and as drawn in the sketch styles, against
made-up letters, symbols, doodles and digit look-alikes (model/synth/outliers.py; none of
model/synth/nondigits.py's designs). Its log P(a digit), times a weight that `python train.py
--verdict` chooses, is the third part of the verdict's score (verdict.py).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..network import MLP, MLPConfig
from ..weights import DEFAULT_WEIGHTS, WeightsError, load

DEFAULT_NOT_A_DIGIT = DEFAULT_WEIGHTS.parent / "not_a_digit.safetensors"
NOT_A_DIGIT_CONFIG = MLPConfig(hidden=(64, 32), n_classes=2)
DIGIT = 1  # the output that means "a digit" (0: not a digit)


def load_not_a_digit(
    path: str | Path | None = DEFAULT_NOT_A_DIGIT, device: str | torch.device = "cpu"
) -> MLP | None:
    """The not-a-digit check from `path`, or None when there is no such file (the verdict then
    does without it); raises model.WeightsError for a file that is broken."""
    if path is None or not Path(path).is_file():
        return None
    network = load(path, device)
    if network.config.n_classes != 2:
        raise WeightsError(f"{path} is not a not-a-digit check (it has {network.config.n_classes} outputs).")
    return network


@torch.inference_mode()
def digit_log_prob(check: MLP, x: torch.Tensor) -> torch.Tensor:
    """(N, 1, 28, 28) floats in [0, 1] -> (N,) log-probability that each is a digit (CPU)."""
    device = next(check.parameters()).device
    return torch.log_softmax(check(x.to(device, torch.float32)), dim=1)[:, DIGIT].cpu()
