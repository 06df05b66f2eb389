"""Pen strokes of scanned digits: each digit's centre line as polylines, traced once and cached.

    strokes = load_strokes(images, cache_dir="data/cache")   # (N, 28, 28) uint8 -> Strokes
    lines = strokes.digit(i)          # [Stroke(points (K, 2) x, y in pixels, closed, free_ends)]

A digit's ink is enlarged 4x, cut at half ink, thinned to its skeleton (scikit-image), and the
skeleton's pixels are followed from end to end into polylines: an open stroke runs between two
ends or junctions; a loop with no junction (a plain 0) is one closed stroke. Spurs shorter than
SPUR_PX (thinning leaves them at stroke ends and corners) are dropped, and the polylines are
thinned to the points that matter (Douglas-Peucker). A pen that redraws these lines draws the
digit as a pad would (see pad.py).

Tracing is per digit and takes about a millisecond, so the 60,000 training digits are traced
once and kept in a cache file keyed by the images' hash, written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .cache import load_or_make
from .workers import run_chunks, spans

UPSCALE = 4  # skeletons are taken at 4x, where MNIST's 2-3 px strokes are 8-12 px wide
SPUR_PX = 1.5  # branches shorter than this (28 px units) that end in a tip are thinning noise
SIMPLIFY_PX = 0.15  # Douglas-Peucker tolerance, 28 px units
VERSION = "1"  # bump when tracing changes: old caches are then ignored
CHUNK = 2000  # digits per piece of work when tracing in several processes
# 8-neighbourhood, straight neighbours first
_STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


@dataclass(frozen=True)
class Stroke:
    """One pen stroke: points (K, 2) as (x, y) in 28x28 pixel units."""

    points: np.ndarray
    closed: bool = False  # a loop: the pen came back to where it started
    free_ends: tuple[bool, bool] = (True, True)  # an end that is a tip, not a junction


@dataclass(frozen=True)
class Strokes:
    """The strokes of N digits in flat arrays (cheap to cache and to slice)."""

    points: np.ndarray  # (P, 2) float32, x and y
    stroke_start: np.ndarray  # (S + 1,) int64: stroke s is points[start[s]:start[s + 1]]
    closed: np.ndarray  # (S,) bool
    free_ends: np.ndarray  # (S, 2) bool
    digit_start: np.ndarray  # (N + 1,) int64: digit i is strokes digit_start[i]:digit_start[i + 1]

    def __len__(self) -> int:
        return len(self.digit_start) - 1

    def slice(self, start: int, stop: int) -> Strokes:
        """The strokes of digits start..stop-1, as their own Strokes."""
        first, last = self.digit_start[start], self.digit_start[stop]
        p0, p1 = self.stroke_start[first], self.stroke_start[last]
        return Strokes(
            points=self.points[p0:p1],
            stroke_start=self.stroke_start[first : last + 1] - p0,
            closed=self.closed[first:last],
            free_ends=self.free_ends[first:last],
            digit_start=self.digit_start[start : stop + 1] - first,
        )

    def digit(self, i: int) -> list[Stroke]:
        """The strokes of digit i."""
        return [
            Stroke(
                self.points[self.stroke_start[s] : self.stroke_start[s + 1]],
                bool(self.closed[s]),
                (bool(self.free_ends[s, 0]), bool(self.free_ends[s, 1])),
            )
            for s in range(self.digit_start[i], self.digit_start[i + 1])
        ]

    @classmethod
    def pack(cls, digits: list[list[Stroke]]) -> Strokes:
        flat = [s for strokes in digits for s in strokes]
        lengths = [len(s.points) for s in flat]
        return cls(
            points=np.concatenate([s.points for s in flat]).astype(np.float32)
            if flat
            else np.zeros((0, 2), np.float32),
            stroke_start=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            closed=np.array([s.closed for s in flat], bool),
            free_ends=np.array([s.free_ends for s in flat], bool).reshape(-1, 2),
            digit_start=np.concatenate([[0], np.cumsum([len(d) for d in digits])]).astype(np.int64),
        )


def trace(digit: np.ndarray) -> list[Stroke]:
    """A (28, 28) digit (uint8, or float in [0, 1]) -> its centre line as strokes."""
    from skimage.morphology import skeletonize  # dev dependency, like all of training

    ink = np.asarray(digit, np.float32)
    ink = ink / 255 if ink.max() > 1 else ink
    big = np.asarray(Image.fromarray(ink).resize((28 * UPSCALE,) * 2, Image.Resampling.BILINEAR))
    skeleton = skeletonize(big >= 0.5)
    paths = _join(_prune_spurs(_paths(skeleton), SPUR_PX * UPSCALE))
    strokes = []
    for path, closed, free in paths:
        xy = np.asarray(path, np.float32)[:, ::-1]  # (y, x) pixels -> (x, y)
        xy = (xy + 0.5) / UPSCALE  # pixel centres at 4x -> 28 px units
        strokes.append(Stroke(_simplify(xy, SIMPLIFY_PX), closed, free))
    return strokes


def load_strokes(
    images: torch.Tensor | np.ndarray, cache_dir: str | Path | None, workers: int = 1
) -> Strokes:
    """The strokes of every image, from `cache_dir` when it holds them, else traced (in `workers`
    processes) and saved there."""
    array = np.ascontiguousarray(np.asarray(images, np.uint8))

    def make() -> dict[str, torch.Tensor]:
        chunks = [(array[a:b],) for a, b in spans(len(array), CHUNK)]
        strokes = Strokes.pack([s for part in run_chunks(trace_all, chunks, workers) for s in part])
        return {f.name: torch.from_numpy(getattr(strokes, f.name)) for f in fields(Strokes)}

    def valid(tensors: dict[str, torch.Tensor]) -> bool:
        return (
            set(tensors) == {f.name for f in fields(Strokes)}
            and len(tensors["digit_start"]) == len(array) + 1
        )

    tensors = load_or_make(cache_dir, f"strokes-v{VERSION}", array, None, make, valid)
    return Strokes(**{name: t.numpy() for name, t in tensors.items()})


def trace_all(digits: np.ndarray) -> list[list[Stroke]]:
    """`trace` of each digit (a module-level function, so that worker processes can run it)."""
    return [trace(d) for d in digits]


def _neighbours(skeleton: np.ndarray, y: int, x: int) -> list[tuple[int, int]]:
    """Skeleton pixels next to (y, x); a diagonal one only when no straight neighbour links the
    two (else a stair step would count as a junction)."""
    h, w = skeleton.shape
    found = []
    for dy, dx in _STEPS:
        ny, nx = y + dy, x + dx
        if not (0 <= ny < h and 0 <= nx < w and skeleton[ny, nx]):
            continue
        if dy and dx and (skeleton[y + dy, x] or skeleton[y, x + dx]):
            continue
        found.append((ny, nx))
    return found


def _paths(skeleton: np.ndarray) -> list[tuple[list, bool, tuple[bool, bool]]]:
    """Follow the skeleton into paths of pixels: (pixels, closed, (start free, end free))."""
    ys, xs = np.nonzero(skeleton)
    graph = {(y, x): _neighbours(skeleton, y, x) for y, x in zip(ys.tolist(), xs.tolist())}
    nodes = {p for p, n in graph.items() if len(n) != 2}
    seen: set[frozenset] = set()
    paths = []
    for start in sorted(nodes):
        if not graph[start]:  # a lone dot
            paths.append(([start], False, (True, True)))
        for step in graph[start]:
            if frozenset((start, step)) in seen:
                continue
            path = _walk(graph, nodes, seen, start, step)
            paths.append((path, False, (len(graph[path[0]]) == 1, len(graph[path[-1]]) == 1)))
    for start in sorted(graph):  # what is left are loops without a junction
        for step in graph[start]:
            if frozenset((start, step)) not in seen:
                paths.append((_walk(graph, {start}, seen, start, step), True, (False, False)))
    return paths


def _walk(graph: dict, stops: set, seen: set, start: tuple, step: tuple) -> list:
    """Pixels from `start` through `step` until a stop (node) or back at the start."""
    path, previous, current = [start], start, step
    seen.add(frozenset((start, step)))
    while True:
        path.append(current)
        if current in stops or current == start:
            return path
        nxt = next((n for n in graph[current] if n != previous), None)
        if nxt is None or frozenset((current, nxt)) in seen:
            return path
        seen.add(frozenset((current, nxt)))
        previous, current = current, nxt


def _prune_spurs(paths: list, min_length: float) -> list:
    """Drop short branches that end in a tip on one side and a junction on the other."""

    def length(path: list) -> float:
        p = np.asarray(path, np.float32)
        return float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum())

    return [
        (path, closed, free)
        for path, closed, free in paths
        if closed or free[0] == free[1] or length(path) >= min_length
    ]


def _join(paths: list) -> list:
    """Join paths that meet end to end at a pixel no other path touches (a junction whose spur
    was pruned): the pen went straight through there."""
    paths = list(paths)
    while True:
        ends: dict[tuple, list[tuple[int, int]]] = {}
        for i, (path, closed, _) in enumerate(paths):
            if not closed and len(path) > 1:
                ends.setdefault(path[0], []).append((i, 0))
                ends.setdefault(path[-1], []).append((i, 1))
        pair = next((v for v in ends.values() if len(v) == 2), None)
        if pair is None:
            return paths
        (i, side_i), (j, side_j) = pair
        a, _, free_a = paths[i]
        if i == j:  # both ends of one path: a loop
            paths[i] = (a, True, (False, False))
            continue
        b, _, free_b = paths[j]
        a_in, a_free = (a, free_a[0]) if side_i == 1 else (a[::-1], free_a[1])  # a ends at the pixel
        b_out, b_free = (b, free_b[1]) if side_j == 0 else (b[::-1], free_b[0])  # b starts there
        paths[i] = (a_in + b_out[1:], False, (a_free, b_free))
        del paths[j]


def _simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker: the fewest points that stay within `tolerance` of the polyline."""
    if len(points) < 3:
        return points
    keep = np.zeros(len(points), bool)
    keep[[0, -1]] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = points[i], points[j]
        ab = b - a
        seg = points[i + 1 : j] - a
        norm = float(np.hypot(*ab))
        if norm < 1e-6:  # a loop's start and end coincide: distance to the point
            dist = np.hypot(seg[:, 0], seg[:, 1])
        else:
            dist = np.abs(ab[0] * seg[:, 1] - ab[1] * seg[:, 0]) / norm
        k = int(dist.argmax())
        if dist[k] > tolerance:
            keep[i + 1 + k] = True
            stack += [(i, i + 1 + k), (i + 1 + k, j)]
    return points[keep]
