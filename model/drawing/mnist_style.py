"""The MNIST look: one digit's ink -> a 28x28 image made the way MNIST's digits were made.

    image = normalize_digit(crop)    # (28, 28) float32 in [0, 1], or None

As in LeCun et al.: the digit's box is scaled so its longer side is 20 px, keeping the aspect
ratio, with antialiasing (area averaging of a binary image, as NIST's binary digits were), then
placed in a 28x28 field with its centre of mass at the centre. One step more: the stroke width
is set to MNIST's typical width, so a digit drawn small or huge, with a thin or a thick brush,
gives nearly the same image.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

BOX = 20  # MNIST: the digit's longer side, in pixels
FIELD = 28  # MNIST: the image side
CENTRE = 14.0  # MNIST's centre of mass, in pixel indices (measured: 14.00 +- 0.29 on the train set)
# Stroke width of the output in pixels at 28x28: the median of MNIST's training digits, measured
# with `stroke_width` on 3,000 of them enlarged 4x and thresholded at half ink (2.75 px).
STROKE = 2.75
SUPERSAMPLE = 4  # thickness is adjusted at 4x the output resolution, then box-averaged down
_TAXICAB = ndimage.generate_binary_structure(2, 1)  # city-block steps, made once, not per call


def normalize_digit(crop: Image.Image, reference: float | None = None) -> np.ndarray | None:
    """Ink ("L" image) cropped to one digit -> (28, 28) float32 MNIST-style, or None if empty.

    `reference`, when given, is a length in crop pixels that the 20 px box must at least span:
    a small mark next to big digits is then scaled like them rather than blown up.
    """
    w, h = crop.size
    long_side = max(h, w, reference or 0)
    # 1. a binary mask at 4x the output scale
    scale = BOX * SUPERSAMPLE / long_side
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if scale < 1:  # shrinking: any ink in a cell counts, so hairlines survive
        big = np.asarray(crop.resize(size, Image.Resampling.BOX)) > 0
    else:  # enlarging a small image: its half-ink contour is the stroke's edge
        big = np.asarray(crop.resize(size, Image.Resampling.BILINEAR)) >= 128
    if not big.any():
        return None
    # 2. set the stroke width to MNIST's (grow or shrink by distance from the edge)
    big = _padded(big, int(STROKE * SUPERSAMPLE / 2) + 2)  # room to grow a hairline to full width
    big = _set_stroke_width(big, STROKE * SUPERSAMPLE)
    rows, cols = np.flatnonzero(big.any(axis=1)), np.flatnonzero(big.any(axis=0))
    if rows.size == 0:
        return None
    big = big[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    # 3. the longer side to 20 px (or the reference's share of it), antialiased by area averaging
    bh, bw = big.shape
    fit = BOX / max(bh, bw, (reference or 0) * scale)
    size = (max(1, round(bw * fit)), max(1, round(bh * fit)))
    digit = np.asarray(Image.fromarray(big.astype(np.float32)).resize(size, Image.Resampling.BOX))
    # 4. into the 28x28 field, centre of mass at the centre
    return _place_by_mass(digit)


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary drawing, in pixels: 2 * area / boundary length.

    A stroke of width W and length L has area W*L and about 2*L boundary pixels (ink pixels
    with a background pixel above, below, left or right), so this is W, a little less for
    short strokes. Cheap: a few array shifts, no distance transform.
    """
    padded = _padded(mask, 1)
    interior = (
        padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    )
    boundary = np.count_nonzero(mask & ~interior)
    return 2 * np.count_nonzero(mask) / max(boundary, 1)


def _set_stroke_width(mask: np.ndarray, target: float) -> np.ndarray:
    """Grow or shrink a binary digit so its mean stroke width is about `target` pixels.

    The centre line's length, area / width, does not change when a stroke gets thicker or
    thinner, so the wanted area is target * length: growing adds the background pixels nearest
    to the ink until that area is reached, shrinking removes the ink pixels nearest to the
    background. City-block distances (one transform, 4x cheaper than Euclidean); at 4x the output
    resolution the slightly diamond-shaped growth they give is averaged away.
    """
    area = int(np.count_nonzero(mask))
    width = stroke_width(mask)
    if abs(target - width) < 1:
        return mask
    wanted = target * area / width
    if wanted > area:
        outside = ndimage.distance_transform_cdt(~mask, metric=_TAXICAB)
        candidates = outside[~mask]
        k = min(int(wanted - area), candidates.size - 1)
        return mask | (outside <= np.partition(candidates, k)[k])
    inside = ndimage.distance_transform_cdt(mask, metric=_TAXICAB)
    k = int(min(area - wanted, 0.75 * area))  # never thin a digit away
    return inside > np.partition(inside[mask], k)[k]


def _padded(mask: np.ndarray, width: int) -> np.ndarray:
    """`mask` with `width` zeros all round: np.pad's result, without its per-call overhead
    (it ran twice for each of the dozens of candidates a frame normalises)."""
    out = np.zeros((mask.shape[0] + 2 * width, mask.shape[1] + 2 * width), mask.dtype)
    out[width : width + mask.shape[0], width : width + mask.shape[1]] = mask
    return out


def _place_by_mass(digit: np.ndarray) -> np.ndarray:
    total = float(digit.sum())
    ys, xs = np.arange(digit.shape[0]), np.arange(digit.shape[1])
    cy = float(digit.sum(axis=1) @ ys) / total
    cx = float(digit.sum(axis=0) @ xs) / total
    top, left = round(CENTRE - cy), round(CENTRE - cx)
    field = np.zeros((FIELD, FIELD), np.float32)
    # paste with clipping: a lopsided digit may poke out of the field by a pixel or two
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + digit.shape[0], FIELD), min(left + digit.shape[1], FIELD)
    field[y0:y1, x0:x1] = digit[y0 - top : y1 - top, x0 - left : x1 - left]
    return np.clip(field, 0, 1, out=field)
