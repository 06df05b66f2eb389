"""Connected pieces of ink ("blobs"), and how they group into digits.

    blobs, labels = find_blobs(ink)       # largest first; labels index an overview label map
    blobs = drop_specks(blobs)            # stray specks next to real strokes go
    groups = group_into_digits(blobs)     # pieces of one digit together, left to right
    crop = crop_group(ink, labels, group) # one digit's ink alone, other digits masked out

Connected components come from scipy.ndimage.label on a 4x-reduced overview of the ink.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

OVERVIEW = 4  # components are found on a 4x-reduced copy of the ink (fast on big canvases)


@dataclass(frozen=True)
class Blob:
    """One connected piece of ink: its box in the full image (top, left, bottom, right), its
    area in overview pixels and its label in the overview label map."""

    top: int
    left: int
    bottom: int
    right: int
    area: int
    label: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def long_side(self) -> int:
        return max(self.height, self.width)


def find_blobs(ink: Image.Image) -> tuple[list[Blob], np.ndarray]:
    """Connected pieces of ink, largest first, and the overview label map they index.

    Labelling runs on a 4x-reduced overview in which any ink in a cell marks the cell (so
    hairlines survive, and a stroke broken by a pixel or two stays whole); boxes are then
    refined on the full-size ink.
    """
    w, h = ink.size
    overview = np.asarray(ink.reduce(OVERVIEW)) > 0  # ceil(h/4) x ceil(w/4) cells
    step = OVERVIEW
    labels, n = ndimage.label(overview, structure=np.ones((3, 3), bool))  # 8-connected
    if n == 0:
        return [], labels
    areas = np.bincount(labels.ravel(), minlength=n + 1)
    blobs = []
    for label, cells in enumerate(ndimage.find_objects(labels), start=1):
        rows, cols = cells
        coarse = (cols.start * step, rows.start * step, min(cols.stop * step, w), min(rows.stop * step, h))
        exact = ink.crop(coarse).getbbox()  # the ink pixels inside those cells
        if exact is None:
            continue
        left, top, right, bottom = exact
        blobs.append(
            Blob(
                coarse[1] + top,
                coarse[0] + left,
                coarse[1] + bottom,
                coarse[0] + right,
                int(areas[label]),
                label,
            )
        )
    blobs.sort(key=lambda b: b.area, reverse=True)
    return blobs, labels


def drop_specks(blobs: list[Blob]) -> list[Blob]:
    """Remove stray specks: pieces tiny in both area and extent next to the main stroke.

    A 4's second stroke, a 5's flag or a 7's bar are far longer than a speck and stay.
    """
    if not blobs:
        return []
    main = blobs[0]
    return [
        b for b in blobs if b is main or b.area >= 0.06 * main.area or b.long_side >= 0.25 * main.long_side
    ]


def is_stray_dot(blobs: list[Blob], ink: Image.Image) -> bool:
    """True when all the ink is one small, round, solid dab: a tap or a slip, not a digit.

    Solid is what tells it from a small digit: a dab fills most of its box (a disc fills 79%),
    a digit drawn with a pen, however small, leaves most of its box empty.
    """
    if len(blobs) != 1:
        return False
    b = blobs[0]
    if b.long_side < 3:
        return True
    small = b.long_side < 0.15 * min(ink.size)
    round_ish = min(b.height, b.width) > 0.6 * b.long_side
    if not (small and round_ish):
        return False
    box = ink.crop((b.left, b.top, b.right, b.bottom))
    filled = np.count_nonzero(np.asarray(box) >= 128) / (b.width * b.height)
    return filled > 0.6


def group_into_digits(blobs: list[Blob]) -> list[list[Blob]]:
    """Pieces that belong to one digit, grouped, in reading order (left to right).

    Two pieces are one digit when they share most of their horizontal extent (a 5's detached
    flag above its body, a 1's serif, a 4 drawn in two strokes), or share some of it while one
    is much shorter than the other. Digits written side by side overlap little, if at all.
    """
    parent = list(range(len(blobs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(blobs):
        for j in range(i + 1, len(blobs)):
            b = blobs[j]
            overlap = min(a.right, b.right) - max(a.left, b.left)
            share = overlap / max(1, min(a.width, b.width))
            short = min(a.height, b.height) < 0.6 * max(a.height, b.height)
            if share >= 0.8 or (share >= 0.4 and short):
                parent[root(j)] = root(i)
    groups: dict[int, list[Blob]] = {}
    for i, blob in enumerate(blobs):
        groups.setdefault(root(i), []).append(blob)
    return sorted(groups.values(), key=lambda g: _box(g)[0] + _box(g)[2])


def crop_group(ink: Image.Image, labels: np.ndarray, group: list[Blob]) -> tuple[Image.Image, tuple]:
    """The ink of one group's pieces, cropped to their box, anything else in the box erased.

    Returns the crop and its box (left, top, right, bottom) in the image.
    """
    box = _box(group)
    crop = ink.crop(box)
    left, top, right, bottom = box
    cells = labels[top // OVERVIEW : -(-bottom // OVERVIEW), left // OVERVIEW : -(-right // OVERVIEW)]
    keep = np.isin(cells, [b.label for b in group])
    if keep.all():
        return crop, box
    # back to full resolution: each overview cell covers OVERVIEW x OVERVIEW pixels
    mask = keep.repeat(OVERVIEW, 0).repeat(OVERVIEW, 1)
    y0, x0 = top - (top // OVERVIEW) * OVERVIEW, left - (left // OVERVIEW) * OVERVIEW
    mask = mask[y0 : y0 + bottom - top, x0 : x0 + right - left]
    pixels = np.asarray(crop) * mask
    return Image.fromarray(pixels.astype(np.uint8)), box


def _box(group: list[Blob]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) around all the pieces of a group."""
    return (
        min(b.left for b in group),
        min(b.top for b in group),
        max(b.right for b in group),
        max(b.bottom for b in group),
    )
