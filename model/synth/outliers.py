"""Made-up drawings that are not digits, to teach the whole-digit check "not a digit" (outlier
exposure, Hendrycks et al. 2019). A training source only.

    bank = outlier_bank(count=6_000, seed=0)     # (count, 28, 28) uint8, as reading sees a drawing
    image, name = outlier(np.random.default_rng(0))   # one canvas (PIL) and what is on it

Two sources, both unlike the hand-made designs of model/synth/nondigits.py (whose tune split
chooses the verdict's thresholds and whose test split reports; neither is ever trained on):
- GLYPHS: letters and symbols as the system's TrueType fonts shape them (DejaVu, Liberation;
  PIL's built-in font where there are none), thinned to their centre line (as sketches.py does
  MNIST digits) and redrawn with the round brush. Only letters that nondigits.py keeps (no letter
  people also write as a digit), a few Greek and Cyrillic capitals of the same kind, and symbols.
- DOODLES: random shapes no one designed: tangles of Bezier curves, spiky polygons, straight
  strokes thrown together, hatching, a wandering pen, rays from a point.
For the not-a-digit check, two more families of random shapes nearer a digit: LOOKALIKES and
NEAR_MISSES (each built from random numbers, none a design of nondigits.py).
Each is slanted, stretched and turned a little, then drawn on the pad's canvas with its brush or
on an upload canvas in a sketch-style canvas style (sketches.random_placement), and read whole by
`preprocess` as reading reads a drawing. Shapes that ARE digits are never made: a doodle whose
ink is a bar (a 1) or one closed round loop (a 0) is thrown away (`looks_like_a_digit`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..drawing.preprocess import preprocess
from .nondigits import PAD_BRUSH, PAD_CANVAS, PAD_SHARE, UPLOAD_STYLES, vary
from .sketches import brush_coverage, paint, polyline_points, random_placement

# nondigits.py's kept letters, and Greek and Cyrillic capitals no one writes as a digit
# (left out: Б 6, З Э 3, Ч 4, Г 7, δ 6, ε 3, О 0)
LATIN = "AEFHKLMNRVWXehkmnrtwx"
LETTERS = LATIN + "ΔΣΩΞΦΨΛΠλμψ" + "ЖШФДЛПИЯЮЫ"
# symbols (left out: ! | 1, $ § S 5 8, £ 2, ( ) 1 0, { } 3)
SYMBOLS = "#@&%?*+=×÷~∞π√€<>^¶©®¥"
GLYPHS = LETTERS + SYMBOLS
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation")
DOODLE_SHARE = 0.5  # of the bank; the rest are glyphs
GLYPH_PX = 72  # the size glyphs are shaped at, before thinning
# uploads up to this wide (sketches.py's go to 1024): reading crops and scales the ink alike, and
# a smaller canvas is painted faster
UPLOAD_SIDE = 640

Shape = list[np.ndarray]  # strokes, each (K, 2) x, y in the shape's own units (y down)


# ---- glyphs -----------------------------------------------------------------------------------
@functools.cache
def fonts() -> tuple[str, ...]:
    """The TrueType fonts found (an empty tuple: PIL's built-in font is used)."""
    found = sorted(str(p) for d in FONT_DIRS for p in Path(d).glob("*.ttf") if "Math" not in p.name)
    return tuple(found)


def glyph_points(text: str, font: str | None) -> np.ndarray:
    """(K, 2) points (x, y, pixels) along the centre line of `text` shaped by `font` (None: PIL's
    built-in font), empty when the font has no ink for it."""
    from skimage.morphology import skeletonize  # a dev dependency, like all of training

    face = ImageFont.truetype(font, GLYPH_PX) if font else ImageFont.load_default(size=GLYPH_PX)
    image = Image.new("L", (GLYPH_PX * (2 + len(text)), GLYPH_PX * 2), 0)
    ImageDraw.Draw(image).text((GLYPH_PX // 2, GLYPH_PX // 3), text, fill=255, font=face)
    ys, xs = np.nonzero(skeletonize(np.asarray(image) > 127))
    return np.stack([xs, ys], axis=1).astype(np.float64)


def _glyph(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A glyph, or now and then a short word of kept letters, as (K, 2) centre-line points (no
    pen order: a cloud the brush is stamped along), slanted, stretched and turned."""
    if rng.random() < 0.15:
        text = "".join(LATIN[int(k)] for k in rng.integers(len(LATIN), size=int(rng.integers(2, 4))))
    else:
        text = GLYPHS[int(rng.integers(len(GLYPHS)))]
    choices = fonts()
    font = choices[int(rng.integers(len(choices)))] if choices else None
    points = glyph_points(text, font)
    if len(points) < 8:  # a font without this glyph: try another
        return _glyph(rng)
    slant, aspect, angle = rng.uniform(-0.3, 0.3), np.exp(rng.uniform(-0.25, 0.25)), rng.uniform(-12, 12)
    p = points - points.mean(0)
    p = np.stack([(p[:, 0] - slant * p[:, 1]) * aspect, p[:, 1]], axis=1)
    t = np.deg2rad(angle)
    p = p @ np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]).T
    return p, f"glyph {text}"


# ---- doodles ----------------------------------------------------------------------------------
def _bezier(p: np.ndarray, n: int = 40) -> np.ndarray:
    """A cubic Bezier curve through 4 control points (4, 2)."""
    t = np.linspace(0, 1, n)[:, None]
    return (1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t**2 * p[2] + t**3 * p[3]


def tangle(rng: np.random.Generator) -> Shape:
    """Two to four random Bezier curves."""
    return [_bezier(rng.uniform(0, 1, (4, 2))) for _ in range(int(rng.integers(2, 5)))]


def spiky_polygon(rng: np.random.Generator) -> Shape:
    """A closed polygon of 5-11 corners, every other one pulled in: a burst, never an oval."""
    n = int(rng.integers(5, 12))
    a = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = np.where(np.arange(n) % 2 == 0, rng.uniform(0.8, 1.0, n), rng.uniform(0.2, 0.5, n))
    p = np.stack([r * np.cos(a), r * np.sin(a)], axis=1)
    return [np.vstack([p, p[:1]])]


def sticks(rng: np.random.Generator) -> Shape:
    """Three to six straight strokes thrown anywhere in a box."""
    return [rng.uniform(0, 1, (2, 2)) for _ in range(int(rng.integers(3, 7)))]


def hatching(rng: np.random.Generator) -> Shape:
    """Three to seven parallel strokes at any angle, sometimes crossed by a second set."""
    strokes = []
    for _ in range(1 if rng.random() < 0.6 else 2):
        angle, n = rng.uniform(0, np.pi), int(rng.integers(3, 8))
        d, normal = np.array([np.cos(angle), np.sin(angle)]), np.array([-np.sin(angle), np.cos(angle)])
        for k in np.linspace(-0.5, 0.5, n):
            half = rng.uniform(0.3, 0.5)
            strokes.append(np.stack([normal * k - d * half, normal * k + d * half]) + rng.normal(0, 0.02, 2))
    return strokes


def wander(rng: np.random.Generator) -> Shape:
    """One long stroke of a pen that keeps turning: 40-90 steps of a drifting heading."""
    n = int(rng.integers(40, 91))
    heading = np.cumsum(rng.normal(0, 0.6, n)) + rng.uniform(0, 2 * np.pi)
    return [np.cumsum(np.stack([np.cos(heading), np.sin(heading)], axis=1), axis=0)]


def rays(rng: np.random.Generator) -> Shape:
    """Five to nine strokes out from one point, of any length."""
    n = int(rng.integers(5, 10))
    a = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = rng.uniform(0.4, 1.0, n)
    return [np.array([[0.0, 0.0], [ri * np.cos(ai), ri * np.sin(ai)]]) for ai, ri in zip(a, r)]


DOODLES: dict[str, Callable[[np.random.Generator], Shape]] = {
    "tangle": tangle,
    "spiky polygon": spiky_polygon,
    "sticks": sticks,
    "hatching": hatching,
    "wander": wander,
    "rays": rays,
}


def looks_like_a_digit(strokes: Shape) -> bool:
    """Whether these strokes could pass for a digit: ink in a bar (a 1, or a dash), or a single
    closed loop that is round (a 0). Such a doodle is not taught as "not a digit"."""
    every = np.vstack(strokes)
    span = np.ptp(every, axis=0)
    if span.min() < 0.3 * span.max():
        return True
    if len(strokes) == 1 and len(strokes[0]) > 3:
        s = strokes[0]
        if np.hypot(*(s[0] - s[-1])) < 0.2 * span.max():  # closed: round if it fills its hull
            from scipy.spatial import ConvexHull

            x, y = s[:, 0], s[:, 1]
            area = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
            return area > 0.75 * ConvexHull(s).volume
    return False


def _doodle(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A random doodle varied as a hand varies it (nondigits.vary), as (K, 2) points densely along
    its strokes."""
    names = list(DOODLES)
    while True:
        name = names[int(rng.integers(len(names)))]
        strokes = DOODLES[name](rng)
        if not looks_like_a_digit(strokes):
            strokes = vary(strokes, rng)
            span = float(np.ptp(np.vstack(strokes), axis=0).max())
            return polyline_points([s.tolist() for s in strokes], spacing=span / 200), name


# ---- look-alikes: random shapes nearer a digit (for the not-a-digit check) ----------------------
# What passed the verdict's score looked like a digit to both networks: round closed shapes with
# something inside or a dent, crossings, hooks with a dot, strokes with a head. These are random
# families of such shapes, built here from random numbers (none is a design of nondigits.py).
def _blob(rng: np.random.Generator, n: int = 60) -> np.ndarray:
    """A closed, smooth, random loop around the origin (radius about 1): low harmonics."""
    t = np.linspace(0, 2 * np.pi, n)
    r = np.ones(n)
    for k in (2, 3):
        r += rng.normal(0, 0.08) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    return np.stack([r * np.cos(t), r * np.sin(t) * rng.uniform(0.7, 1.3)], axis=1)


def _mark(rng: np.random.Generator, centre: np.ndarray, size: float) -> np.ndarray:
    """A dash or a small arc at `centre` (a dot alone is dropped as a speck by preprocess)."""
    kind = rng.integers(1, 3)
    a = rng.uniform(0, np.pi)
    if kind == 1:
        d = size * np.array([np.cos(a), np.sin(a)])
        return np.stack([centre - d, centre + d])
    t = np.linspace(a, a + rng.uniform(1.5, 3.0), 10)
    return centre + size * np.stack([np.cos(t), np.sin(t)], axis=1)


def marked_loop(rng: np.random.Generator) -> Shape:
    """A round closed loop with one to four marks inside (dots, dashes, small arcs)."""
    loop = _blob(rng)
    marks = range(rng.integers(1, 5))
    return [loop, *(_mark(rng, rng.uniform(-0.35, 0.35, 2), rng.uniform(0.12, 0.3)) for _ in marks)]


def dented_loop(rng: np.random.Generator) -> Shape:
    """A closed loop with a dent on one side and a point across from it (a heart, a leaf, a
    drop, any way up), sometimes with a mark inside."""
    t = np.linspace(0, 2 * np.pi, 80)
    a0 = rng.uniform(0, 2 * np.pi)
    gap = np.angle(np.exp(1j * (t - a0)))
    far = np.angle(np.exp(1j * (t - a0 - np.pi)))
    dent = rng.uniform(0.55, 0.8) * np.exp(-((gap / 0.3) ** 2))
    r = 1 - dent + rng.uniform(0.3, 0.6) * np.exp(-((far / 0.35) ** 2))
    loop = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    return [loop] if rng.random() < 0.7 else [loop, _mark(rng, rng.uniform(-0.3, 0.3, 2), 0.2)]


def crossing(rng: np.random.Generator) -> Shape:
    """Two to four strokes crossing near the middle, now and then with bars at their ends."""
    strokes = []
    for _ in range(int(rng.integers(2, 5))):
        a, half = rng.uniform(0, np.pi), rng.uniform(0.5, 1.0)
        d, c = np.array([np.cos(a), np.sin(a)]), rng.normal(0, 0.12, 2)
        strokes.append(np.stack([c - d * half, c + d * half]))
    if rng.random() < 0.3:
        end = strokes[0][1]
        n = np.array([-(strokes[0][1] - strokes[0][0])[1], (strokes[0][1] - strokes[0][0])[0]]) * 0.2
        strokes.append(np.stack([end - n, end + n]))
    return strokes


def ladder(rng: np.random.Generator) -> Shape:
    """Two long strokes side by side joined by one to three rungs (an H, a #, a pi of any lean)."""
    gap, lean = rng.uniform(0.5, 1.0), rng.uniform(-0.3, 0.3)
    rails = [np.array([[x + lean, 0.0], [x - lean, 1.5]]) for x in (0.0, gap)]
    rungs = []
    for y in rng.uniform(0.2, 1.3, int(rng.integers(1, 4))):
        over = rng.uniform(0, 0.3)
        shift = lean * (1 - 2 * y / 1.5)
        rungs.append(np.array([[shift - over, y], [gap + shift + over, y + rng.normal(0, 0.05)]]))
    return rails + rungs


def hook_and_dot(rng: np.random.Generator) -> Shape:
    """A curl (half a turn to nearly a whole one, with a tail) and a dot beyond its end: a ?
    of any way up."""
    a0, sweep = rng.uniform(0, 2 * np.pi), rng.uniform(np.pi, 1.7 * np.pi) * rng.choice([-1, 1])
    t = np.linspace(a0, a0 + sweep, 30)
    curl = np.stack([np.cos(t), np.sin(t)], axis=1) * 0.5
    tail_dir = curl[-1] - curl[-2]
    tail = curl[-1] + np.outer(np.linspace(0, 1, 8), tail_dir / np.hypot(*tail_dir) * rng.uniform(0.3, 0.7))
    stroke = np.vstack([curl, tail[1:]])
    d = tail[-1] + tail_dir / np.hypot(*tail_dir) * rng.uniform(0.25, 0.4)
    return [stroke, _mark(rng, d, 0.08)]  # a dash for the dot: a lone dot is dropped as a speck


def headed_stroke(rng: np.random.Generator) -> Shape:
    """A straight or bent stroke with an arrow head (open or closed) at one end, any way round."""
    t = np.linspace(0, 1, 20)[:, None]
    bend = rng.normal(0, 0.3)
    a = rng.uniform(0, 2 * np.pi)
    d, n = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
    shaft = t * d + bend * (t * (1 - t)) * n
    tip, back = shaft[-1], shaft[-4]
    u = (tip - back) / np.hypot(*(tip - back))
    v = np.array([-u[1], u[0]])
    size = rng.uniform(0.2, 0.35)
    left, right = tip - u * size + v * size * 0.7, tip - u * size - v * size * 0.7
    head = np.stack([left, tip, right, left]) if rng.random() < 0.4 else np.stack([left, tip, right])
    return [shaft, head]


def side_loops(rng: np.random.Generator) -> Shape:
    """Two or three loops side by side in one stroke (an infinity, spectacles, a cursive ee)."""
    loops = int(rng.integers(2, 4))
    t = np.linspace(0, 2 * np.pi * loops, 40 * loops)
    x = t / (2 * np.pi) * rng.uniform(0.6, 1.0) + 0.45 * np.cos(t + np.pi / 2 * rng.choice([-1, 1]))
    return [np.stack([x, 0.5 * np.sin(t) * rng.uniform(0.8, 1.4)], axis=1)]


LOOKALIKES: dict[str, Callable[[np.random.Generator], Shape]] = {
    "marked loop": marked_loop,
    "dented loop": dented_loop,
    "crossing": crossing,
    "ladder": ladder,
    "hook and dot": hook_and_dot,
    "headed stroke": headed_stroke,
    "side loops": side_loops,
}


# ---- near misses: random shapes nearer still (for the not-a-digit check) -------------------------
# What still passed the check (docs/experiments.md): question marks read 7, hearts and smileys
# read 0, open loops (e, &) and letters with a bowl and a leg read 8, ticks with a bar read 5.
# Random families of such kinds of shape, built here from random numbers.
def _arc(centre: np.ndarray, r: np.ndarray, a0: float, a1: float, n: int = 24) -> np.ndarray:
    """Points along an elliptic arc from angle a0 to a1 (radians, y down)."""
    t = np.linspace(a0, a1, n)
    return centre + np.stack([r[0] * np.cos(t), r[1] * np.sin(t)], axis=1)


def _gap_mark(rng: np.random.Generator, end: np.ndarray, way: np.ndarray, size: float) -> np.ndarray:
    """A mark (a short dash, a tiny loop or a blob of a scribble) a gap beyond `end` along `way`:
    big enough that preprocess keeps it."""
    at = end + way / np.hypot(*way) * rng.uniform(0.25, 0.45)
    kind = rng.integers(3)
    if kind == 0:
        a = rng.uniform(-0.6, 0.6) + (np.pi / 2 if rng.random() < 0.5 else 0)
        d = size * np.array([np.cos(a), np.sin(a)])
        return np.stack([at - d, at + d])
    if kind == 1:
        return _arc(at, np.array([size, size]) * 0.7, 0, 2 * np.pi, 12)
    return at + rng.normal(0, size * 0.5, (6, 2))


def hooked_mark(rng: np.random.Generator) -> Shape:
    """A hook over the top that falls into a stem, and a mark below the stem: a question mark
    of any width, curl and stem, now and then mirrored or upside down."""
    sweep = rng.uniform(0.9, 1.5) * np.pi
    top = _arc(np.zeros(2), np.array([rng.uniform(0.35, 0.6), rng.uniform(0.25, 0.45)]), np.pi, np.pi + sweep)
    stem_end = top[-1] + np.array([rng.normal(0, 0.08), rng.uniform(0.3, 0.6)])
    bend = (top[-1] + stem_end) / 2 + np.array([rng.normal(0, 0.06), 0])
    stroke = np.vstack([top, bend, stem_end])
    size = rng.uniform(0.07, 0.14)
    # 3 in 10 without the mark: a small dot under a question mark is dropped as a speck by
    # preprocess, so reading sees the hook alone
    shape = (
        [stroke]
        if rng.random() < 0.3
        else [stroke, _gap_mark(rng, stem_end, np.array([rng.normal(0, 0.15), 1.0]), size)]
    )
    if rng.random() < 0.2:  # mirrored or turned over
        flip = np.array([-1.0, 1.0]) if rng.random() < 0.5 else np.array([-1.0, -1.0])
        shape = [s * flip for s in shape]
    return shape


def open_loop(rng: np.random.Generator) -> Shape:
    """A bar that turns into a loop around it and ends open (an e, an a without a stem, a c with
    a tongue), or a loop with a tail that crosses itself (an &, a looped alpha)."""
    r = np.array([rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.6)])
    if rng.random() < 0.6:
        y = rng.uniform(-0.15, 0.1)
        x0 = -r[0] * np.sqrt(max(1 - (y / r[1]) ** 2, 0.2))
        bar = np.array([[x0, y], [-x0, y]])
        start = np.arctan2(y / r[1], -x0 / r[0])
        ring = _arc(np.zeros(2), r, start, start - rng.uniform(1.45, 1.85) * np.pi, 40)
        return [np.vstack([bar, ring])]
    top = _arc(
        np.array([0.0, -0.45]), r * 0.55, np.pi * 0.25, np.pi * 0.25 - 2 * np.pi * rng.uniform(0.8, 1.0)
    )
    bottom = _arc(
        np.array([-0.05, 0.35]), r * 0.8, -np.pi * 0.6, -np.pi * 0.6 - rng.uniform(1.3, 1.7) * np.pi
    )
    tail = bottom[-1] + np.array([[0, 0], [rng.uniform(0.3, 0.6), -rng.uniform(0.2, 0.6)]])
    return [np.vstack([top, bottom, tail])]


def cusped_loop(rng: np.random.Generator) -> Shape:
    """Two lobes meeting in a cusp, closed below in a point: a heart, plump or thin, in one stroke
    or two, now and then lying on its side or with a mark inside."""
    cusp = np.array([0.0, -rng.uniform(0.1, 0.35)])
    tip = np.array([rng.normal(0, 0.08), rng.uniform(0.7, 1.0)])
    lobe = np.array([rng.uniform(0.25, 0.4), rng.uniform(0.2, 0.35)])
    halves = []
    for side in (-1, 1):
        c = np.array([side * lobe[0], -0.35])
        t = np.linspace(0, 1, 24)
        start = np.arctan2((cusp - c)[1] / lobe[1], (cusp - c)[0] / lobe[0])
        sweep = side * rng.uniform(1.1, 1.4) * np.pi  # over the top and down the outside
        arc = _arc(c, lobe, start, start + sweep, 24)
        down = (
            arc[-1]
            + (tip - arc[-1]) * t[:, None]
            + side * rng.uniform(0, 0.12) * np.sin(np.pi * t)[:, None] * [1, 0]
        )
        halves.append(np.vstack([arc, down]))
    strokes = [np.vstack([halves[0], halves[1][::-1]])] if rng.random() < 0.6 else halves
    if rng.random() < 0.2:
        strokes.append(_mark(rng, np.array([0.0, 0.2]), 0.15))
    if rng.random() < 0.2:
        strokes = [s[:, ::-1] for s in strokes]
    return strokes


def tick_and_bar(rng: np.random.Generator) -> Shape:
    """A short stroke down, a long one up, and a bar along the top (a root sign, a tick under a
    roof), now and then something under the bar."""
    foot = np.array([rng.uniform(0.15, 0.35), rng.uniform(0.55, 0.85)])
    low = np.array([rng.uniform(0.3, 0.5), 1.0])
    peak = np.array([rng.uniform(0.5, 0.75), rng.uniform(-0.05, 0.1)])
    bar_end = np.array([rng.uniform(1.1, 1.7), peak[1] + rng.normal(0, 0.04)])
    start = foot + np.array([-rng.uniform(0, 0.15), rng.uniform(-0.05, 0.05)])
    strokes = [np.stack([start, foot, low, peak, bar_end])]
    if rng.random() < 0.4:
        c = np.array([(peak[0] + bar_end[0]) / 2, 0.55])
        strokes.append(_mark(rng, c, rng.uniform(0.15, 0.3)))
    return strokes


def bowl_and_leg(rng: np.random.Generator) -> Shape:
    """A stem with a bowl on its upper half and a leg from the bowl (an R, a P with a tail, a
    K with a round arm, a cursive r), in one stroke or two."""
    h = rng.uniform(0.45, 0.6)
    stem = np.array([[0.0, 1.0], [0.0, 0.0]])
    bowl = _arc(np.array([0.0, h / 2]), np.array([rng.uniform(0.35, 0.55), h / 2]), -np.pi / 2, np.pi / 2, 20)
    bowl[:, 0] = np.abs(bowl[:, 0])
    join = bowl[-1]
    leg_end = np.array([rng.uniform(0.35, 0.7), 1.0])
    bend = rng.normal(0, 0.1)
    t = np.linspace(0, 1, 10)[:, None]
    leg = join + (leg_end - join) * t + bend * np.sin(np.pi * t) * np.array([1.0, 0.0])
    if rng.random() < 0.5:
        return [np.vstack([stem, bowl, leg[1:]])]
    return [stem, np.vstack([bowl, leg[1:]])]


def corners(rng: np.random.Generator) -> Shape:
    """A stem with one to three bars to one side (an L, an E, an F, a backwards E), or two strokes
    meeting in a point (a V, a <, a caret), any lean."""
    if rng.random() < 0.6:
        stem = np.array([[0.0, 0.0], [0.0, 1.0]])
        ys = rng.choice([0.0, 0.5, 1.0], size=int(rng.integers(1, 4)), replace=False)
        side = rng.choice([-1.0, 1.0])
        bars = [np.array([[0.0, y], [side * rng.uniform(0.4, 0.8), y + rng.normal(0, 0.04)]]) for y in ys]
        return [stem, *bars]
    a, b = rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.8)
    point = np.array([0.0, 1.0])
    return [np.stack([point + [-a, -1.0], point, point + [b, -rng.uniform(0.6, 1.0)]])]


def featured_loop(rng: np.random.Generator) -> Shape:
    """A round loop with small features inside in a row or mirrored (two marks over a curve or a
    dash: a face of any mood), sometimes with strokes outside it (ears, hair, rays)."""
    loop = _blob(rng)
    y, dx = rng.uniform(-0.45, -0.1), rng.uniform(0.2, 0.45)
    size = rng.uniform(0.06, 0.14)
    strokes = [loop, *(_mark(rng, np.array([x, y]), size) for x in (-dx, dx))]
    mouth_y, w = rng.uniform(0.2, 0.5), rng.uniform(0.25, 0.5)
    bend = rng.uniform(-0.25, 0.25)
    t = np.linspace(-1, 1, 12)
    strokes.append(np.stack([w * t, mouth_y + bend * (1 - t**2)], axis=1))
    if rng.random() < 0.25:
        a = rng.uniform(0, 2 * np.pi, int(rng.integers(2, 6)))
        d = np.stack([np.cos(a), np.sin(a)], axis=1)
        strokes += [np.stack([1.05 * u, rng.uniform(1.2, 1.5) * u]) for u in d]
    return strokes


NEAR_MISSES: dict[str, Callable[[np.random.Generator], Shape]] = {
    "hooked mark": hooked_mark,
    "open loop": open_loop,
    "cusped loop": cusped_loop,
    "tick and bar": tick_and_bar,
    "bowl and leg": bowl_and_leg,
    "corners": corners,
    "featured loop": featured_loop,
}
FAMILIES = {"lookalikes": LOOKALIKES, "near misses": NEAR_MISSES}


def _lookalike(rng: np.random.Generator, family: str = "lookalikes") -> tuple[np.ndarray, str]:
    """A random shape of `family` (LOOKALIKES or NEAR_MISSES), varied as a hand varies it, as
    (K, 2) points."""
    shapes = FAMILIES[family]
    names = list(shapes)
    while True:
        name = names[int(rng.integers(len(names)))]
        strokes = shapes[name](rng)
        if not looks_like_a_digit(strokes):
            strokes = vary(strokes, rng)
            span = float(np.ptp(np.vstack(strokes), axis=0).max())
            return polyline_points([s.tolist() for s in strokes], spacing=span / 200), name


# ---- drawings ---------------------------------------------------------------------------------
def outlier(rng: np.random.Generator, family: str = "made-up") -> tuple[Image.Image, str]:
    """One made-up non-digit on a canvas, and what it is ("glyph A", "tangle", ...): on the pad's
    canvas with its brush, or an upload in one of the sketch-style canvas styles. `family`:
    "made-up" (a glyph or a doodle), "lookalikes" (LOOKALIKES) or "near misses" (NEAR_MISSES)."""
    if family in FAMILIES:
        points, name = _lookalike(rng, family)
    else:
        points, name = _doodle(rng) if rng.random() < DOODLE_SHARE else _glyph(rng)
    if rng.random() < PAD_SHARE:
        canvas, brush, style = PAD_CANVAS, PAD_BRUSH, "white"
        size = rng.uniform(80, 280)
    else:
        side = int(rng.integers(280, UPLOAD_SIDE + 1))
        place = random_placement(rng, (side, max(200, int(side / rng.choice([1.0, 0.75, 1.33])))))
        canvas, brush, size = place.canvas, place.brush, place.height
        style = UPLOAD_STYLES[int(rng.integers(len(UPLOAD_STYLES)))]
    lo, hi = points.min(0), points.max(0)
    span = np.maximum(hi - lo, 1e-6)
    room = np.asarray(canvas, np.float64) - 2 * (brush + 4)
    scale = min(size / span.max(), *(room / span))
    half = span * scale / 2
    centre = np.array([rng.uniform(brush + 4 + h, c - brush - 4 - h) for h, c in zip(half, canvas)])
    return paint(brush_coverage((points - (lo + hi) / 2) * scale + centre, canvas, brush), style), name


def outlier_bank(count: int, seed: int = 0, first: int = 0, family: str = "made-up") -> np.ndarray:
    """(count, 28, 28) uint8 made-up non-digits first..first+count-1, each read whole as reading
    reads a drawing (model.preprocess); drawing i depends only on (seed, i), so a bank can be made
    in pieces."""
    bank = np.zeros((count, 28, 28), np.uint8)
    for k, i in enumerate(range(first, first + count)):
        rng = np.random.default_rng([seed, i])
        x = None
        while x is None:  # a drawing whose ink is all specks reads as nothing: draw another
            x = preprocess(outlier(rng, family)[0])
        bank[k] = np.round(x[0].numpy() * 255)
    return bank
