"""Where one piece of ink might be cut into digits: candidate cut paths, from top to bottom.

    paths = cut_paths(mask, min_width)          # left to right; each (H,) int: the cut's column, row by row
    pixels, box = cut_out(ink, paths[0], paths[1])  # the ink between two cuts, cropped to itself
    families = cut_families(mask, min_width)    # upright paths, then paths along each slant

Heuristic over-segmentation (LeCun, Bottou, Bengio and Haffner 1998): propose more cuts than
there are digits and let the classifier choose among them. Cuts start where the upper contour
dips or the lower contour rises between two digits, and at valleys of the vertical ink profile
(few ink pixels in a column; these also lie inside loops, so they come second). From each
start comes a straight cut and drop-fall paths (Congedo, Dimauro, Impedovo and Pirlo 1995): a
drop let fall from above (or below) the ink rolls around the strokes, leaning left or right,
and cuts through a stroke only where it is stuck. Seams add the paths that cross the least ink
of all (seam carving's dynamic programme). All are ranked by the ink they cross, and the
MOST_PATHS that cross the least, apart from each other, are kept.

A path `p` splits each row `y` at column `p[y]`: pixels left of it on one side, the rest on the
other. Paths come out ordered and never crossing (p[y] <= q[y] for a path p left of q).

Handwriting leans, and so does the gap between two leaning digits that touch: a 1 leaning into
a 0, a 7's stem against a 4. An upright cut goes through both, whatever path it takes. So the
paths are also sought along a few slants (SHEARS): the ink is sheared until that slant stands
upright, cut there, and the paths sheared back. Each slant gives its own family of paths, ordered
and never crossing within it; paths of two families may cross, so they are never mixed.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import ndimage

from ..drawing.blobs import CONNECT_LEVEL

# More candidates give the classifier more to choose from, and cost a normalisation (about
# 0.3 ms) per segment: these counts are where more stopped paying (docs/experiments.md).
STARTS = 6
PROFILE_STARTS = 2  # of which from the ink profile's valleys
MOST_PATHS = 8
SEAMS = 3
DROPS = ((True, True), (True, False), (False, True), (False, False))  # (downward, lean left)
STUB = 0.1  # a piece under this share of a cut segment's ink is what the cut left of a neighbour
SIDESTEP = 0.2  # a seam's cost for each column it moves sideways, against one pixel of ink crossed
# Slants to cut along besides upright, in columns per row (0.3: 17 degrees): four slants read
# a few more touching pairs for about 60% more candidates (about 1 ms each), so two it is.
SHEARS = (-0.3, 0.3)


def cut_families(
    mask: np.ndarray, min_width: int, shears: tuple[float, ...] = SHEARS
) -> list[list[np.ndarray]]:
    """Cut paths (as `cut_paths`) upright and along each slant of `shears` (columns to the right
    per row down); the families that found any, upright first."""
    families = [cut_paths(mask, min_width)]
    families += [_slanted_paths(mask, min_width, shear) for shear in shears]
    return [paths for paths in families if paths]


def _slanted_paths(mask: np.ndarray, min_width: int, shear: float) -> list[np.ndarray]:
    """Cut paths along a slant: each row is moved left by its share of the slant, so lines of
    that slant stand upright; the upright paths found there are moved back row by row."""
    h, w = mask.shape
    offset = np.round((np.arange(h) - h / 2) * shear).astype(int)
    offset -= offset.min()  # row y moves left by (span - offset[y]), so slanted lines align
    span = int(offset.max())
    shift = span - offset
    straight = np.zeros((h, w + span), bool)
    rows, cols = np.nonzero(mask)
    straight[rows, cols + shift[rows]] = True
    return [np.clip(path - shift, 0, w) for path in cut_paths(straight, min_width)]


def cut_paths(mask: np.ndarray, min_width: int) -> list[np.ndarray]:
    """Up to MOST_PATHS cut paths through a piece of ink (bool (H, W)), ordered left to right,
    each leaving at least `min_width` columns of the piece on either side; [] if too narrow."""
    h, w = mask.shape
    if w < 2 * min_width + 1 or not mask.any():
        return []
    found = seams(mask, min_width, SEAMS)
    ground = _Ground(mask)
    for x in _starts(mask, min_width):
        found.append(np.full(h, x))
        for downward, lean_left in DROPS:
            found.append(ground.drop(x, downward, lean_left))
    stacked = np.stack(found)  # (paths, H): each path's cost and centre in one go
    order = np.argsort(crossed_rows(mask, stacked), kind="stable")  # the paths that cut the least ink first
    centres = stacked.mean(axis=1).tolist()
    chosen: list[np.ndarray] = []
    kept: list[float] = []
    for k in order.tolist():
        centre = centres[k]
        if min_width <= centre <= w - min_width and all(abs(centre - c) >= min_width / 2 for c in kept):
            chosen.append(found[k])
            kept.append(centre)
        if len(chosen) == MOST_PATHS:
            break
    chosen = [path for _, path in sorted(zip(kept, chosen), key=lambda pair: pair[0])]
    for left, right in itertools.pairwise(chosen):  # never crossing: a right path yields to the left
        np.maximum(right, left, out=right)
    return chosen


def between(image: np.ndarray, left: np.ndarray | None, right: np.ndarray | None) -> np.ndarray:
    """`image` (a mask or ink levels) with everything outside paths `left` and `right` (None:
    the image's edge) set to zero."""
    cols = np.arange(image.shape[1])
    keep = np.ones(image.shape, bool)
    if left is not None:
        keep &= cols[None, :] >= left[:, None]
    if right is not None:
        keep &= cols[None, :] < right[:, None]
    return np.where(keep, image, 0).astype(image.dtype)


def cut_out(
    ink: np.ndarray, left: np.ndarray | None, right: np.ndarray | None
) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """The ink (levels 0-255) between two paths (None: the edge), without the bits of a
    neighbour's stroke the cut left behind, cropped to what is left: the pixels and their box
    (left, top, right, bottom) in `ink`; None when no ink is left."""
    x0 = 0 if left is None else int(left.min())  # only the columns the two paths span
    x1 = ink.shape[1] if right is None else int(right.max())
    if x1 <= x0:
        return None
    left, right = (None if path is None else path - x0 for path in (left, right))
    pixels = between(ink[:, x0:x1], left, right)
    labels, n = ndimage.label(pixels >= CONNECT_LEVEL, structure=np.ones((3, 3), bool))
    if n == 0:
        return None
    if n > 1:
        areas = np.bincount(labels.ravel())[1:]
        stubs = np.flatnonzero(areas < STUB * areas.sum()) + 1
        if stubs.size < n:
            is_stub = np.zeros(n + 1, bool)  # a lookup by label: np.isin's sort, without it
            is_stub[stubs] = True
            gone = is_stub[labels]
            pixels, labels = np.where(gone, 0, pixels).astype(pixels.dtype), np.where(gone, 0, labels)
    rows, cols = np.flatnonzero(labels.any(axis=1)), np.flatnonzero(labels.any(axis=0))
    top, bottom, left_, right_ = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return np.ascontiguousarray(pixels[top:bottom, left_:right_]), (x0 + left_, top, x0 + right_, bottom)


def crossed(mask: np.ndarray, path: np.ndarray) -> int:
    """How many rows the path cuts through ink (ink on both sides of it in that row)."""
    return int(crossed_rows(mask, path[None])[0])


def crossed_rows(mask: np.ndarray, paths: np.ndarray) -> np.ndarray:
    """`crossed` for each of `paths` ((P, H) columns), in one pass: (P,) counts."""
    rows = np.arange(mask.shape[0])
    inside = (paths > 0) & (paths < mask.shape[1])
    x = np.clip(paths, 1, mask.shape[1] - 1)
    return np.count_nonzero(inside & mask[rows, x - 1] & mask[rows, x], axis=1)


def drop_fall(mask: np.ndarray, x: int, downward: bool = True, lean_left: bool = True) -> np.ndarray:
    """The path of a drop let fall at column `x` from above the ink (or from below it, rising)
    that rolls off the strokes, leaning left (or right), and cuts through where it is stuck."""
    return _Ground(mask).drop(x, downward, lean_left)


class _Ground:
    """A mask as bytes in each of the four ways a drop may fall (down or up, leaning left or
    right), made once for every drop of a cut_paths call: a drop walks it one pixel at a time,
    and a Python bytes index costs a tenth of a numpy one (issue 27)."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask
        self._ways: dict[tuple[bool, bool], tuple[bytes, bytes]] = {}

    def drop(self, x: int, downward: bool, lean_left: bool) -> np.ndarray:
        """drop_fall's path on this mask."""
        h, w = self.mask.shape
        if (downward, lean_left) not in self._ways:
            m = self.mask if downward else self.mask[::-1]
            m = (m if lean_left else m[:, ::-1]).astype(bool).astype(np.uint8)  # ink is 1, for find
            self._ways[downward, lean_left] = m.tobytes(), m.T.tobytes()  # rows, then columns
        rows, cols = self._ways[downward, lean_left]
        path = _fall(rows, cols, h, w, x if lean_left else w - 1 - x)
        if not lean_left:
            path = w - path  # the mirrored column x lies right of the cut at w - x
        return path if downward else path[::-1]


def _fall(rows: bytes, cols: bytes, h: int, w: int, x: int) -> np.ndarray:
    """A drop falling from row 0 at column `x` of an (h, w) mask given as its bytes row by row
    (`rows`) and column by column (`cols`), leaning left: its column in each row."""
    path = [x] * h
    y, budget, came_from = 0, w // 4, 0  # sideways steps allowed in one row before cutting through
    while y < h - 1:
        below = (y + 1) * w
        if not rows[below + x]:  # falling freely: every row down to the next ink in this column at once
            ink = cols.find(1, x * h + y + 1, (x + 1) * h)
            stop = h - 1 if ink < 0 else ink - x * h - 1  # the row above that ink
            path[y + 1 : stop + 1] = [x] * (stop - y)
            y, came_from, budget = stop, 0, w // 4
            continue
        elif x > 0 and not rows[below + x - 1]:
            x, y = x - 1, y + 1
        elif x < w - 1 and not rows[below + x + 1]:
            x, y = x + 1, y + 1
        elif budget > 0 and x > 0 and not rows[y * w + x - 1] and came_from != -1:
            x, came_from, budget = x - 1, 1, budget - 1  # along the stroke's top, leaning left
            path[y] = x
            continue
        elif budget > 0 and x < w - 1 and not rows[y * w + x + 1] and came_from != 1:
            x, came_from, budget = x + 1, -1, budget - 1
            path[y] = x
            continue
        else:
            y += 1  # stuck: cut straight through the stroke
        path[y], came_from, budget = x, 0, w // 4
    return np.array(path)


def seams(mask: np.ndarray, min_width: int, most: int = 3) -> list[np.ndarray]:
    """The paths from top to bottom that cross the least ink, one column sideways per row at
    most (seam carving's dynamic programme): they run along the gap between two digits and cut
    where the strokes meet. The `most` cheapest that end apart from each other."""
    h, w = mask.shape
    cost = mask.astype(np.float32)
    cost[:, :min_width] = cost[:, w - min_width :] = np.inf  # leave a digit's width on either side
    # totals[y, 1 + x]: the least cost of a path from row 0 to (y, x); a column of inf either side.
    # Where each row's best came from is worked out again only along the paths traced back, not
    # stored for every pixel (a third of the work per row; issue 27).
    totals = np.full((h, w + 2), np.inf)
    totals[0, 1:-1] = cost[0]
    side = np.empty(w)
    for y in range(1, h):
        above = totals[y - 1]
        np.minimum(above[:-2], above[2:], out=side)  # min(a + s, b + s) is min(a, b) + s, exactly
        np.add(side, SIDESTEP, out=side)
        np.minimum(side, above[1:-1], out=side)
        np.add(side, cost[y], out=totals[y, 1:-1])
    total = totals[-1, 1:-1]
    ends = [x for x in np.argsort(total, kind="stable") if np.isfinite(total[x])]
    paths: list[np.ndarray] = []
    table = None
    for x in ends:
        if all(abs(int(x) - int(p[-1])) >= min_width for p in paths):
            table = totals.tolist() if table is None else table  # Python floats: the same sums, quicker
            paths.append(_traced(table, int(x)))
        if len(paths) == most:
            break
    return paths


def _traced(totals: list[list[float]], x: int) -> np.ndarray:
    """The seam ending at column `x` of the last row, traced back through the padded `totals`:
    in each row, the way its best came from the row above (ties go left, then straight on,
    then right, as the dynamic programme took them)."""
    path = [x] * len(totals)
    for y in range(len(totals) - 1, 0, -1):
        left, straight, right = totals[y - 1][x : x + 3]
        left, right = left + SIDESTEP, right + SIDESTEP
        best = min(min(left, straight), right)
        x += -1 if left == best else 0 if straight == best else 1
        path[y - 1] = x
    return np.array(path)


def _starts(mask: np.ndarray, min_width: int) -> list[int]:
    """Columns where a cut is worth trying, best first: where the upper contour dips or the
    lower one rises between two higher (lower) stretches of outline, as between two digits,
    the deepest first; then the valleys of the ink profile (few ink pixels in a column), which
    also lie inside loops, so they come last."""
    h, w = mask.shape
    has_ink = mask.any(axis=0)
    top = np.where(has_ink, np.argmax(mask, axis=0), h).astype(float)  # row of the outline, from above
    bottom = np.where(has_ink, h - 1 - np.argmax(mask[::-1], axis=0), -1).astype(float)
    dip = top - np.maximum(_before(top, np.minimum), _after(top, np.minimum))
    rise = np.minimum(_before(bottom, np.maximum), _after(bottom, np.maximum)) - bottom
    profile = ndimage.uniform_filter1d(mask.sum(axis=0).astype(float), 3)
    inner = slice(min_width, w - min_width)
    starts: list[int] = []

    def add(columns: np.ndarray, most: int) -> None:
        for x in columns + min_width:
            if len(starts) >= most:
                return
            if all(abs(int(x) - s) >= min_width / 2 for s in starts):
                starts.append(int(x))

    contour = np.maximum(dip, rise)[inner]
    order = np.argsort(-contour, kind="stable")
    add(order[contour[order] > 0], STARTS - PROFILE_STARTS)
    add(np.argsort(profile[inner], kind="stable"), STARTS)
    return starts


def _before(curve: np.ndarray, pick) -> np.ndarray:
    """For each column, `pick` (np.minimum or np.maximum) of the curve strictly left of it."""
    run = pick.accumulate(curve)
    return np.concatenate(([curve[0]], run[:-1]))


def _after(curve: np.ndarray, pick) -> np.ndarray:
    """For each column, `pick` of the curve strictly right of it."""
    return _before(curve[::-1], pick)[::-1]
