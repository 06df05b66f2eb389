"""Accuracy of the shipped weights: MNIST's test set, and digits as visitors draw them.

    python -m bench.accuracy                 # writes bench/results/accuracy.{json,md} + PNGs
    python -m bench.accuracy --sketches 10000 --data-dir /path/to/mnist
    python -m bench.accuracy --compare old.safetensors   # per class, these weights and those

1. The 10,000 MNIST test images: accuracy, per class, confusion matrix (PNG).
2. The sketch-style set (model/synth/sketches.py): MNIST *test* digits re-drawn as round-brush strokes
   at random position, size, rotation and brush width on canvases of 280-1024 px in six styles
   (sketchpad white, transparent layer, dark theme, grey, coloured ink, photo of paper). Never
   used for training. The full pipeline (`model.preprocess`) against the naive approach most
   demos use: the whole canvas resized to 28x28 (inverted when the canvas is light). And the
   same drawings through the pad's path: shrunk to the reading's working size, sent as the pad
   sends its drawing (an 8-bit grey PNG data URL; RGBA where it is transparent), checked and
   decoded as the pad's endpoint does; then read by the same pipeline, and as the app reads them
   (`model.read_drawing`, which may find several digits: right only when it reads exactly the
   one digit).
3. Per class on both sets, for the shipped weights and, with `--compare`, other weights read
   from the same preprocessed drawings (e.g. the weights before a retraining).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.common import DEFAULT_DATA, RESULTS, interval, markdown_table, write
from harness.pad_client import as_the_pad_sends
from model import load_classifier, preprocess, read_drawing
from model.synth.sketches import STYLES, sketch_set
from model.training.data import load_mnist
from model.training.evaluate import Evaluation, evaluate
from model.weights import DEFAULT_WEIGHTS
from ui.pad_request import pad_image


def naive(image: Image.Image) -> torch.Tensor:
    """What most draw-a-digit demos do: the whole canvas, shrunk to 28x28."""
    if image.mode in ("RGBA", "LA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        if np.median(np.asarray(rgba.getchannel("A"))) < 128:  # strokes on a transparent layer
            gray = rgba.getchannel("A")
        else:
            gray = Image.alpha_composite(Image.new("RGBA", image.size, "white"), rgba).convert("L")
            gray = Image.eval(gray, lambda v: 255 - v)
    else:
        gray = image.convert("L")
        if np.median(np.asarray(gray)) > 127:  # dark ink on a light canvas: invert, as MNIST is
            gray = Image.eval(gray, lambda v: 255 - v)
    small = gray.resize((28, 28), Image.Resampling.LANCZOS)
    return torch.from_numpy(np.asarray(small, dtype=np.float32) / 255)[None]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=str(DEFAULT_DATA))
    p.add_argument("--sketches", type=int, default=3000, help="how many test digits to re-draw")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="the weights to measure")
    p.add_argument("--compare", default=None, help="other weights, measured per class beside them")
    p.add_argument("--compare-label", default=None, help="their name in the tables (default: file name)")
    args = p.parse_args()
    clf = load_classifier(args.weights, device="cpu")
    other = load_classifier(args.compare, device="cpu") if args.compare else None
    images, labels = load_mnist(args.data_dir, train=False)

    # 1. MNIST test set, read as the app reads (model/shifts.py), and by the network alone
    mnist = evaluate(clf.reader, images, labels)
    mnist_alone = evaluate(clf.network, images, labels)
    from model.training.report import plot_confusion, plot_mistakes

    RESULTS.mkdir(parents=True, exist_ok=True)
    plot_confusion(mnist).savefig(RESULTS / "confusion-mnist.png", dpi=100)
    plot_mistakes(mnist, images).savefig(RESULTS / "mistakes-mnist.png", dpi=100)

    # 2. sketch-style set: pipeline vs naive
    tic = time.perf_counter()
    hits = {k: defaultdict(int) for k in ("pipeline", "pad_pipeline", "pad", "naive")}
    counts: dict[str, int] = defaultdict(int)
    preds, truths, unread = [], [], 0
    read = []  # what preprocessing made of each drawing, for --compare
    for canvas, label, style in sketch_set(images.numpy(), labels.numpy(), args.sketches, args.seed):
        counts[style] += 1
        x = preprocess(canvas)
        if x is None:
            unread += 1
            pred = -1
        else:
            pred = int(clf.predict_proba(x[None]).argmax())
            read.append((len(truths), x))
        preds.append(max(pred, 0))
        truths.append(label)
        hits["pipeline"][style] += pred == label
        hits["naive"][style] += int(clf.predict_proba(naive(canvas)[None]).argmax()) == label
        sent = pad_image({"image": as_the_pad_sends(canvas)})
        x = preprocess(sent)
        hits["pad_pipeline"][style] += x is not None and int(clf.predict_proba(x[None]).argmax()) == label
        hits["pad"][style] += read_drawing(sent, clf).number == str(label)
    seconds = time.perf_counter() - tic
    n = sum(counts.values())
    sketch_eval = Evaluation(torch.tensor(preds), torch.tensor(truths), torch.ones(n))
    plot_confusion(sketch_eval).savefig(RESULTS / "confusion-sketches.png", dpi=100)

    totals = {k: sum(v.values()) for k, v in hits.items()}
    rows = [["MNIST test set (10,000)", f"{100 * mnist.accuracy:.2f}%", "-", "-", "-"]]
    rows.append(
        [
            f"Sketch-style set ({n:,}), all styles",
            f"**{100 * totals['pipeline'] / n:.2f}%**",
            f"{100 * totals['pad_pipeline'] / n:.2f}%",
            f"{100 * totals['pad'] / n:.2f}%",
            f"{100 * totals['naive'] / n:.2f}%",
        ]
    )
    for style in STYLES:
        c = counts[style]
        if c:
            rows.append(
                [
                    f"&nbsp;&nbsp;{style} ({c})",
                    f"{100 * hits['pipeline'][style] / c:.1f}%",
                    f"{100 * hits['pad_pipeline'][style] / c:.1f}%",
                    f"{100 * hits['pad'][style] / c:.1f}%",
                    f"{100 * hits['naive'][style] / c:.1f}%",
                ]
            )
    per_class = mnist.per_class_accuracy()
    scored = [(_name(args.weights), mnist, sketch_eval)]
    if other is not None:
        other_sketches = _sketch_evaluation(other, read, torch.tensor(truths))
        label = args.compare_label or _name(args.compare)
        scored.append((label, evaluate(other.reader, images, labels), other_sketches))
    alone = _sketch_evaluation(clf.network, read, torch.tensor(truths))
    table = (
        markdown_table(
            [
                "set",
                "full pipeline",
                "same, through the pad's path",
                "as the app reads the pad's drawing",
                "naive whole-canvas resize",
            ],
            rows,
        )
        + f"\n\n95% interval on the sketch set: {100 * interval(totals['pipeline'], n)[0]:.2f}%"
        f"-{100 * interval(totals['pipeline'], n)[1]:.2f}%; drawings read as 'no digit': {unread}. "
        f"The network alone, one pass, without the one-pixel moves (model/shifts.py): MNIST test "
        f"{100 * mnist_alone.accuracy:.2f}% (what train.py reports), sketch-style set "
        f"{100 * alone.accuracy:.2f}% (full pipeline).\n\n" + per_class_table(scored)
    )
    write(
        "accuracy",
        {
            "mnist": {
                "accuracy": mnist.accuracy,
                "network_alone": mnist_alone.accuracy,
                "per_class": per_class,
                "confusion": mnist.confusion().tolist(),
            },
            "sketches": {
                "n": n,
                "seed": args.seed,
                "unread": unread,
                "seconds": seconds,
                "pipeline": totals["pipeline"] / n,
                "pipeline_network_alone": alone.accuracy,
                "pad_path_pipeline": totals["pad_pipeline"] / n,
                "pad_path": totals["pad"] / n,
                "naive": totals["naive"] / n,
                "pipeline_95ci": interval(totals["pipeline"], n),
                "per_style": {
                    s: {
                        "n": counts[s],
                        "pipeline": hits["pipeline"][s] / counts[s],
                        "pad_path_pipeline": hits["pad_pipeline"][s] / counts[s],
                        "pad_path": hits["pad"][s] / counts[s],
                        "naive": hits["naive"][s] / counts[s],
                    }
                    for s in counts
                },
                "per_class": sketch_eval.per_class_accuracy(),
                "confusion": sketch_eval.confusion().tolist(),
                "top_confusions": top_confusions(sketch_eval),
            },
            "weights": {"path": args.weights, **clf.metadata},
            "compare": None if other is None else {"path": args.compare, **_scores(*scored[1][1:])},
        },
        table,
        f"python -m bench.accuracy --sketches {args.sketches}"
        + (f" --weights {args.weights}" if _name(args.weights) != "shipped" else "")
        + (f" --compare {args.compare}" if args.compare else "")
        + (f" --compare-label '{args.compare_label}'" if args.compare and args.compare_label else ""),
    )


def per_class_table(scored: list[tuple[str, Evaluation, Evaluation]]) -> str:
    """Accuracy per class on both sets, a row per (name, MNIST, sketches) weights, and each
    one's most frequent mistakes on the sketches."""
    rows = []
    for set_index, set_name in ((2, "sketch-style set"), (1, "MNIST test")):
        for entry in scored:
            e = entry[set_index]
            cells = [f"{100 * a:.1f}%" for a in e.per_class_accuracy()]
            rows.append([f"{set_name}, {entry[0]}", f"{100 * e.accuracy:.2f}%", *cells])
    header = ["per class", "all", *(str(k) for k in range(10))]
    confusions = "; ".join(
        f"{name}: " + ", ".join(f"{t}→{p} ({c})" for t, p, c in top_confusions(sketch)[:5])
        for name, _, sketch in scored
    )
    return (
        markdown_table(header, rows)
        + f"\n\nMost frequent mistakes on the sketch set (true→read): {confusions}."
    )


def top_confusions(e: Evaluation) -> list[tuple[int, int, int]]:
    """(true, predicted, count) of the mistakes, most frequent first."""
    cm = e.confusion()
    pairs = [(t, p, int(cm[t, p])) for t in range(10) for p in range(10) if t != p and cm[t, p]]
    return sorted(pairs, key=lambda tpc: -tpc[2])


def _scores(mnist: Evaluation, sketches: Evaluation) -> dict:
    return {
        "mnist": mnist.accuracy,
        "mnist_per_class": mnist.per_class_accuracy(),
        "sketches": sketches.accuracy,
        "sketches_per_class": sketches.per_class_accuracy(),
        "sketches_top_confusions": top_confusions(sketches),
    }


def _sketch_evaluation(reader, read: list[tuple[int, torch.Tensor]], truths: torch.Tensor) -> Evaluation:
    """Another classifier (or a bare network: anything that turns (N, 1, 28, 28) into (N, 10))
    on the same preprocessed drawings (one read as no digit is entered as a 0, as in the main
    loop)."""
    preds = torch.zeros(len(truths), dtype=torch.long)
    if read:
        index = torch.tensor([i for i, _ in read])
        reader = getattr(reader, "predict_logits", reader)
        with torch.inference_mode():
            preds[index] = reader(torch.stack([x for _, x in read])).argmax(1)
    return Evaluation(preds, truths, torch.ones(len(truths)))


def _name(path: str) -> str:
    """How a weights file is called in the tables: 'shipped' for the default one."""
    return "shipped" if Path(path).resolve() == DEFAULT_WEIGHTS.resolve() else Path(path).name


if __name__ == "__main__":
    main()
