"""How a reading looks: the number, then one card per digit with what the model saw (28x28,
enlarged with crisp pixels) and all ten probabilities as bars, the winner highlighted.

Plain HTML with inline PNGs: no files are written per request (a crowd would fill the disk),
and Gradio's theme variables give the colours, so light and dark themes both work.
"""

from __future__ import annotations

import base64
import functools
import html
import io

import numpy as np
from PIL import Image

from model.reading import DigitReading, Reading

HINT = "Draw a digit: 0 to 9, or a whole number."
UPLOAD_HINT = "Upload a photo or a scan of a handwritten digit or number, or pick an example below."
# A reading is shown as a guess, or as not a digit, by its verdict (model/numbers/verdict.py).
UNSURE_HINT = "not sure: try drawing it bigger or clearer"
NOT_A_DIGIT = "That doesn't look like a digit. Try 0 to 9"
GUESS_NOTE = "the model's guess, for the curious"
# A digit that touched ink it was cut apart from (a neighbour, a joining stroke) says so.
CUT_BADGE = '<span class="cut" title="cut apart from ink it touched">split</span>'
# ...and says it in words once under the cards (a phone shows no tooltip).
CUT_NOTE = "“split”: that digit touched other ink and was cut apart from it to be read."
# A piece of a reading that does not look like a digit says so on its card.
ODD_BADGE = '<span class="odd" title="this piece does not look like a digit">not a digit?</span>'


def reading_html(reading: Reading | None, message: str | None = None, headline: bool = True) -> str:
    """The whole result panel for a reading, or a friendly message when there is none.

    `headline=False` leaves out the "I see 7" line, for the pad, which shows it beside the canvas.
    """
    if reading is None or not reading.digits:
        text = html.escape(message or HINT)
        return f'<div class="digit-result empty"><p class="hint">{text}</p></div>'
    cards = "".join(_digit_card(d, i) for i, d in enumerate(reading.digits))
    cut = (
        f'<p class="cut-note" data-testid="cut-note">{CUT_NOTE}</p>'
        if any(d.cut for d in reading.digits)
        else ""
    )
    if reading.verdict == "not_a_digit":
        # said kindly, in the page and the pad alike; the cards stay, marked as a guess
        top = (
            f'<p class="answer not-a-digit">{NOT_A_DIGIT}</p>'
            f'<p class="guess-note">{GUESS_NOTE}: <strong class="number">{reading.number}</strong></p>'
        )
        return f'<div class="digit-result not-a-digit">{top}<div class="cards guess">{cards}</div>{cut}</div>'
    top = ""
    if headline:
        label = "I read" if len(reading.digits) > 1 else "I see"
        caption = "" if is_sure(reading) else f'<span class="unsure">({UNSURE_HINT})</span>'
        top = f'<p class="answer">{label} <strong class="number">{reading.number}</strong> {caption}</p>'
    guess = "" if is_sure(reading) else " guess"
    return f'<div class="digit-result">{top}<div class="cards{guess}">{cards}</div>{cut}</div>'


def pad_reply(
    reading: Reading | None,
    message: str,
    inside: str | None = None,
    busy: bool = False,
    html: str | None = None,
) -> dict:
    """What the pad's server function answers (ui/pad.js shows it): the cards (the number itself
    goes beside the canvas), the JSON, and the "Look inside" panel when it is open. `html`
    replaces the cards (the "Watch it learn" tab shows two networks side by side)."""
    result = reading.to_dict() if reading is not None else {"number": "", "verdict": "empty", "digits": []}
    result["message"] = message
    return {
        "html": html if html is not None else reading_html(reading, message or None, headline=False),
        "number": result["number"],
        "verdict": result["verdict"],
        "sure": reading is None or is_sure(reading),
        "reading": result,
        "busy": busy,
        "inside": inside,
    }


def is_sure(reading: Reading) -> bool:
    """Whether the reading is shown as a fact, not a guess (its verdict is "number")."""
    return reading.verdict == "number"


def _digit_card(d: DigitReading, index: int) -> str:
    rows = []
    # each digit's rank, the answer first: a phone's compact card shows the top three (pad.css)
    ranked = sorted(range(len(d.probabilities)), key=lambda k: (k != d.digit, -d.probabilities[k]))
    for k, p in enumerate(d.probabilities):
        top = " top" if k == d.digit else ""
        rank = ranked.index(k)
        rows.append(
            f'<div class="bar-row{top}" data-rank="{rank}" style="--rank:{rank}">'
            f'<span class="bar-label">{k}</span>'
            f'<span class="bar"><span class="fill" style="width:{100 * p:.1f}%"></span></span>'
            f'<span class="bar-value">{100 * p:.1f}%</span></div>'
        )
    not_digit = " not-a-digit" if d.not_a_digit else ""
    return (
        f'<div class="card{not_digit}" data-digit="{d.digit}" data-index="{index}">'
        f'<div class="seen"><img class="preview" alt="the 28x28 image the model saw" '
        f'src="data:image/png;base64,{png_base64(d.image)}">'
        f'<span class="digit">{d.digit}</span>'
        f'<span class="confidence">{100 * d.confidence:.1f}%</span>{CUT_BADGE if d.cut else ""}'
        f"{ODD_BADGE if d.not_a_digit else ''}</div>"
        f'<div class="bars">{"".join(rows)}</div></div>'
    )


def png_base64(image: np.ndarray) -> str:
    """A (28, 28) float image in [0, 1] as a base64 PNG (about 300 bytes)."""
    pixels = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    return _encoded(pixels.tobytes(), pixels.shape)


@functools.lru_cache(maxsize=1024)
def _encoded(pixels: bytes, shape: tuple[int, ...]) -> str:
    # While the pen moves, most frames carry digits already drawn and unchanged: their previews
    # are encoded once (issue 27: PNG encoding was about 2% of a reading's CPU).
    buffer = io.BytesIO()
    Image.fromarray(np.frombuffer(pixels, np.uint8).reshape(shape)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
