"""The "Watch it learn" tab, measured in the real app: how fast a visitor's network learns, and
what a training costs the people drawing on the main pad meanwhile.

    python -m bench.learn_load --data-dir ./data            # writes bench/results/learn_load.*
    python -m bench.learn_load --data-dir ./data --visitors 4 --seconds 30 --runs 5

`python app.py` on loopback with DIGIT_DATA pointing at MNIST. First the training alone, `runs`
times: Train pressed through Gradio's queue as the page does (harness/queue_client.py), and the
status line read as a visitor sees it: when it first shows 97% test accuracy, what it ends on, and
how long the whole run took from the press. Then `visitors` drawing on the main pad as people do
(bench/crowd.py: live frames while the pen moves, the finished drawing on pen-up; latency is
pen-up to answer) for `seconds` with no training, and again for `seconds` while trainings run
back to back. Server, visitors and this script share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np

from bench.common import DEFAULT_DATA, markdown_table, summary, write
from bench.crowd import crowd, growing_drawings
from harness.queue_client import QueueClient
from harness.server import AppServer

ACCURACY = re.compile(r"test accuracy <b>([\d.]+)%")
FINAL = re.compile(r"reads <b>([\d.]+)%</b>")
TARGET = 97.0


def training(url: str) -> dict:
    """One press of Train: every check as the status line shows it, with seconds since the press."""
    client = QueueClient(url)
    pressed, checks, final = time.monotonic(), [], None
    for message in client.press("learn-train"):
        if message["msg"] not in ("process_generating", "process_completed"):
            continue
        text = str(message["output"]["data"][0])
        if found := ACCURACY.search(text):
            checks.append((round(message["t"] - pressed, 2), float(found.group(1))))
        if found := FINAL.search(text):
            final = (round(message["t"] - pressed, 2), float(found.group(1)))
    client.close()
    reached = next((t for t, accuracy in checks if accuracy >= TARGET), None)
    return {"checks": checks, "seconds_to_97": reached, "final": final}


def crowd_latency(url: str, visitors: int, seconds: float, drawings: list) -> dict:
    tally = asyncio.run(crowd(url, visitors, seconds, drawings))
    return {
        "readings": tally.readings,
        "final_answers": len(tally.latencies),
        "latency": summary(tally.latencies),
        "busy": tally.busy,
        "wrong": tally.wrong,
        "errors": len(tally.errors),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=str(DEFAULT_DATA), help="MNIST (torchvision layout)")
    p.add_argument("--runs", type=int, default=3, help="trainings alone")
    p.add_argument("--visitors", type=int, default=8, help="people drawing on the main pad at once")
    p.add_argument("--seconds", type=float, default=60, help="each crowd phase")
    args = p.parse_args(argv)
    drawings = growing_drawings()
    load = [os.getloadavg()[0]]  # the machine is shared: say how busy it was

    with (
        TemporaryDirectory() as tmp,
        AppServer(Path(tmp) / "app.log", env={"DIGIT_DATA": args.data_dir}) as server,
    ):
        alone = []
        for i in range(args.runs):
            alone.append(training(server.url))
            print(
                f"training alone {i + 1}: {alone[-1]['seconds_to_97']} s to 97%, final {alone[-1]['final']}"
            )
        quiet = crowd_latency(server.url, args.visitors, args.seconds, drawings)
        print(f"{args.visitors} visitors, no training: {quiet['latency']}")

        stop, loaded = threading.Event(), []

        def trainings() -> None:
            while not stop.is_set():
                loaded.append(training(server.url))

        trainer = threading.Thread(target=trainings)
        trainer.start()
        time.sleep(1.0)  # the first run has begun
        busy = crowd_latency(server.url, args.visitors, args.seconds, drawings)
        stop.set()
        trainer.join()
        print(f"{args.visitors} visitors, trainings running: {busy['latency']}; {len(loaded)} trainings")
        assert server.alive() and "Traceback" not in server.log(), server.log()[-3000:]
        server.stop()
    load.append(os.getloadavg()[0])

    def runs_row(name: str, values: list) -> list:
        return [name, *values]

    reached = [r["seconds_to_97"] for r in alone]
    table = markdown_table(
        ["training alone (CPU recipe: 3 epochs, batch 256, no augmentation, 1 thread)"]
        + [f"run {i + 1}" for i in range(len(alone))],
        [
            runs_row(
                "Train pressed → the page first shows ≥ 97%",
                [f"{t:.1f} s" if t else "never" for t in reached],
            ),
            runs_row("Train pressed → the run ends", [f"{r['final'][0]:.1f} s" for r in alone]),
            runs_row("test accuracy at the end", [f"{r['final'][1]:.1f}%" for r in alone]),
        ],
    )
    during = [r["final"] for r in loaded if r["final"]]
    latency = markdown_table(
        [
            f"{args.visitors} visitors drawing on the main pad",
            "pen-up → answer p50",
            "p99",
            "answers",
            "busy",
        ],
        [
            [name, f"{row['latency']['median_ms']:.0f} ms", f"{row['latency']['p99_ms']:.0f} ms"]
            + [row["final_answers"], row["busy"]]
            for name, row in (("no training", quiet), ("while a visitor trains", busy))
        ],
    )
    note = (
        f"Trainings run meanwhile: {len(loaded)} ({len(during)} finished), ending at "
        f"{', '.join(f'{acc:.1f}% after {t:.1f} s' for t, acc in during)}. Load average of the "
        f"machine (other work included) at the start and the end: {load[0]:.1f}, {load[1]:.1f}."
    )
    write(
        "learn_load",
        {
            "alone": alone,
            "quiet": quiet,
            "busy": busy,
            "loaded": loaded,
            "load": load,
            "visitors": args.visitors,
        },
        f"{table}\n\n{latency}\n\n{note}",
        f"python -m bench.learn_load --runs {args.runs} --visitors {args.visitors} "
        f"--seconds {args.seconds:g}",
    )
    print(f"median time to 97%: {np.median([t for t in reached if t]):.1f} s")


if __name__ == "__main__":
    main()
