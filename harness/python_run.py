"""`python *args` for the tests' command lines (train.py, `-m model.feedback.export`): forked
from the suite's warm interpreter when there is one (harness/warm_start.py), so a run does not
spend its first 8-10 s of CPU importing torch; a fresh interpreter otherwise.

    result = run_python(["train.py", "--help"])   # a subprocess.CompletedProcess, text output
    result = run_python(["-c", code, "arg"])       # as python -c
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from . import server

ROOT = Path(__file__).resolve().parent.parent


def run_python(
    args: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run `python *args` to its end in `cwd` with `env` (default: this process's), capturing its
    output as text; warm where the environment allows it."""
    env = dict(os.environ if env is None else env)
    if server.warm is not None and server.warm.fits(env):
        return server.warm.run(args, env, cwd, timeout)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
