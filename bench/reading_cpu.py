"""CPU per reading in one process: the crowd's pad frames read as a reading worker reads them.

    python -m bench.reading_cpu                                # 5 rounds over the 240 frames
    python -m bench.reading_cpu --against /tmp/old --rounds 6  # this tree against another checkout

The frames are bench/crowd.py's (20 digits, each as it grows, 12 frames), as ui/pad.js sends
them: PNG data URLs, encoded once before the run, the growing frames marked live with the digits
their strokes can hold (`--frames final`: every frame as a pen-up frame, the heavier mix). Each
round is a fresh process (one torch thread, as a worker runs) that warms up, then answers every
frame with `Answers.pad` (checked, decoded, read, the reply built) and measures its own CPU time
(time.process_time) per frame.
No server, no client: the figure is the reading's own cost, which bench/crowd_server.py's
"server CPU per reading" adds HTTP and the pipes to. With `--against`, rounds alternate between
this tree and the other checkout (say `git worktree add /tmp/old HEAD~3`), and the ratio of the
medians is reported: on a shared machine only a ratio within one run means much.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT, markdown_table, write
from bench.crowd import MIXES, growing_drawings, pad_payloads

# Runs in the tree being measured (its own ui/ and model/), so an older checkout can be compared.
CHILD = r"""
import json, sys, time
import torch
torch.set_num_threads(1)  # as a reading worker runs (ui/worker.py)
from model.weights import DEFAULT_WEIGHTS
from ui.answers import Answers, load_model
payloads = [json.loads(line) for line in open(sys.argv[1])]
answers = Answers(load_model(DEFAULT_WEIGHTS))
for payload in payloads[:20]:
    answers.pad(payload)  # warm-up
cpu = []
for payload in payloads:
    tic = time.process_time()
    answers.pad(payload)
    cpu.append(time.process_time() - tic)
print(json.dumps(cpu))
"""


def frames_file(folder: Path, mix: str = "pad") -> Path:
    """The pad's payloads, one JSON per line: every frame of every crowd drawing, as the pad
    sends them (bench.crowd.pad_payloads: `mix` "pad", or "final": all as pen-up frames)."""
    path = folder / "frames.jsonl"
    lines = [json.dumps(p) for _, frames in growing_drawings() for p in pad_payloads(frames, mix)]
    path.write_text("\n".join(lines) + "\n")
    return path


def one_round(tree: Path, frames: Path) -> list[float]:
    """CPU seconds per frame, read in a fresh process in `tree`."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(frames)], cwd=tree, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=5, help="rounds per tree (alternating with --against)")
    p.add_argument("--against", default=None, help="another checkout to compare with (its own model/, ui/)")
    p.add_argument("--label", default="other", help="the other checkout's name in the table")
    p.add_argument(
        "--frames", choices=MIXES, default="pad",
        help='"pad": live frames as ui/pad.js sends them (with max_digits), "final": all as pen-up frames',
    )  # fmt: skip
    args = p.parse_args()
    trees = {"this tree": ROOT} | ({args.label: Path(args.against).resolve()} if args.against else {})
    rounds: dict[str, list[list[float]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as tmp:
        frames = frames_file(Path(tmp), args.frames)
        for k in range(args.rounds):
            for name, tree in trees.items():
                cpu = one_round(tree, frames)
                rounds[name].append(cpu)
                print(f"round {k + 1} {name}: {1e3 * statistics.mean(cpu):.2f} ms per reading", flush=True)
    rows, results = [], {}
    for name, runs in rounds.items():
        means = [1e3 * statistics.mean(cpu) for cpu in runs]
        medians = [1e3 * statistics.median(cpu) for cpu in runs]
        results[name] = {"mean_ms": statistics.median(means), "median_ms": statistics.median(medians)}
        results[name] |= {"round_means_ms": means, "frames": len(runs[0])}
        rows.append([name, len(runs), f"{results[name]['mean_ms']:.2f}", f"{results[name]['median_ms']:.2f}"])
    header = ["tree", "rounds", "CPU ms per reading (mean)", "per frame, median ms"]
    text = markdown_table(header, rows)
    if args.against:
        ratio = results["this tree"]["mean_ms"] / results[args.label]["mean_ms"]
        results["ratio"] = ratio
        text += f"\n\nThis tree over {args.label}: {ratio:.2f} of the CPU per reading"
        text += " (medians of alternating rounds)."
    command = "python -m bench.reading_cpu " + " ".join(sys.argv[1:])
    write("reading_cpu", {"results": results}, text, command.strip())


if __name__ == "__main__":
    main()
