"""What a visitor sees of the corrections: the consent line under the cards, and the booth screen.

    side = consent_html(kiosk=False)        # the opt-in, in plain words, off by default
    screen = booth_html(tally, on=True)     # "Right N of M times today", what each digit was read as,
                                            # and apart from those, the drawings that were not digits

The buttons on each card ("Right!", "No, it was…", the ten digits and "not a digit") are added by
ui/feedback.js once an answer is final, so the pad stays calm while someone draws. Colours come
from Gradio's theme variables (ui/feedback.css), so light and dark themes both work.
"""

from __future__ import annotations

from model.feedback import Tally

from .words import DEFAULT, marked, text

OFF_TEXT = text("feedback.off")  # in English; each visitor gets their language's (ui/strings/)


def consent_html() -> str:
    """The opt-in under the result cards: a checkbox, unticked, and what it means (the page puts
    it in the visitor's language, ui/i18n.js)."""
    label = marked("feedback.consent_label")
    what = marked("feedback.consent_text", tag="p", attrs=' class="fb-what"')
    off = marked("feedback.off", tag="p", attrs=' class="fb-off" data-testid="feedback-off" hidden')
    return (
        '<div class="fb-consent" data-testid="consent-box">'
        f'<label><input type="checkbox" data-testid="consent"> {label}</label>{what}{off}</div>'
    )


def booth_html(tally: Tally | None, on: bool = True, lang: str = DEFAULT) -> str:
    """The pad's empty state in `lang`: the hint, then today's score and where it goes wrong (when
    anyone has marked an answer today)."""
    hint = f'<p class="hint">{text("reading.hint", lang)}</p>'
    if tally is not None and tally.total == 0 and tally.not_digits:
        not_digits = _not_digits(tally, lang)
        return f'<div class="digit-result empty booth" data-testid="booth">{hint}{not_digits}</div>'
    if tally is None or tally.total == 0:
        invite = text("feedback.invite" if on else "feedback.off", lang)
        invite = f'<p class="booth-invite">{invite}</p>'
        return f'<div class="digit-result empty booth" data-testid="booth">{hint}{invite}</div>'
    right = f'<strong data-testid="booth-right">{tally.right}</strong>'
    total = f'<strong data-testid="booth-total">{tally.total}</strong>'
    score = f'<p class="booth-score">{text("feedback.score", lang, right=right, total=total)}</p>'
    return (
        f'<div class="digit-result empty booth" data-testid="booth">{hint}{score}'
        f"{_confusion(tally, lang)}{_mistakes(tally, lang)}{_not_digits(tally, lang)}</div>"
    )


def _not_digits(tally: Tally, lang: str = DEFAULT) -> str:
    """Drawings visitors said are not digits, apart from the digits' score: how many, and how
    many of them the reading had doubted too."""
    if not tally.not_digits:
        return ""
    n = f'<strong data-testid="booth-not-digits-total">{tally.not_digits}</strong>'
    doubted = f'<strong data-testid="booth-not-digits-doubted">{tally.not_digits_doubted}</strong>'
    key = "feedback.not_digits_one" if tally.not_digits == 1 else "feedback.not_digits_many"
    said = text(key, lang, n=n, doubted=doubted)
    return f'<p class="booth-not-digits" data-testid="booth-not-digits">{said}</p>'


def _confusion(tally: Tally, lang: str = DEFAULT) -> str:
    """A 10x10 grid: rows are the digits drawn, columns what it read; right answers on the
    diagonal in quiet grey, mistakes in the error colour, stronger for a bigger share."""
    cells = [f'<span class="corner">{text("feedback.corner", lang)}</span>']
    cells += [f'<span class="head">{k}</span>' for k in range(10)]
    for label, row in enumerate(tally.confusion):
        drawn = sum(row)
        cells.append(f'<span class="head">{label}</span>')
        for answer, n in enumerate(row):
            kind = "right" if answer == label else "wrong"
            share = round(100 * n / drawn) if drawn else 0
            title = text(
                "feedback.cell_one" if n == 1 else "feedback.cell_many", lang, drawn=label, read=answer, n=n
            )
            shown = n if n else ""
            cells.append(f'<span class="cell {kind}" style="--share:{share}%" title="{title}">{shown}</span>')
    return (
        '<div class="booth-chart" data-testid="booth-chart" role="img" '
        f'aria-label="{text("feedback.chart_label", lang)}">'
        f"{''.join(cells)}</div>"
    )


def _mistakes(tally: Tally, lang: str = DEFAULT) -> str:
    worst = tally.mistakes()
    if not worst:
        return f'<p class="booth-worst">{text("feedback.no_mistakes", lang)}</p>'
    said = text("feedback.list_separator", lang).join(
        text("feedback.mix_item", lang, drawn=drawn, read=read, n=n) for n, drawn, read in worst
    )
    return f'<p class="booth-worst">{text("feedback.mixed_up", lang, list=said)}</p>'
