"""Stray marks: ink near the digits that belongs to none of them (ticks, dashes, dots, lines).

    blobs, lines = split_off_lines(blobs)    # underlines: never part of a digit
    spare = minor_pieces(group, typical)     # pieces a digit's reading may do without
    small = is_small(box, typical)           # too small to be a digit of this drawing on its own

Geometry only: whether a small mark is a stray or the stroke that completes a digit (the bar
of a 4, the top of a 5) is for the classifier to say (segmentation.py).
"""

from __future__ import annotations

from ..drawing.blobs import Blob

# A line is flat and longer than a digit is tall: no digit, and no stroke of one, is both
# (a 7's bar or a 5's flag is about a digit wide; the widest digits are 1.2x their height).
LINE_FLAT = 0.25  # height / width at most
LINE_LONG = 1.3  # width / typical digit height at least
# A shorter flat line is an underline too when two or more pieces stand wholly over it (each
# ends above the line's middle): under a two-digit number a line is often narrower than a digit
# is tall. A digit's own flat strokes fail that test (a 4's stem reaches below its bar).
UNDERLINE_SHORT = 0.6  # width / typical digit height at least
# Pieces and digits shorter than this share of the drawing's typical digit height are small:
# the digits of one number differ by +-15% in height, a stray tick is a third.
SMALL = 0.5
# A piece with more of its group's ink than this is a stroke of the digit, however small its
# box: a 7's bar or a 5's top holds 15-30% of the digit's ink, a stray tick or dot 4-12%.
SPARE = 0.15


def split_off_lines(blobs: list[Blob]) -> tuple[list[Blob], list[Blob]]:
    """The pieces that may be digits or parts of digits, and the underlines among them: flat
    lines under two or more other pieces, long ones (a 7's long bar, or a 5's top, lies over the
    rest of its digit, not under other pieces), or shorter ones with the pieces wholly over them."""
    tall = [b.height for b in blobs if b.height >= 0.5 * max(b.height for b in blobs)]
    typical = sorted(tall)[len(tall) // 2] if tall else 0
    lines = [b for b in blobs if _is_underline(b, [o for o in blobs if o is not b], typical)]
    return [b for b in blobs if b not in lines], lines


def _is_underline(line: Blob, others: list[Blob], typical: float) -> bool:
    if line.height > LINE_FLAT * line.width:
        return False
    if line.width >= LINE_LONG * typical:
        return sum(_above(other, line) for other in others) >= 2
    wholly = [o for o in others if _above(o, line) and 2 * o.bottom < line.top + line.bottom]
    return line.width >= UNDERLINE_SHORT * typical and len(wholly) >= 2


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
