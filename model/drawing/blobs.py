"""Connected pieces of ink ("blobs"), and how they group into digits.

    ink, labels, blobs = digit_pieces(image)  # find_blobs + drop_specks + is_stray_dot on the ink
    groups = group_into_digits(blobs)         # pieces of one digit together, left to right
    crop, box = crop_group(ink, labels, group)  # one digit's ink alone, other digits masked out

Connected components come from scipy.ndimage.label, on the ink at working size (ink.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from .image_io import ImageError
from .ink import find_ink

# Ink at least this strong (of 255, after contrast stretching) connects pieces: fainter pixels are
# antialiased fringes, or the blur between two strokes that nearly touch once the image is shrunk
# (measured: 128 instead of 64 took 4-digit numbers read exactly from 90% to 92%).
CONNECT_LEVEL = 128
# A drawing with more pieces of ink than this (after specks are dropped) is not digits: a number
# of a dozen digits has a few dozen. Refusing it bounds everything after, which compares pieces
# pairwise (a dotted grid of 1,764 dots took 14 s of grouping; issue 24, H1).
MAX_PIECES = 300
_EIGHT_WAY = np.ones((3, 3), bool)  # diagonal steps join pieces


@dataclass(frozen=True)
class Blob:
    """One connected piece of ink: its box (left, top, right, bottom, as everywhere in this
    project and in Pillow), its area in pixels and its label in the label map."""

    left: int
    top: int
    right: int
    bottom: int
    area: int
    label: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.left, self.top, self.right, self.bottom)

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def long_side(self) -> int:
        return max(self.height, self.width)


def digit_pieces(image: Image.Image | np.ndarray) -> tuple[Image.Image, np.ndarray, list[Blob]]:
    """The ink of a drawing (ink.py), its label map, and the pieces worth reading: specks
    dropped, and none at all for a blank image or a lone stray dot. Raises ImageError for a
    drawing of more than MAX_PIECES pieces (a pattern, a page of text: not digits)."""
    ink = find_ink(image)
    blobs, labels = find_blobs(ink)
    blobs = drop_specks(blobs)
    if len(blobs) > MAX_PIECES:
        raise ImageError(
            f"it has too many separate marks ({len(blobs):,}) to be digits; the limit is {MAX_PIECES}"
        )
    if not blobs or is_stray_dot(blobs, ink):
        return ink, labels, []
    return ink, labels, blobs


def find_blobs(ink: Image.Image) -> tuple[list[Blob], np.ndarray]:
    """Connected pieces of ink, largest first, and the label map they index.

    Pixels count as ink for connectivity from `CONNECT_LEVEL` up, so the faint antialiased fringes
    of two strokes that nearly touch do not join them. 8-connected: diagonal steps join.
    """
    labels = np.zeros((ink.height, ink.width), np.int32)
    # Labelled within the ink's box only (a pad's digit fills a tenth of its canvas; labelling the
    # whole canvas was half of this function's time). Labels number pieces in raster order, which
    # a crop keeps, so the map is the one the whole image would give.
    box = ink.getbbox()
    if box is None:
        return [], labels
    left, top, right, bottom = box
    inside, n = ndimage.label(np.asarray(ink.crop(box)) >= CONNECT_LEVEL, structure=_EIGHT_WAY)
    if n == 0:
        return [], labels
    labels[top:bottom, left:right] = inside
    areas = np.bincount(inside.ravel(), minlength=n + 1)
    blobs = [
        Blob(cols.start + left, rows.start + top, cols.stop + left, rows.stop + top, int(areas[label]), label)
        for label, (rows, cols) in enumerate(ndimage.find_objects(inside), start=1)
    ]
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
    box = ink.crop(b.box)
    filled = np.count_nonzero(np.asarray(box) >= 128) / (b.width * b.height)
    return filled > 0.6


def group_into_digits(blobs: list[Blob]) -> list[list[Blob]]:
    """Pieces that belong to one digit, grouped, in reading order (left to right).

    1. Two pieces are one digit when they share most of their horizontal extent (a 1's serif, a
       4 drawn in two strokes), or some of it while one is much shorter than the other.
    2. A fragment left on its own (under half the height of the drawing's typical digit: a 5's
       detached flag, a 7's bar) joins its nearest neighbour when the two (nearly) touch.
    3. Two neighbours that nearly touch, start or end at clearly different heights, and together
       are no wider than one digit are the strokes of one (a 4 drawn as an L and a bar that
       misses it).
    Digits written side by side overlap little, and both are full height.
    """
    parent = list(range(len(blobs)))
    # Pieces are found by position, never by equality (list.index compared dataclasses field by
    # field: 63.7 million __eq__ calls for a dotted grid, issue 24).
    at = {id(b): i for i, b in enumerate(blobs)}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def group_of(g: list[Blob]) -> int:
        return root(at[id(g[0])])

    def join(a: list[Blob], b: list[Blob]) -> None:
        parent[group_of(b)] = group_of(a)

    def groups() -> list[list[Blob]]:
        found: dict[int, list[Blob]] = {}
        for i, blob in enumerate(blobs):
            found.setdefault(root(i), []).append(blob)
        return sorted(found.values(), key=lambda g: _box(g)[0])

    # 1. pieces sharing their horizontal extent: swept left to right, so only pieces whose
    # extents overlap at all are compared
    by_left = sorted(blobs, key=lambda b: b.left)
    for i, a in enumerate(by_left):
        for b in _starting_before(by_left, i + 1, a.right):
            share = _overlap(a.box, b.box) / max(1, min(a.width, b.width))
            short = min(a.height, b.height) < 0.6 * max(a.height, b.height)
            if share >= 0.8 or (share >= 0.4 and short):
                join([a], [b])
    pieces = groups()
    if len(pieces) == 1:
        return pieces
    typical = typical_height(pieces)
    boxes = [_box(g) for g in pieces]
    # 2. fragments join their nearest neighbour
    for g, box in zip(pieces, boxes):
        if box[3] - box[1] >= 0.5 * typical:
            continue
        others = [(o, b) for o, b in zip(pieces, boxes) if group_of(o) != group_of(g)]
        if not others:
            continue
        nearest, near_box = max(others, key=lambda ob: _overlap(box, ob[1]))
        if _overlap(box, near_box) > -0.15 * typical:  # overlapping, or a small gap apart
            join(nearest, g)
    # 3. staggered strokes that together are no wider than a digit
    for g, o in itertools.pairwise(groups()):
        (gl, gt, _, gb), (_, ot, orr, ob) = _box(g), _box(o)
        staggered = max(abs(gt - ot), abs(gb - ob)) > 0.3 * typical  # not side by side on a line
        touching = _overlap(_box(g), _box(o)) > -0.03 * typical
        if touching and staggered and orr - gl <= 0.8 * typical:
            join(g, o)
    return sorted(groups(), key=lambda g: _box(g)[0] + _box(g)[2])


def _starting_before(by_left: list[Blob], start: int, right: int) -> Iterator[Blob]:
    """The pieces of `by_left` (sorted by their left edge) from index `start` that begin left of `right`."""
    for i in range(start, len(by_left)):
        if by_left[i].left >= right:
            return
        yield by_left[i]


def group_height(group: list[Blob]) -> int:
    _, top, _, bottom = _box(group)
    return bottom - top


def typical_height(groups: list[list[Blob]]) -> int:
    """The median height of the digits of a drawing."""
    heights = sorted(group_height(g) for g in groups)
    return heights[len(heights) // 2]


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    """Shared horizontal extent of two boxes in pixels (negative: the gap between them)."""
    return min(a[2], b[2]) - max(a[0], b[0])


def crop_group(ink: Image.Image, labels: np.ndarray, group: list[Blob]) -> tuple[Image.Image, tuple]:
    """The ink of one group's pieces, cropped to their box, anything else in the box erased.

    Returns the crop and its box (left, top, right, bottom) in the image.
    """
    box = _box(group)
    crop = ink.crop(box)
    left, top, right, bottom = box
    region = labels[top:bottom, left:right]
    own = region == group[0].label
    for b in group[1:]:
        own |= region == b.label
    if np.count_nonzero(region) == np.count_nonzero(own):  # nothing else in the box
        return crop, box
    # keep this group's strokes and their faint fringes (2 px around them); a neighbour's
    # stroke, or the fringe of one, reaching into the box goes
    keep = ndimage.binary_dilation(own, iterations=2)
    pixels = np.asarray(crop) * keep
    return Image.fromarray(pixels.astype(np.uint8)), box


def _box(group: list[Blob]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) around all the pieces of a group."""
    return (
        min(b.left for b in group),
        min(b.top for b in group),
        max(b.right for b in group),
        max(b.bottom for b in group),
    )
