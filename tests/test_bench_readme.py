"""bench/readme.py copies the benchmark tables into docs/measurements.md, and the page is current.

python -m pytest tests/test_bench_readme.py                  # no data, no network
"""

from __future__ import annotations

import pytest

from bench.readme import MEASUREMENTS, fill


def test_tables_are_replaced_between_markers_and_the_text_around_them_is_kept(tmp_path):
    (tmp_path / "speed.md").write_text("| new | table |\n")
    text = "Intro.\n<!-- bench:speed -->\n| old | table |\n<!-- /bench:speed -->\nAfter.\n"

    updated, names = fill(text, tmp_path)

    assert names == ["speed"]
    assert updated == "Intro.\n<!-- bench:speed -->\n| new | table |\n<!-- /bench:speed -->\nAfter.\n"
    assert fill(updated, tmp_path)[0] == updated  # a second run changes nothing


def test_a_marker_without_results_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"gone\.md"):
        fill("<!-- bench:gone -->\n<!-- /bench:gone -->", tmp_path)


def test_measurements_page_holds_the_latest_tables():
    text = MEASUREMENTS.read_text()
    updated, names = fill(text)
    assert {"accuracy", "multidigit", "latency", "crowd", "reliability", "attack", "nondigits"} <= set(names)
    assert updated == text, "bench/results changed since the page was filled: run python -m bench.readme"
