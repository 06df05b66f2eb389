"""The page's words, in every language it speaks: one JSON table per language in ui/strings/.

    text("reading.hint", "zh-CN")                # English where a language lacks a key
    text("feedback.kept_as", lang, label=7)      # {name} placeholders filled in
    language("zh-Hans-CN") == "zh-CN"            # a browser's tag -> a table we have ("en" if none)
    from_header("zh-CN,zh;q=0.9,en;q=0.8")       # an Accept-Language header -> a table, or None
    of_request(request)       # a queued event's visitor: their choice, else their browser's

A third language is one more file, named by the tag Gradio uses for it (ui/strings/fr.json).
The tables are ours: a string may hold markup (<b>, <br>) and goes into HTML as it is; a value
filled in that is not ours (a file name, a message from elsewhere) is escaped by the caller.
No Gradio here: the reading workers (ui/worker.py) render HTML in the visitor's language too.
What the page needs from Gradio (its translations, the switch, the <head>) is in ui/i18n.py.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path

STRINGS = Path(__file__).resolve().parent / "strings"
DEFAULT = "en"
COOKIE = "page-lang"  # the visitor's choice from the header's switch (ui/i18n.js sets it)
# Traditional Chinese is written differently; it falls back to English like any other language
# we lack (as Gradio's own translations do), not to Simplified Chinese.
TRADITIONAL = {"hant", "tw", "hk", "mo"}
MAX_TAG = 40  # RFC 5646's longest well-formed tags are shorter
MAX_HEADER = 500  # an Accept-Language longer than this is not a browser's: read its start only


@cache
def tables() -> dict[str, dict[str, str]]:
    """Every language's table, English first: {"en": {key: text}, "zh-CN": {...}}."""
    found = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(STRINGS.glob("*.json"))}
    return {DEFAULT: found.pop(DEFAULT), **found}


def text(key: str, lang: str = DEFAULT, **values: object) -> str:
    """The string `key` in `lang` (English when that table lacks it), placeholders filled in.
    Raises KeyError for a key no table has: a typo should fail a test, not reach a visitor."""
    table = tables().get(lang, {})
    template = table[key] if key in table else tables()[DEFAULT][key]
    return template.format(**values) if values else template


def language(tag: object) -> str:
    """The table for a browser's language tag ("zh-Hans-CN", "en-GB"): "en" when we have none."""
    return match(tag) or DEFAULT


def match(tag: object) -> str | None:
    """The table whose language is `tag`'s, or None."""
    if not isinstance(tag, str) or not tag.strip() or len(tag) > MAX_TAG:
        return None
    parts = tag.strip().lower().replace("_", "-").split("-")
    codes = {code.lower(): code for code in tables()}
    if "-".join(parts) in codes:
        return codes["-".join(parts)]
    if parts[0] == "zh" and TRADITIONAL & set(parts[1:]):
        return None
    return next((code for low, code in codes.items() if low.split("-")[0] == parts[0]), None)


def from_header(header: object) -> str | None:
    """The table an Accept-Language header prefers ("zh-CN,zh;q=0.9,en;q=0.8"), or None when it
    names none of ours (or there is no header: an API client that did not ask)."""
    if not isinstance(header, str):
        return None
    ranked = []
    for order, item in enumerate(header[:MAX_HEADER].split(",")):
        tag, _, params = item.strip().partition(";")
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        ranked.append((-q, order, tag.strip()))
    for q, _, tag in sorted(ranked):
        found = match(tag) if q < 0 else None
        if found:
            return found
    return None


def of_payload(payload: object) -> str:
    """The language a page's call asks for: {"language": "zh-CN", ...} (ui/pad.js sends it)."""
    return language(payload.get("language")) if isinstance(payload, dict) else DEFAULT


def of_request(request: object) -> str:
    """The language of a queued event's visitor: the switch's cookie, else the browser's header."""
    headers = getattr(request, "headers", None) or {}
    cookies = getattr(request, "cookies", None) or {}
    return match(cookies.get(COOKIE)) or from_header(headers.get("accept-language")) or DEFAULT


def marked(key: str, lang: str = DEFAULT, tag: str = "span", attrs: str = "", **values: object) -> str:
    """`<tag data-i18n="key">text</tag>`: HTML the page translates again when the visitor
    switches language (ui/i18n.js); `values` ride along in data-i18n-values."""
    carried = f' data-i18n-values="{html.escape(json.dumps(values))}"' if values else ""
    return f'<{tag}{attrs} data-i18n="{key}"{carried}>{text(key, lang, **values)}</{tag}>'
