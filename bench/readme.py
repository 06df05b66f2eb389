"""Copy the latest benchmark tables into README.md, between its markers.

    python -m bench.readme

README.md holds `<!-- bench:NAME -->` ... `<!-- /bench:NAME -->` pairs; whatever is between
them is replaced by bench/results/NAME.md (the table, the command and the machine).
"""

from __future__ import annotations

import re

from bench.common import RESULTS, ROOT

README = ROOT / "README.md"


def main() -> None:
    text = README.read_text()

    def fill(match: re.Match) -> str:
        name = match.group(1)
        table = (RESULTS / f"{name}.md").read_text().strip()
        return f"<!-- bench:{name} -->\n{table}\n<!-- /bench:{name} -->"

    updated, count = re.subn(r"<!-- bench:(\w+) -->.*?<!-- /bench:\1 -->", fill, text, flags=re.S)
    README.write_text(updated)
    print(f"updated {count} tables in {README.name}")


if __name__ == "__main__":
    main()
