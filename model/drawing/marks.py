"""Stray marks: ink near the digits that belongs to none of them (ticks, dashes, dots, lines).

    blobs, lines = split_off_lines(blobs)    # underlines: never part of a digit
    spare = minor_pieces(group, typical)     # pieces a digit's reading may do without
    small = is_small(box, typical)           # too small to be a digit of this drawing on its own

Geometry only: whether a small mark is a stray or the stroke that completes a digit (the bar
of a 4, the top of a 5) is for the classifier to say (model/segmentation.py).
"""

from __future__ import annotations

from .blobs import Blob

# A line is flat and longer than a digit is tall: no digit, and no stroke of one, is both
# (a 7's bar or a 5's flag is about a digit wide; the widest digits are 1.2x their height at the
# 95th percentile, measured on 1,500 MNIST training digits drawn as the benchmark draws them).
LINE_FLAT = 0.25  # height / width at most
LINE_LONG = 1.3  # width / typical digit height at least
# Pieces and digits shorter than this share of the drawing's typical digit height are small:
# the digits of one number differ by +-15% in height in the benchmark, a stray tick is a third.
SMALL = 0.5
# A piece with more of its group's ink than this is a stroke of the digit, however small its
# box: a 7's bar or a 5's top holds 15-30% of the digit's ink, a stray tick or dot 4-12%.
# (Measured on numbers from training digits: with no such limit, one single digit in 600 lost a
# piece it needed; with it, none, and 0.6% fewer numbers with stray marks were read right.)
SPARE = 0.15


def split_off_lines(blobs: list[Blob]) -> tuple[list[Blob], list[Blob]]:
    """The pieces that may be digits or parts of digits, and the underlines among them: long
    flat lines under two or more other pieces (a 7's long bar, or a 5's top, lies over the rest
    of its digit, not under other pieces)."""
    tall = [b.height for b in blobs if b.height >= 0.5 * max(b.height for b in blobs)]
    typical = sorted(tall)[len(tall) // 2] if tall else 0
    lines = [
        b
        for b in blobs
        if b.height <= LINE_FLAT * b.width
        and b.width >= LINE_LONG * typical
        and sum(_above(other, b) for other in blobs if other is not b) >= 2
    ]
    return [b for b in blobs if b not in lines], lines


def _above(piece: Blob, line: Blob) -> bool:
    """True when `piece` stands over `line`: mostly within its span, and higher up."""
    shared = min(piece.right, line.right) - max(piece.left, line.left)
    return shared > 0.5 * piece.width and piece.top + piece.bottom < line.top + line.bottom


def minor_pieces(group: list[Blob], typical: float) -> list[Blob]:
    """The pieces of a digit's group small enough to be stray marks rather than strokes of it
    (small boxes with little of the group's ink), smallest first; none for a group of one piece."""
    if len(group) < 2:
        return []
    main = max(group, key=lambda b: b.area)
    ink = sum(b.area for b in group)
    spare = [b for b in group if b is not main and is_small(b.box, typical) and b.area < SPARE * ink]
    return sorted(spare, key=lambda b: b.area)


def is_small(box: tuple[int, int, int, int], typical: float) -> bool:
    """True when a box (left, top, right, bottom) is short and narrow next to the digits."""
    left, top, right, bottom = box
    return bottom - top < SMALL * typical and right - left < 0.8 * typical
