"""Reading whole numbers: 2-6 MNIST test digits written as one number, the way people write.

    python -m bench.multidigit                      # writes bench/results/multidigit.{json,md}
    python -m bench.multidigit --per-length 500
    python -m bench.multidigit --weights other.safetensors --validate   # prints, writes nothing

Two sets, drawn by model/synth/numbers.py from MNIST *test* digits in the single-digit set's canvas
styles, `--per-length` numbers of each length (2 to 6 digits) in each:
1. apart: the digits stand apart, no strokes touch (the original benchmark, the same drawings);
2. as people write: the same kind of numbers in a fixed mix, of every 20: 10 apart, 3 with a
   pair of neighbours touching or overlapping, 1 with a pair joined by a connecting stroke, 2 with
   a pair tucked together (boxes overlap, strokes apart), and one each with a stray tick, dash,
   dot and underline near the digits.

`--validate` writes the numbers from the last 5,000 *training* digits instead (the whole-digit
check learns from the others, model/numbers/training), to choose settings without the test digits.

Reported per length and per condition: numbers read exactly, digit-level accuracy (1 - edit
distance / length), how often the digit count is right, how often the right reading is among
the search's paths at all (each piece read as the classifier's first choice: the most that any
way of scoring the paths could read; model/numbers/training/path_weights.reachable); and the time to
read a 4-digit drawing (8-bit grey, as the app receives it; one torch thread, as the app runs).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from bench.common import DEFAULT_DATA, interval, markdown_table, summary, write
from model import load_classifier
from model.numbers import default_reader, search
from model.numbers.training import HELD_OUT_FROM
from model.numbers.training.path_weights import reachable
from model.reading import read_drawing
from model.synth.numbers import MARKS, MIX, write_number
from model.synth.sketches import STYLES
from model.training.data import load_mnist
from model.weights import DEFAULT_WEIGHTS

LABELS = {
    "apart": "digits apart",
    "touching": "two neighbours touch or overlap",
    "joined": "two neighbours joined by a stroke",
    "tucked": "boxes overlap, strokes apart",
    "tick": "a stray tick",
    "dash": "a stray dash",
    "dot": "a stray dot",
    "underline": "an underline",
}


class Tally:
    """Numbers read exactly, digits right, digit counts right and right readings among the
    search's paths, by any key."""

    def __init__(self) -> None:
        # numbers, read exactly, digits right, digits in all, digit count right, reachable
        self.counts: dict = defaultdict(lambda: np.zeros(6))

    def add(self, keys: list, truth: str, number: str, in_search: bool) -> None:
        right = max(0, len(truth) - edit_distance(number, truth))
        for key in dict.fromkeys(keys):  # each key once
            self.counts[key] += (1, number == truth, right, len(truth), len(number) == len(truth), in_search)

    def row(self, *keys) -> dict:
        """The shares for everything counted under any of `keys` (pooled)."""
        n, exact, right, digits, count, in_search = sum(self.counts[key] for key in keys)
        return {
            "numbers": int(n),
            "exact": exact / n,
            "digit_accuracy": right / digits,
            "count_right": count / n,
            "in_search": in_search / n,
        }

    def cells(self, *keys) -> list:
        r = self.row(*keys)
        return [
            r["numbers"],
            f"{100 * r['exact']:.1f}%",
            f"{100 * r['digit_accuracy']:.1f}%",
            f"{100 * r['count_right']:.1f}%",
            f"{100 * r['in_search']:.1f}%",
        ]


def intervals(apart: Tally, mixed: Tally) -> dict[str, tuple[float, float]]:
    """95% intervals of the share read exactly, for the headline rows."""
    rows = {
        "digits apart (first table, all lengths)": apart.row("all"),
        "touching or joined": mixed.row("touching", "joined"),
        "any stray mark": mixed.row("stray"),
        "the mix": mixed.row("all"),
    }
    return {name: interval(round(r["exact"] * r["numbers"]), r["numbers"]) for name, r in rows.items()}


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def read_set(clf, images, labels, rng, per_length: int, mix: tuple[str, ...]) -> tuple[Tally, list]:
    """Write and read `per_length` numbers of each length; conditions cycle through `mix`."""
    tally, wrong = Tally(), []
    for length in range(2, 7):
        for i in range(per_length):
            idx = rng.choice(len(images), length, replace=False)
            truth = "".join(str(labels[j]) for j in idx)
            style = STYLES[int(rng.integers(len(STYLES)))]
            condition = mix[i % len(mix)]
            canvas, info = write_number([images[j] for j in idx], rng, style, condition)
            number = read_drawing(canvas, clf).number
            # the same search, kept whole
            in_search = reachable(truth, search(canvas, clf, default_reader(clf.device)))
            family = "stray" if condition in MARKS else condition
            tally.add([length, condition, family, "all"], truth, number, in_search)
            if number != truth and sum(w["condition"] == condition for w in wrong) < 5:
                wrong.append({"truth": truth, "read": number, "style": style, **info})
    return tally, wrong


def time_reading(clf, drawings: dict[str, list[np.ndarray]], repeats: int = 300) -> dict[str, dict]:
    """Median and p99 of read_drawing per set of drawings, the sets taking turns."""
    for images in drawings.values():
        for image in images[:3]:
            read_drawing(image, clf)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in drawings}
    for k in range(repeats):
        for name, images in drawings.items():
            tic = time.perf_counter()
            read_drawing(images[k % len(images)], clf)
            times[name].append(time.perf_counter() - tic)
    return {name: summary(t) for name, t in times.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=str(DEFAULT_DATA))
    p.add_argument("--per-length", type=int, default=200, help="numbers per length (2 to 6 digits)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="the weights to measure")
    p.add_argument(
        "--validate", action="store_true", help="numbers from held-out training digits; print, write nothing"
    )
    args = p.parse_args()
    torch.set_num_threads(1)  # as the app runs
    clf = load_classifier(args.weights, device="cpu")
    images, labels = load_mnist(args.data_dir, train=args.validate)
    images, labels = images.numpy(), labels.numpy()
    if args.validate:
        images, labels = images[HELD_OUT_FROM:], labels[HELD_OUT_FROM:]
    rng, mixed_rng = np.random.default_rng(args.seed), np.random.default_rng(args.seed + 1)

    apart, apart_wrong = read_set(clf, images, labels, rng, args.per_length, ("apart",))
    mixed, mixed_wrong = read_set(clf, images, labels, mixed_rng, args.per_length, MIX)

    # latency of 4-digit drawings on the app's own pad style, measured apart from the rest
    def pads(generator: np.random.Generator, conditions: tuple[str, ...]) -> list[np.ndarray]:
        drawings = []
        for condition in conditions:
            digits = [images[i] for i in generator.choice(len(images), 4)]
            canvas, _ = write_number(digits, generator, "white", condition)
            drawings.append(np.asarray(canvas.convert("L")))  # as the app receives it
        return drawings

    header = [
        "numbers",
        "read exactly",
        "digit-level accuracy",
        "digit count right",
        "right reading in the search",
    ]
    conditions = [[LABELS[c], *mixed.cells(c)] for c in LABELS]
    conditions.insert(4, ["**touching or joined**", *mixed.cells("touching", "joined")])
    conditions.append(["**any stray mark**", *mixed.cells("stray")])
    conditions.append(["**all (the mix)**", *mixed.cells("all")])
    if args.validate:
        print(f"held-out training digits, {args.weights}: apart {100 * apart.row('all')['exact']:.1f}%")
        print(markdown_table(["condition", *header], conditions))
        return
    latency = time_reading(clf, {"apart": pads(rng, ("apart",) * 20), "mixed": pads(mixed_rng, MIX)})

    by_length = markdown_table(["digits", *header], [[n, *apart.cells(n)] for n in range(2, 7)])
    table = (
        "Digits that stand apart (no strokes touch):\n\n"
        + by_length
        + "\n\nAs people write (of every 20 numbers: 10 apart, 3 touching, 1 joined, 2 tucked, 4 with a "
        "stray mark):\n\n"
        + markdown_table(["condition", *header], conditions)
        + "\n\n95% intervals (Wilson) of read exactly: "
        + "; ".join(
            f"{name} {100 * lo:.1f}-{100 * hi:.1f}%" for name, (lo, hi) in intervals(apart, mixed).items()
        )
        + ".\n\nRight reading in the search: some path of reading's search reads the number right, each "
        "piece read as the classifier's first choice in one pass; no way of weighing the paths reads "
        "more (the chosen digits are then read over five one-pixel moves, which can differ a little)."
        + "\n\nReading a 4-digit drawing (8-bit grey, as the app receives it; 1 torch thread): "
        + "; ".join(
            f"{name} median {latency[key]['median_ms']:.2f} ms, p99 {latency[key]['p99_ms']:.2f} ms"
            for key, name in (("apart", "digits apart"), ("mixed", "as people write"))
        )
        + "."
    )
    write(
        "multidigit",
        {
            "apart": {n: apart.row(n) for n in range(2, 7)},
            "mixed": {str(k): mixed.row(k) for k in [*range(2, 7), *LABELS, "stray", "all"]},
            "intervals_95": intervals(apart, mixed),
            "latency_4_digits": latency,
            "examples_wrong": apart_wrong[:5] + mixed_wrong,
            "seed": args.seed,
        },
        table,
        f"python -m bench.multidigit --per-length {args.per_length}"
        + (f" --weights {args.weights}" if Path(args.weights).resolve() != DEFAULT_WEIGHTS else ""),
    )


if __name__ == "__main__":
    main()
