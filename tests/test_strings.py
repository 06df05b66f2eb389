"""The page's words: every language has every key, with the same placeholders; every key is used;
a visitor's language is picked from what their browser says.

    python -m pytest tests/test_strings.py
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ui.words import STRINGS, from_header, language, of_payload, tables, text

ROOT = Path(__file__).resolve().parent.parent
# where the keys are used: our Python and the page's scripts
SOURCES = [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "ui").glob("*.js"))]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
CJK = re.compile(r"[\u4e00-\u9fff]")
# strings that are only a name in Chinese ("GPU", "ZeroGPU: ..."), where English adds "on the"
NAMES_ONLY = {"learn.on_gpu", "learn.on_device", "learn.zerogpu"}


def english() -> dict[str, str]:
    return tables()["en"]


@pytest.mark.parametrize("lang", [path.stem for path in sorted(STRINGS.glob("*.json"))])
def test_every_language_has_every_key_with_the_same_placeholders(lang):
    table = tables()[lang]
    assert sorted(set(english()) - set(table)) == [], f"missing in {lang}.json"
    assert sorted(set(table) - set(english())) == [], f"in {lang}.json but not in en.json"
    for key, value in table.items():
        assert set(PLACEHOLDER.findall(value)) == set(PLACEHOLDER.findall(english()[key])), key
        assert value.count("<b>") == english()[key].count("<b>"), key  # the same words stand out


def test_every_key_is_used_somewhere():
    source = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)
    unused = [key for key in english() if f'"{key}"' not in source and f"'{key}'" not in source]
    assert unused == []


def test_the_chinese_is_chinese():
    """A string with English words in en.json has Chinese in zh-CN.json (not a copy left behind)."""
    untranslated = []
    for key, value in tables()["zh-CN"].items():
        words = re.findall(r"[A-Za-z]{3,}", PLACEHOLDER.sub("", re.sub(r"<[^>]+>", "", english()[key])))
        if words and not CJK.search(value) and key not in NAMES_ONLY:
            untranslated.append(key)
    assert untranslated == []


def test_digits_and_numbers_stay_as_they_are_in_chinese():
    for key, value in tables()["zh-CN"].items():
        numbers = re.findall(r"\d[\d,.]*", PLACEHOLDER.sub("", english()[key]))
        for number in numbers:
            assert number.rstrip(".,") in value, (key, number)


@pytest.mark.parametrize(
    "tag, lang",
    [
        ("zh-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh_CN", "zh-CN"),
        ("zh-SG", "zh-CN"),
        ("zh-TW", "en"),  # Traditional Chinese: not ours to guess; English, as Gradio does
        ("zh-Hant-HK", "en"),
        ("en-GB", "en"),
        ("fr", "en"),
        ("", "en"),
        (None, "en"),
        (42, "en"),
        ("zh-" + "x" * 200, "en"),  # hostile: too long to be a tag
    ],
)
def test_a_browser_language_picks_a_table(tag, lang):
    assert language(tag) == lang
    assert of_payload({"language": tag, "image": "..."}) == lang


@pytest.mark.parametrize(
    "header, lang",
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR, zh;q=0.5", "zh-CN"),  # French first, which we lack; Chinese next
        ("en;q=0.1, zh-CN;q=0.9", "zh-CN"),  # the weights decide, not the order
        ("zh-CN;q=0", None),  # q=0: "not this one"
        ("fr, de", None),
        ("", None),
        (None, None),  # an API client that did not ask: English, decided by the caller
        ("zh-CN;q=abc", None),
    ],
)
def test_accept_language_picks_a_table_or_none(header, lang):
    assert from_header(header) == lang


def test_a_missing_translation_falls_back_to_english_and_placeholders_are_filled():
    assert text("reading.hint", "fr") == english()["reading.hint"]
    assert text("feedback.kept_as", "zh-CN", label=7) == "已保存为 7，谢谢！"
    with pytest.raises(KeyError):
        text("no.such.key", "zh-CN")
