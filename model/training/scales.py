"""How strongly each hidden layer fires on MNIST: the brightness scale of the "Look inside" panel.

    scales = measure_layer_scales(network, test_images)    # one float per hidden layer
    add_layer_scales("weights/mlp.safetensors", "./data")  # into an existing file's header

Training measures it at the end and writes it into the weights file's header (`layer_scales`);
`add_layer_scales` gives it to a file trained before that, without retraining.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import weights as weights_io
from ..network import MLP
from .data import load_mnist

PERCENTILE = 99  # stronger activations saturate the panel's brightest cell


@torch.no_grad()
def measure_layer_scales(network: MLP, images: torch.Tensor) -> list[float]:
    """The 99th percentile of each hidden layer's activations (after ReLU, over all its units and
    all `images`), in one pass. Images: uint8 (N, 28, 28) or floats in [0, 1], (N, 1, 28, 28)."""
    x = images.float() / 255 if images.dtype == torch.uint8 else images.float()
    device = next(network.parameters()).device
    h = network.normalise(x.to(device))
    scales = []
    for layer in network.layers:
        h = layer(h)
        if isinstance(layer, nn.ReLU):
            # numpy: torch.quantile refuses tensors of more than 16M values
            scales.append(float(np.percentile(h.cpu().numpy(), PERCENTILE)))
    return scales


def add_layer_scales(path: str | Path, data_dir: str | Path, download: bool = True) -> list[float]:
    """Measure a weights file's layer scales on the 10,000 MNIST test digits and write them into
    its header, saying when and how; the tensors are unchanged. Returns the scales."""
    network = weights_io.load(path)
    images, _ = load_mnist(data_dir, train=False, download=download)
    scales = measure_layer_scales(network, images)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    weights_io.update_metadata(
        path,
        {
            "layer_scales": weights_io.layer_scales_json(scales),
            "layer_scales_note": f"measured after training, {stamp}, by `python train.py --measure-scales`",
        },
    )
    return scales
