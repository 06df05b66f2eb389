"""The "Look inside" panel: the network at work on the visitor's own drawing, as one HTML string.

    from model import explain
    from ui.inside import inside_html
    panel = inside_html(explain(classifier, x))   # style it with ui/inside.css

Four pictures, each with a sentence for a visitor at a booth: every layer's units lit by how
strongly they fire; which pixels pushed the answer, and which argue for the runner-up; the
first-layer units the answer rested on, with the pattern each looks for; and all 200 of those
patterns, the ones firing now highlighted.

Red always means "ink here pushes it up" and blue "ink here pushes it down", on one symmetric
scale per picture. Images are inline PNGs (nothing is written per request); colours of text,
cells and frames come from Gradio's theme variables, so light and dark themes both work. The
gallery's 200 patterns never change, so they are one sprite PNG, made once per set of weights
and cached here; per frame only a grid of empty cells over it changes, and the top units'
pictures are cells of the same sprite. The panel is self-contained: the sprite rides along in
each frame (28 KB of about 46 KB), under an unchanged data URL the browser has already decoded.
"""

from __future__ import annotations

import base64
import html
import io
import math

import numpy as np
from PIL import Image

from model.doubt import Doubt
from model.explanation import Explanation

from .words import DEFAULT, marked, text

# Each hidden layer is lit on a fixed scale, its 99th percentile activation on MNIST that training
# writes into the weights file (Explanation.layer_scales), so frames compare and the picture does
# not flicker; stronger units saturate. Brightness is the square root of activation / scale: most
# firing units fire weakly and would otherwise barely show. A network without them falls back to
# each layer's largest activation in the frame.
LEVELS = 10  # brightness steps of a unit's cell (classes a0..a9 in inside.css)
RED, BLUE = (214, 39, 40), (45, 110, 245)  # the blue a little light, to show on dark themes
# Opacity steps per colour in the red/blue pictures: a small palette keeps the PNGs small. The
# sprite takes 4: 28 KB as base64 against 40 KB with 8, most of the panel's size, and at 1.5x
# the strokes read just as well (compared side by side).
MAP_SHADES, SPRITE_SHADES = 8, 4
GALLERY_COLUMNS = 20
HINT = text("inside.hint")


def inside_html(
    e: Explanation | None, doubt: Doubt | None = None, chosen: int = 0, lang: str = DEFAULT
) -> str:
    """The whole "Look inside" panel for one digit (digit `chosen` of the reading) in `lang`, or a
    hint when there is none; with `doubt`, first whether it looks like a digit at all, and why not."""
    if e is None:
        hint = marked("inside.hint", lang, "p", ' class="inside-hint"')
        return f'<div class="inside empty" data-testid="inside">{hint}</div>'
    # Pictures shared by several parts go in custom properties on the root, once.
    ink = np.zeros((28, 28, 2), np.uint8)
    ink[..., 0], ink[..., 1] = 255, np.round(e.image * 255)  # white, with the ink as alpha (a mask)
    shared = (
        f"--columns:{GALLERY_COLUMNS};--rows:{_rows(len(e.weight_images))};"
        f"--sprite:url(data:image/png;base64,{_sprite(e.weight_images)});"
        f"--ink:url(data:image/png;base64,{_png(Image.fromarray(ink, 'LA'))})"
    )
    return (
        f'<div class="inside" data-testid="inside" data-digit="{e.top}" style="{shared}">'
        f"<h3>{text('inside.title', lang)}</h3>"
        f'<p class="inside-lead">{text("inside.lead", lang)}</p>'
        f"{'' if doubt is None else doubt_html(doubt, chosen, lang)}"
        f"{_network(e, lang)}"
        f'<div class="inside-pictures">{_attribution(e, lang)}{_units(e, lang)}</div>'
        f"{_gallery(e, lang)}</div>"
    )


def doubt_html(d: Doubt, chosen: int = 0, lang: str = DEFAULT) -> str:
    """Is it a digit at all? The verdict's score in its parts, against the lines training chose
    (weights/verdict.json), and which part made it doubt, in words for a visitor, in `lang`."""
    reasons = d.reasons
    if d.verdict == "number":
        lead = text("doubt.lead_number", lang)
    elif reasons == ("confidence",):
        lead = text("doubt.lead_confidence", lang, confidence=f"{d.confidence:.0%}")
    elif d.verdict == "not_a_digit":
        lead = text("doubt.lead_not_a_digit", lang)
    else:
        lead = text("doubt.lead_maybe", lang)
    if d.source is None and d.pieces > 1:
        judged = text("doubt.judged_whole_pieces", lang)
    elif d.source is None:
        judged = text("doubt.judged_whole_marks", lang)
    elif d.source == chosen:
        judged = text("doubt.judged_this", lang)
    else:
        judged = text("doubt.judged_other", lang, n=d.source + 1)
    energy, check = d.parts.energy, d.parts.whole
    rows = [
        _doubt_row(
            "energy",
            text("doubt.energy_question", lang),
            f"{energy:.1f}",
            text("doubt.energy_text", lang, digit=d.digit, typical=f"{d.typical_energy:.1f}"),
            "energy" in reasons,
        )
    ]
    if math.isfinite(check):
        rows.append(
            _doubt_row(
                "check",
                text("doubt.check_question", lang),
                f"{math.exp(check):.0%}",
                text("doubt.check_text", lang),
                "check" in reasons,
            )
        )
    weight, seen = d.parts.weight, d.parts.digit
    if weight and math.isfinite(check):
        rows.append(
            _doubt_row(
                "seen",
                text("doubt.seen_question", lang),
                f"{math.exp(seen):.0%}",
                text("doubt.seen_text", lang),
                "seen" in reasons,
            )
        )
    t = d.thresholds
    if t is not None and math.isfinite(check):
        score = f'<b data-testid="inside-score">{d.score:.1f}</b>'
        total = text(
            "doubt.total_seen" if weight else "doubt.total",
            lang,
            energy=f"{energy:.1f}",
            check=f"{math.exp(check):.2f}",
            weight=f"{weight:g}",
            seen=f"{math.exp(seen):.2f}",
            score=score,
            unsure=f"{t.unsure:.1f}",
            not_a_digit=f"{t.not_a_digit:.1f}",
        )
        total = f"<p>{total}</p>"
    else:
        total = f"<p>{text('doubt.no_lines', lang)}</p>"
    blamed = {
        ("energy",): "doubt.blame_energy",
        ("check",): "doubt.blame_check",
        ("seen",): "doubt.blame_seen",
        ("energy", "check"): "doubt.blame_both",
    }.get(reasons)
    if blamed is not None:
        why = text("doubt.why", lang, reason=text(blamed, lang))
    elif "seen" in reasons:  # the third part with another: each in its words
        why = text("doubt.why", lang, reason=" ".join(text(f"doubt.blame_{r}", lang) for r in reasons))
    else:
        why = ""
    why = why and f'<p class="inside-why" data-testid="inside-why">{why}</p>'
    return (
        f'<section class="inside-doubt {d.verdict}" data-testid="inside-doubt" data-verdict="{d.verdict}" '
        f'data-reasons="{" ".join(reasons)}"><h4>{text("doubt.title", lang)}</h4>'
        f"<p>{html.escape(lead, quote=False)} {text('doubt.judged', lang, what=judged)}</p>"
        f"<dl>{''.join(rows)}</dl>{total}{why}</section>"
    )


def _doubt_row(name: str, question: str, value: str, explained: str, low: bool) -> str:
    return (
        f'<div class="inside-part{" low" if low else ""}" data-testid="inside-{name}">'
        f"<dt>{question} <b>{value}</b></dt><dd>{explained}</dd></div>"
    )


def _network(e: Explanation, lang: str = DEFAULT) -> str:
    """Five rows of cells in a fixed order (units never move), lit by activation."""
    hidden = e.activations[:-1]
    scales = e.layer_scales or [max(a.max(), 1e-6) for a in hidden]
    rows = []
    for k, (a, scale) in enumerate(zip(hidden, scales), start=1):
        levels = np.minimum(np.sqrt(np.maximum(a, 0) / scale) * LEVELS, LEVELS - 1).astype(int)
        cells = "".join(f'<i class="a{v}"></i>' for v in levels)
        rows.append(
            f'<div class="inside-layer" data-testid="inside-layer-{k}">'
            f'<span class="inside-layer-name">{text("inside.layer", lang, k=k, n=len(a))}</span>'
            f'<div class="inside-cells" style="--n:{len(a)}">{cells}</div></div>'
        )
    outputs = "".join(
        f'<span class="inside-out{" top" if d == e.top else ""}" data-digit="{d}" '
        f'style="--p:{p:.2f}">{d}</span>'
        for d, p in enumerate(e.probabilities)
    )
    rows.append(
        f'<div class="inside-layer" data-testid="inside-layer-{len(e.activations)}">'
        f'<span class="inside-layer-name">{text("inside.answer_layer", lang)}</span>'
        f'<div class="inside-outputs">{outputs}</div></div>'
    )
    widest = max(len(a) for a in hidden)  # rows narrow like a funnel, every cell one width
    return f'<div class="inside-net" style="--widest:{widest}">{"".join(rows)}</div>'


def _attribution(e: Explanation, lang: str = DEFAULT) -> str:
    """The drawing, coloured by integrated gradients: for the answer, and for the runner-up."""
    # One symmetric scale for both maps, so "why not" is drawn as weak as it is; the 99th
    # percentile of the inked pixels, so one extreme pixel does not wash the rest out.
    both = np.abs(np.stack([e.attribution, e.runner_up_attribution]))
    inked = both[both > 0]
    scale = float(np.percentile(inked, 99)) if inked.size else 1.0

    def panel(values: np.ndarray, title: str, text: str) -> str:
        png = _diverging_png(values / scale, MAP_SHADES)
        return (
            f'<figure class="inside-map"><div class="inside-frame"><i class="inside-ink"></i>'
            f'<img alt="{title}" src="data:image/png;base64,{png}"></div>'
            f"<figcaption><b>{title}</b> {text}</figcaption></figure>"
        )

    return (
        '<section class="inside-attribution" data-testid="inside-attribution">'
        + panel(
            e.attribution,
            text("inside.why", lang, digit=e.top),
            text("inside.why_text", lang, digit=e.top),
        )
        + panel(
            e.runner_up_attribution,
            text("inside.why_not", lang, digit=e.runner_up),
            text("inside.why_not_text", lang, digit=e.runner_up),
        )
        + f'<div class="inside-legend"><span>{text("inside.pushed_away", lang)}</span><i></i>'
        f"<span>{text('inside.pushed_towards', lang)}</span></div>"
        "</section>"
    )


def _units(e: Explanation, lang: str = DEFAULT) -> str:
    """The first-layer units that gave most to the answer, each showing the pattern it looks for."""
    figures = "".join(
        f'<figure class="inside-unit">{_sprite_cell(u)}<figcaption>{text("inside.unit", lang, unit=u)}'
        "</figcaption></figure>"
        for u in e.units
    )
    return (
        '<section class="inside-units"><div class="inside-unit-row">'
        f"{figures}</div><p>{text('inside.units_text', lang, digit=e.top)}</p></section>"
    )


def _sprite_cell(unit: int) -> str:
    """One unit's pattern: its cell of the gallery sprite, over the drawing."""
    row, col = divmod(unit, GALLERY_COLUMNS)
    return (
        '<div class="inside-frame"><i class="inside-ink"></i>'
        f'<i class="inside-pattern" style="--c:{col};--r:{row}"></i></div>'
    )


def _gallery(e: Explanation, lang: str = DEFAULT) -> str:
    """All first-layer patterns (the sprite) under a grid that dims the units not firing now."""
    top = set(e.units)
    cells = "".join(
        f'<i class="{"top" if u in top else "on" if a > 0 else ""}"></i>'
        for u, a in enumerate(e.activations[0])
    )
    firing = int(np.count_nonzero(e.activations[0] > 0))
    return (
        '<section class="inside-gallery" data-testid="inside-gallery">'
        f"<p>{text('inside.gallery_text', lang, units=len(e.activations[0]), firing=firing)}</p>"
        f'<div class="inside-sprite"><div class="inside-overlay">{cells}</div></div></section>'
    )


# The gallery sprite, made once per set of weights. Explanations of one network share one
# weight array (model/explanation.py), so identity is enough to know it is still valid.
_sprite_cache: tuple[np.ndarray, str] | None = None


def _sprite(weights: np.ndarray) -> str:
    """`patterns_png`, cached for the weights array the panel was last drawn with."""
    global _sprite_cache
    cached = _sprite_cache
    if cached is not None and cached[0] is weights:
        return cached[1]
    _sprite_cache = (weights, patterns_png(weights))
    return _sprite_cache[1]


def patterns_png(weights: np.ndarray) -> str:
    """Base64 PNG of every unit's weights (units, 28, 28), in rows of GALLERY_COLUMNS: red where
    ink makes the unit fire, blue where it calms it (also the "Watch it learn" tab's picture)."""
    n, rows = len(weights), _rows(len(weights))
    # Each unit on its own scale (its 99th percentile |weight|), squared so the faint noise
    # of an unused pixel fades out and the strokes it looks for stand out (and the PNG shrinks).
    scale = np.percentile(np.abs(weights).reshape(n, -1), 99, axis=1)[:, None, None] + 1e-12
    values = np.clip(weights / scale, -1, 1)
    values = np.sign(values) * values**2
    padded = np.zeros((rows * GALLERY_COLUMNS, 28, 28), np.float32)
    padded[:n] = values
    grid = padded.reshape(rows, GALLERY_COLUMNS, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, -1)
    return _diverging_png(grid, SPRITE_SHADES)


def _rows(units: int) -> int:
    return -(-units // GALLERY_COLUMNS)


def _diverging_png(values: np.ndarray, shades: int) -> str:
    """Base64 PNG of values in [-1, 1] (clipped): red above zero, blue below, opacity |value|.

    A palette PNG, `shades` opacity steps per colour, alpha in the palette: 3-4x smaller than RGBA.
    """
    steps = np.round(np.clip(np.abs(values), 0, 1) * shades).astype(np.uint8)  # 0..shades
    index = np.where((values < 0) & (steps > 0), shades + steps, steps)  # 0 clear, then reds, blues
    image = Image.fromarray(index.astype(np.uint8), "P")
    image.putpalette([0, 0, 0, *(RED * shades), *(BLUE * shades)])
    alphas = [0, *(round(255 * s / shades) for s in range(1, shades + 1))]
    image.info["transparency"] = bytes(alphas + alphas[1:])
    return _png(image)


def _png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
