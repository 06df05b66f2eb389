"""Which score could catch more non-digits at the verdict's own line? A study of score formulas.

    python -m bench.verdict_scores                  # bench/results/verdict_scores.{json,md}, ~15 min
    python -m bench.verdict_scores --per-kind 40 --digits 300 --numbers 60      # a quick look

`python train.py --verdict` puts the "unsure" line where 1% of held-out sketch-style digits read
right and sure would lose that answer (model/numbers/training/verdict.py), so a score is only
as good as what it catches at that line, not at 95% of the digits kept (bench/nondigits.py's
AUROC table). Here each drawing is read as train.py --verdict reads it (`render(d)`, the reader
with no thresholds) and the parts of each piece, and of the whole drawing where the reading
judges it (model/reading.py's rule: one piece, or ink cut apart), are kept:
- E: the energy (log-sum-exp of the logits over the one-pixel moves), as shipped;
- W: the whole-digit check's log P(one whole digit), as shipped;
- logP: the log of the top softmax probability (Hendrycks & Gimpel 2017);
- M: the Mahalanobis distance in the MLP's last hidden layer to the nearest class mean, with a
  covariance shared by the classes (Lee et al. 2018), fitted here on the 60,000 MNIST training
  digits;
- R: the squared distance from the 28x28 image to the 10-component PCA subspace of the digit it
  is read as (fitted per class on the MNIST training digits): how far it is from any drawing of
  that digit the training set holds.
A candidate is a weighted sum of parts; a drawing's score is its worst piece's, and the whole
drawing's too when judged. Per candidate: the line from the held-out digits (train.py's set and
seed), the tune non-digits it catches, per kind, AUROC, non-digits passed at 95% of digits
kept, and numbers of 2-4 held-out digits apart read right and sure that the line would doubt.
The shipped score and the best candidate on tune are then applied once to the test non-digits
(another font, drawn with render() as here; bench/nondigits.py reads them through the pad's path).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from bench.common import DEFAULT_DATA, markdown_table, write
from bench.nondigits import auroc
from model import load_classifier
from model.classifier import Classifier
from model.drawing.blobs import digit_pieces
from model.drawing.preprocess import preprocess_pieces
from model.numbers import find_digits, load_reader
from model.numbers.reader import NumberReader
from model.numbers.training import HELD_OUT_FROM
from model.numbers.training.verdict import VerdictConfig
from model.numbers.whole_digit import WHOLE, check_log_probs
from model.reading import ONE_DIGIT_ASPECT, _aspect
from model.synth.nondigits import KINDS, drawings, render
from model.synth.numbers import write_number
from model.synth.sketches import STYLES, sketch_set
from model.training.data import load_mnist

PARTS = ("E", "W", "logP", "M", "R")
CANDIDATES: dict[str, dict[str, float]] = {  # name: {part: weight}
    "E + W (shipped)": {"E": 1, "W": 1},
    **{f"E + {w} W": {"E": 1, "W": w} for w in (0.5, 0.75, 1.25, 1.5, 2, 3, 4)},
    **{f"E + W + {a} logP": {"E": 1, "W": 1, "logP": a} for a in (1, 2, 4)},
    **{f"E + W - {m} M": {"E": 1, "W": 1, "M": -m} for m in (0.005, 0.01, 0.02, 0.05)},
    **{f"E + 2 W - {m} M": {"E": 1, "W": 2, "M": -m} for m in (0.005, 0.01, 0.02)},
    "M alone": {"M": -1},
    **{f"E + W - {r} R": {"E": 1, "W": 1, "R": -r} for r in (0.1, 0.2, 0.4)},
    "E + 1.25 W + logP - 0.15 R": {"E": 1, "W": 1.25, "logP": 1, "R": -0.15},
    "R alone": {"R": -1},
}


class Parts:
    """The parts of (N, 1, 28, 28) images' scores; M's and R's statistics fitted on MNIST train."""

    def __init__(self, clf: Classifier, reader: NumberReader, images: torch.Tensor, labels: torch.Tensor):
        self.clf, self.reader = clf, reader
        x, y = images[:, None].float() / 255, labels.numpy()
        h = self.hidden(x)
        self.means = np.stack([h[y == c].mean(0) for c in range(10)])  # (10, H)
        centred = h - self.means[y]
        self.precision = np.linalg.inv(centred.T @ centred / len(h) + 1e-4 * np.eye(h.shape[1]))
        flat = x.reshape(len(x), -1).double().numpy()
        self.centres = np.stack([flat[y == c].mean(0) for c in range(10)])  # (10, 784)
        self.bases = np.stack(  # (10, 10, 784): each digit's top 10 principal directions
            [np.linalg.svd(flat[y == c] - self.centres[c], full_matrices=False)[2][:10] for c in range(10)]
        )

    @torch.inference_mode()
    def hidden(self, x: torch.Tensor) -> np.ndarray:
        net = self.clf.network
        return net.layers[:-1](net.normalise(x.to(self.clf.device))).cpu().double().numpy()

    def __call__(self, x: torch.Tensor) -> np.ndarray:
        """(N, 1, 28, 28) -> (N, len(PARTS))."""
        logits = self.clf.predict_logits(x).double().numpy()
        energy = np.logaddexp.reduce(logits, axis=1)
        whole = check_log_probs(self.reader.check, x).double().numpy()[:, WHOLE]
        d = self.hidden(x)[:, None, :] - self.means[None]  # (N, 10, H)
        mahalanobis = np.einsum("nch,hk,nck->nc", d, self.precision, d).min(1)
        read = logits.argmax(1)
        off = x.reshape(len(x), -1).double().numpy() - self.centres[read]  # (N, 784)
        along = np.einsum("nkp,np->nk", self.bases[read], off)
        residual = (off**2).sum(1) - (along**2).sum(1)
        return np.stack([energy, whole, logits.max(1) - energy, mahalanobis, residual], 1)


def observe(image, clf: Classifier, reader: NumberReader, parts: Parts) -> dict | None:
    """What a drawing's score is made of: its pieces' parts, the whole drawing's where judged
    (model/reading.py's rule, with no thresholds, as train.py --verdict reads), what it reads."""
    pieces = digit_pieces(image)
    segments, logits, _, _ = find_digits(image, clf, reader, None, pieces)
    if not segments:
        return None
    x = torch.from_numpy(np.stack([s.image for s in segments]))[:, None]
    probs = torch.softmax(torch.from_numpy(logits), 1).numpy()
    narrow = len(segments) > 1 and _aspect([s.box for s in segments]) <= ONE_DIGIT_ASPECT
    judged = len(segments) == 1 or any(s.cut for s in segments)
    whole = preprocess_pieces(pieces) if judged or narrow else None
    if whole is not None and len(segments) == 1 and np.array_equal(whole[0].numpy(), segments[0].image):
        whole = None
    return {
        "pieces": parts(x),
        "whole": parts(whole[None]) if whole is not None and judged else None,
        "number": "".join(str(int(p.argmax())) for p in probs),
        "confidence": float(probs.max(1).min()),
    }


def scores(observed: list[dict | None], weights: dict[str, float]) -> np.ndarray:
    """Per drawing, the candidate's score (+inf: no digit read, so no verdict to give)."""
    w = np.array([weights.get(p, 0.0) for p in PARTS])
    out = np.full(len(observed), np.inf)
    for i, o in enumerate(observed):
        if o is not None:
            out[i] = (o["pieces"] @ w).min()
            if o["whole"] is not None:
                out[i] = min(out[i], float(o["whole"][0] @ w))
    return out


def study(args: argparse.Namespace) -> tuple[dict, str]:
    tic = time.perf_counter()
    config = VerdictConfig()
    clf = load_classifier(device="cpu")
    reader = load_reader("cpu", verdict=None)
    images, labels = load_mnist(args.data_dir, train=True, download=False)
    parts = Parts(clf, reader, images, labels)
    held, held_labels = images[HELD_OUT_FROM:].numpy(), labels[HELD_OUT_FROM:].numpy()
    others = {
        s: [(d.kind, observe(render(d), clf, reader, parts)) for d in drawings(s, args.per_kind)]
        for s in ("tune", "test")
    }
    digits = [
        (str(y), observe(c, clf, reader, parts))
        for c, y, _ in sketch_set(held, held_labels, args.digits, config.seed)
    ]
    rng = np.random.default_rng(77)
    numbers = []
    for _ in range(args.numbers):
        idx = rng.integers(len(held), size=int(rng.integers(2, 5)))
        canvas, _ = write_number([held[j] for j in idx], rng, STYLES[int(rng.integers(len(STYLES)))])
        numbers.append(("".join(str(held_labels[j]) for j in idx), observe(canvas, clf, reader, parts)))

    def sure(rows: list) -> np.ndarray:
        return np.array(
            [o is not None and o["confidence"] >= config.confidence and o["number"] == t for t, o in rows]
        )

    sure_digits, sure_numbers = sure(digits), sure(numbers)
    results = {}
    for name, weights in CANDIDATES.items():
        d, n = scores([o for _, o in digits], weights), scores([o for _, o in numbers], weights)
        line = float(np.quantile(d[sure_digits], config.unsure_lose, method="lower"))
        per_split = {}
        for split, rows in others.items():
            s, kinds = scores([o for _, o in rows], weights), np.array([k for k, _ in rows])
            t95 = float(np.quantile(d[np.isfinite(d)], 0.05, method="lower"))
            per_split[split] = {
                "caught": {k: float((s[kinds == k] < line).mean()) for k in KINDS}
                | {"all": float((s < line).mean())},
                "auroc": auroc(np.nan_to_num(d, posinf=1e9), np.nan_to_num(s, posinf=1e9)),
                "fpr_at_95tpr": float((s >= t95).mean()),
            }
        results[name] = {
            "weights": weights,
            "line": line,
            "tune": per_split["tune"],
            "test": per_split["test"],
            "numbers_doubted": float((n[sure_numbers] < line).mean()),
        }
    best = max(CANDIDATES, key=lambda k: results[k]["tune"]["caught"]["all"])
    rows = []
    for name, r in results.items():
        t = r["tune"]
        rows.append(
            [
                f"**{name}**" if name == best else name,
                *(f"{100 * t['caught'][k]:.1f}%" for k in (*KINDS, "all")),
                f"{t['auroc']:.4f}",
                f"{100 * t['fpr_at_95tpr']:.1f}%",
                f"{100 * r['numbers_doubted']:.1f}%",
            ]
        )
    header = ["score (a weighted sum of parts)", *(f"tune {k} caught" for k in KINDS), "tune all caught"]
    header += ["tune AUROC", "tune passed at 95% kept", "numbers doubted"]
    table = markdown_table(header, rows)
    rows = []
    for name in dict.fromkeys(["E + W (shipped)", best]):
        t = results[name]["test"]
        rows.append(
            [
                name,
                *(f"{100 * t['caught'][k]:.1f}%" for k in (*KINDS, "all")),
                f"{t['auroc']:.4f}",
                f"{100 * t['fpr_at_95tpr']:.1f}%",
            ]
        )
    header = [
        "score, line from held-out digits",
        *(f"test {k} caught" for k in KINDS),
        "test all caught",
        "test AUROC",
        "test passed at 95% kept",
    ]
    n_test = len(others["test"])
    table += f"\n\nOnce on the {n_test} test non-digits (drawn with render()): shipped, and best on tune:\n\n"
    table += markdown_table(header, rows)
    table += (
        f"\n\n{len(others['tune'])} tune non-digits; the line: {100 * config.unsure_lose:g}% of"
        f" {int(sure_digits.sum())} held-out digits read right and sure (of {len(digits)}); numbers:"
        f" {int(sure_numbers.sum())} of {len(numbers)} read right and sure;"
        f" {time.perf_counter() - tic:.0f} s."
    )
    return {"candidates": results, "best_on_tune": best}, table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--per-kind", type=int, default=150, help="non-digit drawings of each kind, per split")
    p.add_argument("--digits", type=int, default=VerdictConfig.digits, help="held-out sketch-style digits")
    p.add_argument("--numbers", type=int, default=250, help="numbers of 2-4 held-out digits, apart")
    p.add_argument("--data-dir", default=str(DEFAULT_DATA))
    args = p.parse_args()
    data, table = study(args)
    command = "python -m bench.verdict_scores"
    command += f" --per-kind {args.per_kind} --digits {args.digits} --numbers {args.numbers}"
    write("verdict_scores", data, table, command)


if __name__ == "__main__":
    main()
