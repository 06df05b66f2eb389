"""Any drawing or photo -> the 28x28 tensor an MNIST model expects (numpy/PIL, no gradio).

    from model import preprocess
    x = preprocess(image)    # (1, 28, 28) float32 in [0, 1], white ink on black; None if no digit

The steps: find the ink whatever the image's kind and polarity (ink.py), drop stray
specks (blobs.py), crop to the digit and give it MNIST's size, stroke width and centring
(mnist_style.py). A blank image, or one holding only a dot, gives None.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from .blobs import Blob, crop_group, digit_pieces
from .image_io import ImageError
from .mnist_style import normalize_digit

__all__ = ["ImageError", "preprocess", "preprocess_pieces"]


def preprocess(image: Image.Image | np.ndarray) -> torch.Tensor | None:
    """(1, 28, 28) float32 in [0, 1], white ink on black, or None when there is no digit.

    Accepts a PIL image (any mode) or a numpy array (H, W) / (H, W, 1-4), uint8, uint16, bool or
    float; raises `ImageError` (a ValueError) for anything else.
    """
    return preprocess_pieces(digit_pieces(image))


def preprocess_pieces(pieces: tuple[Image.Image, np.ndarray, list[Blob]]) -> torch.Tensor | None:
    """preprocess, from the drawing's `digit_pieces` when the caller has them already."""
    ink, labels, blobs = pieces
    if not blobs:
        return None
    crop, _ = crop_group(ink, labels, blobs)  # all the pieces are one digit
    digit = normalize_digit(crop)
    return None if digit is None else torch.from_numpy(digit)[None]
