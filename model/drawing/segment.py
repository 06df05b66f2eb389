"""Several digits in one drawing (a year, an age, a phone number) -> one 28x28 input per digit.

    from model import segment_digits
    for crop in segment_digits(image):          # left to right
        crop.image, crop.box                    # (28, 28) MNIST-style, (left, top, right, bottom)

The ink is split into connected pieces (scipy.ndimage.label), specks are dropped, pieces of one
digit are merged (blobs.py), and every digit gets the single-digit normalisation on its
own (mnist_style.py). A drawing of one digit gives exactly what `preprocess` gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .blobs import crop_group, digit_pieces, group_into_digits, typical_height
from .ink import in_drawing_pixels
from .mnist_style import normalize_digit

# A piece shorter than this share of the drawing's typical digit height is scaled as if it were
# that tall, so a small mark next to big digits stays small instead of becoming a fake digit.
SMALL_MARK = 0.6


@dataclass(frozen=True)
class DigitCrop:
    """One digit found in a drawing."""

    image: np.ndarray  # (28, 28) float32 in [0, 1], white ink on black, MNIST-style
    box: tuple[int, int, int, int]  # (left, top, right, bottom) in the drawing's pixels


def segment_digits(image: Image.Image | np.ndarray) -> list[DigitCrop]:
    """The digits of a drawing, left to right, each ready for the classifier; [] for none.

    Raises `model.ImageError` for input that is not a readable image.
    """
    ink, labels, blobs = digit_pieces(image)
    if not blobs:
        return []
    groups = group_into_digits(blobs)
    typical = typical_height(groups) if len(groups) > 1 else None
    crops = []
    for group in groups:
        crop, box = crop_group(ink, labels, group)
        digit = normalize_digit(crop, reference=SMALL_MARK * typical if typical else None)
        if digit is not None:
            crops.append(DigitCrop(digit, in_drawing_pixels(box, image)))
    return crops
