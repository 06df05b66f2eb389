"""MNIST as tensors in memory: its IDX files read here, downloaded by torchvision when absent.

    images, labels = load_mnist("./data", train=True)     # (60000, 28, 28) uint8, (60000,) int64
    python -m model.training.download ./data              # fetch it beforehand (download.py)

The whole set is 47 MB as uint8, so it stays in memory as one tensor and batches are sliced from
it: far faster than a per-image Dataset/DataLoader, and the same code runs on a GPU.
"""

from __future__ import annotations

import struct
from math import prod
from pathlib import Path

import numpy as np
import torch

RAW_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class DataError(Exception):
    """MNIST could not be found, downloaded or read; the message says which file and what to do."""


def raw_folder(root: str | Path) -> Path:
    """Where torchvision keeps the uncompressed IDX files under `root`."""
    return Path(root) / "MNIST" / "raw"


def load_mnist(root: str | Path, train: bool, download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 28, 28) uint8 images and (N,) int64 labels of MNIST's train or test split.

    Downloads into `root` with torchvision when the files are absent and `download` is true.
    """
    folder = raw_folder(root)
    image_name, label_name = RAW_FILES[train]
    if not all((folder / name).is_file() for name in RAW_FILES[train]):
        if not download:
            raise DataError(_missing_message(folder, image_name, label_name))
        fetch(root)
    images = _read(folder / image_name, ndim=3)
    labels = _read(folder / label_name, ndim=1)
    if images.ndim != 3 or tuple(images.shape[1:]) != (28, 28):
        raise DataError(f"{folder / image_name} holds images of shape {tuple(images.shape[1:])}, not 28x28.")
    if len(images) != len(labels):
        raise DataError(
            f"{folder / image_name} has {len(images)} images but {folder / label_name} "
            f"has {len(labels)} labels: the files do not belong together."
        )
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{folder / label_name} has labels outside 0-9: not an MNIST label file.")
    return images, labels.long()


def is_present(root: str | Path) -> bool:
    """Whether all four MNIST files are in `root` (torchvision's layout), so nothing is downloaded."""
    return all((raw_folder(root) / name).is_file() for name in RAW_FILES[True] + RAW_FILES[False])


def fetch(root: str | Path) -> None:
    """Download MNIST (about 11 MB) into `root` with torchvision; DataError when that fails."""
    # imported here: torchvision brings torch._dynamo, about 2 s of every run's start otherwise
    from torchvision.datasets import MNIST

    try:
        MNIST(str(root), train=True, download=True)
    except Exception as e:  # torchvision raises RuntimeError/URLError/OSError depending on the failure
        folder = raw_folder(root)
        raise DataError(
            f"Could not download MNIST into {folder} ({type(e).__name__}: {' '.join(str(e).split())[:200]}). "
            "If this machine is offline, fetch it once while it is online with "
            "`python -m model.training.download <dir>`, or copy the four MNIST files "
            f"({', '.join(RAW_FILES[True] + RAW_FILES[False])}) into <dir>/MNIST/raw/; then pass "
            "--data-dir <dir>."
        ) from e


def read_idx(data: bytes, ndim: int) -> torch.Tensor:
    """The uint8 array held by the bytes of an IDX file (MNIST's format: two zero bytes, the element
    type 0x08, the number of dimensions, each size as a big-endian uint32, then the elements);
    ValueError saying what does not fit."""
    if len(data) < 4 or data[:2] != b"\0\0":
        raise ValueError("no IDX magic number")
    if data[2] != 0x08 or data[3] != ndim:
        raise ValueError(f"type 0x{data[2]:02x} in {data[3]} dimensions, not uint8 (0x08) in {ndim}")
    start = 4 + 4 * ndim
    if len(data) < start:
        raise ValueError(f"a header of {len(data)} bytes, not {start}")
    shape = struct.unpack(f">{ndim}I", data[4:start])
    if len(data) - start != prod(shape):
        raise ValueError(f"{len(data) - start} bytes of data for shape {shape}")
    return torch.from_numpy(np.frombuffer(data, np.uint8, offset=start).reshape(shape).copy())


def _read(path: Path, ndim: int) -> torch.Tensor:
    try:
        return read_idx(path.read_bytes(), ndim)
    except (OSError, ValueError) as e:
        detail = " ".join(str(e).split()) or type(e).__name__
        raise DataError(
            f"{path} is not a valid MNIST IDX file ({detail[:200]}). "
            "Delete it so it is downloaded again, or replace it with the original file."
        ) from e


def _missing_message(folder: Path, *names: str) -> str:
    missing = [name for name in names if not (folder / name).is_file()]
    return (
        f"MNIST file(s) {', '.join(missing)} not found in {folder}. "
        "Allow the download, or point --data-dir at a folder containing MNIST/raw/."
    )


def batches(
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int,
    generator: torch.Generator | None = None,
    shuffle: bool = True,
):
    """Yield (x, y) with x (B, 1, 28, 28) float in [0, 1] and y (B,), over one epoch.

    Slices the in-memory uint8 tensor; the float conversion happens per batch on its device.
    """
    n = len(images)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    order = order.to(images.device)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        x = images[idx].unsqueeze(1).float().div_(255)  # (B, 1, 28, 28)
        yield x, labels[idx]
