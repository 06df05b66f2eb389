"""What every benchmark shares: the machine it ran on, where results go, how tables are written.

Each benchmark writes bench/results/<name>.json (everything measured) and <name>.md (the table
docs/measurements.md quotes, copied there by bench/readme.py), with the machine and the command in both.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DATA = ROOT / "data"  # as train.py; MNIST is downloaded there when absent


def machine() -> dict:
    """A short description of where the numbers come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "os": platform.platform(terse=True),
    }


def summary(seconds: list[float]) -> dict:
    """Median and p99 in milliseconds, with the sample count."""
    ms = np.asarray(seconds) * 1e3
    return {"median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99)), "n": len(ms)}


def write(name: str, data: dict, table: str, command: str) -> None:
    """Save <name>.json and <name>.md under bench/results/."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    info = machine()
    data = {"command": command, "date": stamp, "machine": info, **data}
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    where = f"{info['cpu']}, {info['cores']} cores" + (f", {info['gpu']}" if info["gpu"] else "")
    text = f"{table.rstrip()}\n\n<sub>`{command}` on {where}, torch {info['torch']}, {stamp}.</sub>\n"
    (RESULTS / f"{name}.md").write_text(text)
    print(text)


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def interval(correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (scipy); (0, 0) for no trials."""
    if n == 0:
        return (0.0, 0.0)
    from scipy.stats import binomtest

    ci = binomtest(int(correct), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)
