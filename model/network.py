"""The network: the tutorial's fully connected MLP, 784-200-150-100-80-10 with ReLU.

`MLPConfig` holds everything needed to rebuild the network (it is saved in the weights file's
header), including the input normalisation, which happens inside `MLP.forward` so that callers
always pass plain pixels in [0, 1], white ink on black, as `torchvision.transforms.ToTensor()`
gives for MNIST.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

# Mean and standard deviation of MNIST's training pixels (after ToTensor), the usual constants.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081


@dataclass(frozen=True)
class MLPConfig:
    """Shape of the MLP and the normalisation of its input."""

    in_features: int = 28 * 28
    hidden: tuple[int, ...] = (200, 150, 100, 80)
    n_classes: int = 10
    mean: float = MNIST_MEAN
    std: float = MNIST_STD

    def __post_init__(self) -> None:
        # Accept lists (from JSON) but store a tuple so the config stays hashable and frozen.
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.in_features <= 0 or self.n_classes <= 1 or any(h <= 0 for h in self.hidden):
            raise ValueError(f"layer sizes must be positive (and >= 2 classes): {self}")
        if not self.std > 0:
            raise ValueError(f"std must be positive, got {self.std}")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> MLPConfig:
        return cls(**json.loads(text))

    @property
    def sizes(self) -> list[int]:
        """All layer widths, input to output, e.g. [784, 200, 150, 100, 80, 10]."""
        return [self.in_features, *self.hidden, self.n_classes]


class MLP(nn.Module):
    """Linear layers with ReLU between them; `forward` returns logits (no softmax)."""

    def __init__(self, config: MLPConfig | None = None) -> None:
        super().__init__()
        self.config = config or MLPConfig()
        self.metadata: dict[str, str] = {}  # provenance from the weights file, when loaded
        sizes = self.config.sizes
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) or (N, 784) pixels in [0, 1] -> (N, n_classes) logits."""
        # The layers' functions, not their modules' calls: the same sums, but a reading runs a few
        # digits at a time, where nn.Module's call machinery took half of each pass (experiments.md)
        return self.from_normalised(self.normalise(x))

    def from_normalised(self, h: torch.Tensor) -> torch.Tensor:
        """(N, 784) or (N, 1, 28, 28) pixels already normalised (`normalise`) -> (N, n_classes)
        logits."""
        first = next(iter(self.layers))  # not self.layers[0]: indexing a Sequential walks it
        return self.after_first(F.linear(h.flatten(1), first.weight, first.bias))

    def after_first(self, h: torch.Tensor) -> torch.Tensor:
        """(N, first layer's width) -> (N, n_classes) logits: the layers after the first linear
        one, from its output (model/numbers/reader.py runs two checks' first layers as one)."""
        for layer in itertools.islice(self.layers, 1, None):  # a slice would build a new Sequential
            h = F.linear(h, layer.weight, layer.bias) if isinstance(layer, nn.Linear) else F.relu(h)
        return h

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, 28, 28) or (N, 784) pixels in [0, 1] -> (N, 784), as the first layer sees them."""
        return (x.flatten(1) - self.config.mean) / self.config.std

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
