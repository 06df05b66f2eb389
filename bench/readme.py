"""Copy the latest benchmark tables into docs/measurements.md, between its markers.

    python -m bench.readme

docs/measurements.md holds `<!-- bench:NAME -->` ... `<!-- /bench:NAME -->` pairs; whatever is
between them is replaced by bench/results/NAME.md (the table, the command and the machine). The
text around the markers is left as it is, so running it twice changes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

from bench.common import RESULTS, ROOT

MEASUREMENTS = ROOT / "docs" / "measurements.md"
MARKED = re.compile(r"<!-- bench:(\w+) -->.*?<!-- /bench:\1 -->", flags=re.S)


def fill(text: str, results: Path = RESULTS) -> tuple[str, list[str]]:
    """`text` with every marked table replaced by results/NAME.md, and the names filled."""
    names: list[str] = []

    def table(match: re.Match) -> str:
        name = match.group(1)
        source = results / f"{name}.md"
        if not source.is_file():
            raise FileNotFoundError(f"{MEASUREMENTS.name} marks bench:{name}, but {source} does not exist")
        names.append(name)
        return f"<!-- bench:{name} -->\n{source.read_text().strip()}\n<!-- /bench:{name} -->"

    return MARKED.sub(table, text), names


def main() -> None:
    updated, names = fill(MEASUREMENTS.read_text())
    MEASUREMENTS.write_text(updated)
    print(f"updated {len(names)} tables in {MEASUREMENTS.relative_to(ROOT)}: {', '.join(names)}")


if __name__ == "__main__":
    main()
