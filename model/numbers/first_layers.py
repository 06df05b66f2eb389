"""Every network that reads a candidate digit, their first layers as one matrix over its pixels.

    layers = FirstLayers([(classifier_mlp, (0, 0)), (check, (0, 0)), (classifier_mlp, (1, 0))])
    as_it_is, check_first, moved_down = layers(x)     # x: (N, 1, 28, 28) plain pixels in [0, 1]

A candidate is read by the classifier as it is and moved one pixel each way (model/shifts.py),
and by the whole-digit and not-a-digit checks: seven passes of a first layer over the same 784
pixels, each with its own copy, normalisation and call. A first layer is linear, so moving the
image is moving the weights the other way, and normalising it, (x - mean) / std, folds into the
weights and the bias: the seven become one matrix that sees the plain pixels once, the same sums
up to the last bits of float32 (about 1e-5), for about half the CPU of the seven calls on a live
frame's one candidate (docs/experiments.md, "One matmul for the first layers").
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..network import MLP

Move = tuple[int, int]  # (rows down, columns right), as model/shifts.py's SHIFTS


def moved_weight(weight: torch.Tensor, move: Move, side: int) -> torch.Tensor:
    """(out, side * side) first-layer weights -> the weights that give, for an image as it is,
    what `weight` gives for the image moved by `move` with blank paper (zero) coming in at the
    edge: the moved image's pixel p is the image's p - move, so its weight moves to p - move, and
    the pixels that leave the image weigh nothing."""
    dy, dx = move
    if max(abs(dy), abs(dx)) >= side:
        raise ValueError(f"a move of {move} leaves nothing of a {side} x {side} image")
    grid = weight.reshape(-1, side, side)
    moved = torch.zeros_like(grid)
    rows_to, rows_from = slice(max(0, -dy), side - max(0, dy)), slice(max(0, dy), side - max(0, -dy))
    cols_to, cols_from = slice(max(0, -dx), side - max(0, dx)), slice(max(0, dx), side - max(0, -dx))
    moved[:, rows_to, cols_to] = grid[:, rows_from, cols_from]
    return moved.reshape(weight.shape)


class FirstLayers:
    """Blocks of (network, move): each block's first-layer outputs for its network reading the
    input moved by `move`, all from one matmul over the plain pixels. The networks must share a
    device and an input of side * side pixels."""

    def __init__(self, blocks: Sequence[tuple[MLP, Move]]) -> None:
        sides = {round(net.config.in_features**0.5) for net, _ in blocks}
        side = sides.pop()
        if sides or side * side != blocks[0][0].config.in_features:
            raise ValueError("the networks must all read the same square of pixels")
        weights, biases = [], []
        with torch.no_grad():
            for net, move in blocks:
                layer = next(iter(net.layers))
                scale, shift = 1.0 / net.config.std, net.config.mean / net.config.std
                # W (x - mean) / std + b  =  (W / std) x + (b - mean / std * sum of W's row)
                weights.append(moved_weight(layer.weight, move, side) * scale)
                biases.append(layer.bias - shift * layer.weight.sum(1))
            self.weight = torch.cat(weights).T.contiguous()  # (side * side, all blocks' widths)
            self.bias = torch.cat(biases)
        self.widths = [len(b) for b in biases]

    def __call__(self, x: torch.Tensor, count: int | None = None) -> list[torch.Tensor]:
        """(N, 1, side, side) plain pixels on the networks' device -> the first `count` blocks'
        (N, width) outputs (all of them by default), before the ReLU."""
        widths = self.widths[:count]
        stop = sum(widths)
        out = torch.addmm(self.bias[:stop], x.reshape(len(x), -1), self.weight[:, :stop])
        return list(out.split(widths, dim=1))


def version(network: MLP) -> tuple[float, ...]:
    """What changes when the network's first layer is trained, loaded or moved: where its
    tensors live, torch's count of their in-place changes, and their sums, for the changes that
    count misses (through `.data`, a fused optimizer's step, a network made under
    inference_mode, which counts nothing). A FirstLayers made before is stale then. The sums
    cost about 27 us, so a reading checks once for all its batches (NumberReader.holding)."""
    layer = next(iter(network.layers))
    key: list[float] = []
    for tensor in (layer.weight, layer.bias):
        changes = -1 if tensor.is_inference() else tensor._version
        key += [tensor.data_ptr(), changes, float(tensor.detach().sum())]
    return tuple(key)
