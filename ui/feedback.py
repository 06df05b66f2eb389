"""What a visitor sees of the corrections: the consent line under the cards, and the booth screen.

    side = consent_html(kiosk=False)        # the opt-in, in plain words, off by default
    screen = booth_html(tally, on=True)     # "Right N of M times today", what each digit was read as,
                                            # and apart from those, the drawings that were not digits

The buttons on each card ("Right!", "No, it was…", the ten digits and "not a digit") are added by
ui/feedback.js once an answer is final, so the pad stays calm while someone draws. Colours come
from Gradio's theme variables (ui/feedback.css), so light and dark themes both work.
"""

from __future__ import annotations

import html

from model.feedback import Tally

from .render import HINT

CONSENT_LABEL = "Keep the digits I mark, to help it learn"
CONSENT_TEXT = (
    "Off unless you tick it. Then each digit you mark “Right!” or “No, it was…” is kept on this "
    "server: that digit as you drew it (small, grey), what the network saw and answered, your "
    "answer and the time, to count how often it is right and to train it better. No name, no "
    "address, nothing else you draw."
)
OFF_TEXT = "Corrections are off on this server right now; reading works as usual."


def consent_html() -> str:
    """The opt-in under the result cards: a checkbox, unticked, and what it means."""
    return (
        '<div class="fb-consent" data-testid="consent-box">'
        f'<label><input type="checkbox" data-testid="consent"> {html.escape(CONSENT_LABEL)}</label>'
        f'<p class="fb-what">{html.escape(CONSENT_TEXT)}</p>'
        f'<p class="fb-off" data-testid="feedback-off" hidden>{html.escape(OFF_TEXT)}</p>'
        "</div>"
    )


def booth_html(tally: Tally | None, on: bool = True) -> str:
    """The pad's empty state: the hint, then today's score and where it goes wrong (when anyone
    has marked an answer today)."""
    hint = f'<p class="hint">{html.escape(HINT)}</p>'
    if tally is not None and tally.total == 0 and tally.not_digits:
        return f'<div class="digit-result empty booth" data-testid="booth">{hint}{_not_digits(tally)}</div>'
    if tally is None or tally.total == 0:
        invite = (
            "After a reading, tell it “Right!” or “No, it was…”: it keeps score here." if on else OFF_TEXT
        )
        invite = f'<p class="booth-invite">{invite}</p>'
        return f'<div class="digit-result empty booth" data-testid="booth">{hint}{invite}</div>'
    score = (
        f'<p class="booth-score">Right <strong data-testid="booth-right">{tally.right}</strong> of '
        f'<strong data-testid="booth-total">{tally.total}</strong> times today</p>'
    )
    return (
        f'<div class="digit-result empty booth" data-testid="booth">{hint}{score}'
        f"{_confusion(tally)}{_mistakes(tally)}{_not_digits(tally)}</div>"
    )


def _not_digits(tally: Tally) -> str:
    """Drawings visitors said are not digits, apart from the digits' score: how many, and how
    many of them the reading had doubted too."""
    if not tally.not_digits:
        return ""
    n, doubted = tally.not_digits, tally.not_digits_doubted
    return (
        f'<p class="booth-not-digits" data-testid="booth-not-digits">Not digits: '
        f'<strong data-testid="booth-not-digits-total">{n}</strong> drawing{"s" * (n != 1)} today; '
        f'it had doubted <strong data-testid="booth-not-digits-doubted">{doubted}</strong> of them.</p>'
    )


def _confusion(tally: Tally) -> str:
    """A 10x10 grid: rows are the digits drawn, columns what it read; right answers on the
    diagonal in quiet grey, mistakes in the error colour, stronger for a bigger share."""
    cells = ['<span class="corner">drawn ↓ read →</span>']
    cells += [f'<span class="head">{k}</span>' for k in range(10)]
    for label, row in enumerate(tally.confusion):
        drawn = sum(row)
        cells.append(f'<span class="head">{label}</span>')
        for answer, n in enumerate(row):
            kind = "right" if answer == label else "wrong"
            share = round(100 * n / drawn) if drawn else 0
            title = f"drawn {label}, read as {answer}: {n} time{'s' * (n != 1)}"
            text = n if n else ""
            cells.append(f'<span class="cell {kind}" style="--share:{share}%" title="{title}">{text}</span>')
    return (
        '<div class="booth-chart" data-testid="booth-chart" role="img" '
        'aria-label="What each digit drawn today was read as">'
        f"{''.join(cells)}</div>"
    )


def _mistakes(tally: Tally) -> str:
    worst = tally.mistakes()
    if not worst:
        return '<p class="booth-worst">No mistakes marked today.</p>'
    said = ", ".join(f"{drawn} read as {read} ({n}×)" for n, drawn, read in worst)
    return f'<p class="booth-worst">Mixed up most: {said}.</p>'
