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

from .words import DEFAULT, marked, text

# The English words; each visitor gets their language's (ui/strings/).
HINT = text("reading.hint")
# A reading is shown as a guess, or as not a digit, by its verdict (model/numbers/verdict.py).
UNSURE_HINT = text("reading.unsure")
NOT_A_DIGIT = text("reading.not_a_digit")


def reading_html(
    reading: Reading | None, message: str | None = None, headline: bool = True, lang: str = DEFAULT
) -> str:
    """The whole result panel for a reading, or a friendly message when there is none, in `lang`.

    `headline=False` leaves out the "I see 7" line, for the pad, which shows it beside the canvas.
    """
    if reading is None or not reading.digits:
        if message is None:  # the hint: switched with the page's language, as it stands
            return hint_html("reading.hint", lang)
        return f'<div class="digit-result empty"><p class="hint">{html.escape(message)}</p></div>'
    cards = "".join(_digit_card(d, i, lang) for i, d in enumerate(reading.digits))
    # a digit cut from ink it touched is explained in words once (a phone shows no tooltip)
    cut = (
        marked("reading.split_note", lang, "p", ' class="cut-note" data-testid="cut-note"')
        if any(d.cut for d in reading.digits)
        else ""
    )
    if reading.verdict == "not_a_digit":
        # said kindly, in the page and the pad alike; the cards stay, marked as a guess
        top = (
            f'<p class="answer not-a-digit">{text("reading.not_a_digit", lang)}</p>'
            f'<p class="guess-note">{text("reading.guess_note", lang)}: '
            f'<strong class="number">{reading.number}</strong></p>'
        )
        return f'<div class="digit-result not-a-digit">{top}<div class="cards guess">{cards}</div>{cut}</div>'
    top = ""
    if headline:
        label = text("pad.i_read" if len(reading.digits) > 1 else "pad.i_see", lang)
        caption = "" if is_sure(reading) else f'<span class="unsure">({text("reading.unsure", lang)})</span>'
        top = f'<p class="answer">{label} <strong class="number">{reading.number}</strong> {caption}</p>'
    guess = "" if is_sure(reading) else " guess"
    return f'<div class="digit-result">{top}<div class="cards{guess}">{cards}</div>{cut}</div>'


def hint_html(key: str, lang: str = DEFAULT) -> str:
    """The empty result panel: a hint (a key of ui/strings/) that follows the page's language."""
    hint = marked(key, lang, "p", ' class="hint"')
    return f'<div class="digit-result empty">{hint}</div>'


def pad_reply(
    reading: Reading | None,
    message: str,
    inside: str | None = None,
    busy: bool = False,
    html: str | None = None,
    lang: str = DEFAULT,
) -> dict:
    """What the pad's server function answers (ui/pad.js shows it): the cards (the number itself
    goes beside the canvas), the JSON, and the "Look inside" panel when it is open. `html`
    replaces the cards (the "Watch it learn" tab shows two networks side by side). `message`
    and the cards are in `lang`; the JSON's keys stay English."""
    result = reading.to_dict() if reading is not None else {"number": "", "verdict": "empty", "digits": []}
    result["message"] = message
    return {
        "html": reading_html(reading, message or None, False, lang) if html is None else html,
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


def _digit_card(d: DigitReading, index: int, lang: str = DEFAULT) -> str:
    rows = []
    digit = d.digit  # once: the property is an argmax, and a card asked for it 25 times (issue 27)
    # each digit's rank, the answer first: a phone's compact card shows the top three (pad.css)
    ranked = sorted(range(len(d.probabilities)), key=lambda k: (k != digit, -d.probabilities[k]))
    for k, p in enumerate(d.probabilities):
        top = " top" if k == digit else ""
        rank = ranked.index(k)
        rows.append(
            f'<div class="bar-row{top}" data-rank="{rank}" style="--rank:{rank}">'
            f'<span class="bar-label">{k}</span>'
            f'<span class="bar"><span class="fill" style="width:{100 * p:.1f}%"></span></span>'
            f'<span class="bar-value">{100 * p:.1f}%</span></div>'
        )
    not_digit = " not-a-digit" if d.not_a_digit else ""
    return (
        f'<div class="card{not_digit}" data-digit="{digit}" data-index="{index}">'
        f'<div class="seen"><img class="preview" alt="{text("reading.preview_alt", lang)}" '
        f'src="data:image/png;base64,{png_base64(d.image)}">'
        f'<span class="digit">{digit}</span>'
        f'<span class="confidence">{100 * d.confidence:.1f}%</span>'
        f"{_badge('cut', 'reading.split', 'reading.split_title', lang) if d.cut else ''}"
        f"{_badge('odd', 'reading.odd', 'reading.odd_title', lang) if d.not_a_digit else ''}</div>"
        f'<div class="bars">{"".join(rows)}</div></div>'
    )


def _badge(kind: str, key: str, title: str, lang: str) -> str:
    """A digit cut apart from ink it touched ("split"), or a piece that does not look like a digit."""
    return f'<span class="{kind}" title="{text(title, lang)}">{text(key, lang)}</span>'


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
