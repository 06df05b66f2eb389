"""The page in the visitor's language, as far as Gradio goes: its own translations of our labels
and Markdown (gr.I18n), the header's switch, and what goes in the page's <head>.

The tables themselves, and picking one, are in ui/words.py. The browser gets the same tables
(`head()`, ui/i18n.js): our HTML marks its translatable elements with data-i18n="key", and pad.js
and feedback.js look their words up there.
"""

from __future__ import annotations

import html
import json

import gradio as gr
from gradio.i18n import I18nData

from .words import DEFAULT, STRINGS, tables


def gradio_i18n(**computed: dict[str, str]) -> gr.I18n:
    """Gradio's own translations (component labels, Markdown), from the same tables: every key,
    plus `computed` ones made per app ({key: {lang: text}}, e.g. the footer with its numbers)."""
    langs = {lang: {**table} for lang, table in tables().items()}
    for key, by_lang in computed.items():
        for lang in langs:
            langs[lang][key] = by_lang.get(lang, by_lang[DEFAULT])
    return gr.I18n(**langs)


def label(key: str, computed: bool = False) -> I18nData:
    """A component label or Markdown in the visitor's language (translated by Gradio's page).
    `computed`: one of `gradio_i18n`'s made-per-app keys rather than one of the tables'."""
    if not computed and key not in tables()[DEFAULT]:
        raise KeyError(key)
    return I18nData(key)


# The header's switch: each language named in itself, so a visitor finds their own.
NAMES = {"en": "English", "zh-CN": "中文"}
SWITCH_JS = """
const buttons = element.querySelectorAll("button[data-lang]");
const mark = () =>
  buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === pageI18n.lang())));
buttons.forEach((b) => b.addEventListener("click", () => pageI18n.set(b.dataset.lang, true).then(mark)));
pageI18n.set(pageI18n.lang(), false).then(mark);  // Gradio's labels follow our choice from the start
"""


def switch() -> gr.HTML:
    """The language switch for the header (needs `head()` in the page)."""
    buttons = "".join(
        f'<button type="button" data-lang="{code}" lang="{code}" data-testid="lang-{code}" '
        f'aria-pressed="false">{html.escape(NAMES.get(code, code))}</button>'
        for code in tables()
    )
    return gr.HTML(
        '<div class="lang-switch" role="group" data-i18n-label="page.switch_label" aria-label="Language">'
        f"{buttons}</div>",
        js_on_load=SWITCH_JS,
        elem_id="lang-switch",
        apply_default_css=False,
        min_width=0,
    )


def head() -> str:
    """What goes in the page's <head>: the tables and ui/i18n.js, which keeps our HTML in the
    visitor's language and offers `pageI18n.t(key, values)` to the pad's scripts."""
    data = json.dumps(tables(), ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    script = (STRINGS.parent / "i18n.js").read_text(encoding="utf-8")
    return f"<script>window.PAGE_STRINGS={data};\n{script}</script>"
