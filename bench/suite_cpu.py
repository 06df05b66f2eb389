"""Where the test suite's CPU goes: run pytest and sample /proc for its whole process tree.

    python -m bench.suite_cpu                           # make test's run: -n 2 --dist loadfile
    python -m bench.suite_cpu tests/test_learn.py -n 0  # any pytest arguments (-n 0: one process)

On a shared machine wall time says little; CPU seconds are steadier. Every half second this reads
each process under pytest (`/proc/PID/stat`), sorts it by kind (the pytest controller and
workers, the warm interpreter and the apps and command lines forked from it, a cold `python
app.py`, reading workers, Chromium, Playwright's driver, ...) and charges its new CPU to that kind
and to the test its pytest worker was running then (this file is also a pytest plugin: `-p
bench.suite_cpu` writes each worker's current test for the sampler). A process that ends between
two samples loses its last half second. Prints the totals by kind, by file and the costliest
tests, and writes them as JSON (--json).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
NOW = "SUITE_CPU_DIR"  # the folder where each pytest worker writes the test it runs


def pytest_runtest_logstart(nodeid: str, location) -> None:
    """(pytest hook, in each worker) Say which test this process runs now."""
    if os.environ.get(NOW):
        Path(os.environ[NOW], str(os.getpid())).write_text(nodeid)
        if os.environ.get("PYTEST_XDIST_WORKER"):  # for what the shared warm interpreter forks for it
            Path(os.environ[NOW], os.environ["PYTEST_XDIST_WORKER"]).write_text(nodeid)


def stat(pid: int) -> tuple[int, int, int]:
    """(parent pid, CPU ticks so far, start time) of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19])


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def kind(cmd: str, parent: str) -> str:
    """What a process is, from its command line and its parent's."""
    if "chrom" in cmd:
        return "chromium"
    if "playwright/driver" in cmd:
        return "playwright driver"
    if "harness.warm_start" in cmd:
        return "forked warm (apps, command lines)" if "harness.warm_start" in parent else "warm interpreter"
    if "exec(eval(sys.stdin" in cmd:
        return "pytest worker"
    if "-m pytest" in cmd:
        return "pytest controller"
    if "app.py" in cmd:
        return "cold python app.py"
    if "ui.worker" in cmd:
        return "reading worker"
    if "multiprocessing" in cmd:
        return "multiprocessing child"
    return "other: " + " ".join(cmd.split()[:2])[-60:]


def sample(run: subprocess.Popen, now_dir: Path, every: float = 0.5) -> dict:
    """Sample the tree under `run` until it ends: CPU seconds by kind and test."""
    root = run.pid
    owner: dict[tuple[int, int], tuple[str, int | str | None]] = {}  # (pid, start) -> (kind, worker)
    seen: dict[tuple[int, int], int] = {}
    unnamed: dict[tuple[int, int], int] = {}  # forked by the shared warm interpreter, worker not known yet
    by = collections.Counter()
    tic = time.monotonic()
    while run.poll() is None:
        procs = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    procs[int(name)] = stat(int(name))
                except (OSError, IndexError):
                    continue
        children = collections.defaultdict(list)
        for pid, (ppid, _, _) in procs.items():
            children[ppid].append(pid)
        stack = [(root, None, "")]
        while stack:  # the tree under root, each process with the pytest worker above it
            pid, worker, parent = stack.pop()
            if pid not in procs:
                continue
            key, cmd = (pid, procs[pid][2]), command(pid)
            if key not in owner:
                what = kind(cmd, parent)
                # (with -n 0 the controller runs the tests itself)
                mine = pid if what.startswith("pytest") else worker
                if what.startswith("forked") and worker == root:  # by the controller's shared warm
                    named = now_dir / f"started-{pid}"  # interpreter: the worker that asked says so
                    if named.exists():
                        mine = named.read_text()
                    elif unnamed.setdefault(key, 0) < 4:  # not yet written: the next sample
                        unnamed[key] += 1
                        continue
                owner[key] = (what, mine)
            stack += [(child, owner[key][1], cmd) for child in children[pid]]
        for pid, (_, ticks, start) in procs.items():
            key = (pid, start)
            if key in owner and ticks > seen.get(key, 0):
                what, worker = owner[key]
                test = (
                    (now_dir / str(worker)).read_text() if worker and (now_dir / str(worker)).exists() else ""
                )
                by[(what, test)] += (ticks - seen.get(key, 0)) / TICK
                seen[key] = ticks
        time.sleep(every)
    return {"wall_s": time.monotonic() - tic, "cpu_s": dict((f"{k}|{t}", v) for (k, t), v in by.items())}


def report(result: dict, top: int = 15) -> str:
    by_kind, by_file, by_test = collections.Counter(), collections.Counter(), collections.Counter()
    for key, seconds in result["cpu_s"].items():
        what, test = key.split("|", 1)
        by_kind[what] += seconds
        by_file[test.split("::")[0] or "(start-up, between files)"] += seconds
        by_test[test or "(start-up, between files)"] += seconds
    lines = [f"{sum(by_kind.values()):.0f} s of CPU in {result['wall_s']:.0f} s", "", "by kind:"]
    lines += [f"  {s:7.1f}  {k}" for k, s in by_kind.most_common()]
    lines += ["", "by file:"] + [f"  {s:7.1f}  {k}" for k, s in by_file.most_common(top)]
    lines += ["", "by test:"] + [f"  {s:7.1f}  {k}" for k, s in by_test.most_common(top)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args, pytest_args = parser.parse_known_args()
    pytest_args = pytest_args or ["-n", "2", "--dist", "loadfile"]
    with tempfile.TemporaryDirectory(prefix="suite-cpu-") as folder:
        env = {**os.environ, NOW: folder}
        run = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "bench.suite_cpu", "-q", *pytest_args], env=env
        )
        result = sample(run, Path(folder))
        result["returncode"] = run.returncode
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return result["returncode"]


if __name__ == "__main__":
    sys.exit(main())
