"""Drawings that are not digits: what the app answers (its verdict), and which score tells them apart.

    python -m bench.nondigits                        # both splits: bench/results/nondigits.{json,md}
    python -m bench.nondigits --split tune --per-kind 120 --digits 400     # quicker, one split
    python -m bench.nondigits --samples /tmp/nondigits.png                 # a contact sheet, no reading

Letters no one writes as a digit, symbols and doodles (model/synth/nondigits.py: hand-made
strokes, "font A" for the tune split and "font B" for the test split, other seeds too), drawn with
the round brush of the sketch-style digits (model/synth/sketches.py) on the pad's canvas or as
uploads, then sent through the pad's path (shrunk, a PNG data URL, decoded) as bench.accuracy
does. Each drawing is read
1. as the app reads it, `model.read_drawing`: its verdict, a confident number, "not a digit",
   "not sure" or no answer ("number", "not_a_digit", "unsure", "empty"; model/numbers/verdict.py,
   with the thresholds `python train.py --verdict` chose on the tune split), and its score;
2. whole, preprocessed as one digit, for scores of the drawing as a whole.
Against them, sketch-style digits (MNIST test digits re-drawn, the tune split from the first
half of the test set, the test split from the second), and numbers of 2-4 of those digits
standing apart (model/synth/numbers.py: a score that doubts every number is of no use), read the same
way. Candidate scores for
"is this a digit" (higher: more digit-like), each for the whole drawing and for the worst piece
of the reading (what a number of several digits needs):
- max softmax probability (Hendrycks & Gimpel 2017);
- energy (Liu et al. 2020) as the number reader has it (model/numbers/priors.py): the log-sum-exp of the
  logits, minus the paper's energy, so that higher is more digit-like;
- energy less the median energy of the digit it reads (model/numbers/priors.py: a 1 scores lower than an 8);
- the whole-digit check's probability (model/numbers/whole_digit.py), and energy plus its log;
- the last hidden layer: minus the Mahalanobis distance to the nearest class mean (tied
  covariance; Lee et al. 2018) and the cosine to the nearest class mean, both fitted here on the
  MNIST training digits.
And a rule between the two: the worst piece, and the whole drawing as well when the reading cut
ink apart or found a single piece (a letter is often cut into digits, N read 14).
Each score's AUROC and false-positive rate (non-digits passed as digits) at 95% and 99% of the
digits kept, per split; the threshold that keeps 95% of the tune digits is then applied to the
test split, per kind, and to its numbers.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from bench.common import DEFAULT_DATA, interval, markdown_table, write
from harness.pad_client import as_the_pad_sends
from model import load_classifier, preprocess, read_drawing
from model.classifier import Classifier
from model.numbers.reader import default_reader
from model.synth.nondigits import KINDS, SPLITS, Drawing, drawings, render
from model.synth.numbers import write_number
from model.synth.sketches import STYLES, sketch_set
from model.training.data import load_mnist
from ui.pad_request import pad_image

SCORES = (
    "max softmax",
    "energy",
    "energy - its digit's median",
    "whole-digit check",
    "energy + log whole-digit check",
    "Mahalanobis",
    "cosine",
)
RULED = ("max softmax", "energy", "whole-digit check", "energy + log whole-digit check")


def as_the_app_gets(canvas: Image.Image) -> Image.Image:
    """The drawing as the pad's endpoint decodes it (bench.accuracy's pad path)."""
    return pad_image({"image": as_the_pad_sends(canvas)})


@dataclass(frozen=True)
class Observed:
    """What the app made of one drawing."""

    number: str  # the digits read ("" for none)
    answer: str  # the reading's verdict: "number", "unsure", "not_a_digit" or "empty"
    score: float  # the reading's own score (model/numbers/verdict.py; -inf: no digit)
    whole: torch.Tensor | None  # (1, 28, 28): the drawing preprocessed as one digit
    pieces: torch.Tensor  # (P, 1, 28, 28): the digits the reading found
    cut: bool  # some digit was cut apart from ink it touched


def observe(canvas: Image.Image, clf: Classifier) -> Observed:
    image = as_the_app_gets(canvas)
    reading = read_drawing(image, clf)
    pieces = (
        torch.from_numpy(np.stack([d.image for d in reading.digits]))[:, None] if reading.digits else None
    )
    empty = torch.zeros((0, 1, 28, 28))
    cut = any(d.cut for d in reading.digits)
    score = reading.score if reading.digits else -np.inf
    whole = preprocess(image)
    return Observed(reading.number, reading.verdict, score, whole, empty if pieces is None else pieces, cut)


class Scorer:
    """The candidate scores of (N, 1, 28, 28) digits; the hidden layer's class means and tied
    covariance fitted on MNIST training digits."""

    def __init__(self, clf: Classifier, train_images: torch.Tensor, train_labels: torch.Tensor) -> None:
        self.clf = clf
        self.reader = default_reader(clf.device)
        h = self.hidden(train_images[:, None].float() / 255)
        labels = train_labels.numpy()
        self.means = np.stack([h[labels == c].mean(0) for c in range(10)])  # (10, H)
        centred = h - self.means[labels]
        cov = centred.T @ centred / len(h) + 1e-4 * np.eye(h.shape[1])
        self.precision = np.linalg.inv(cov)

    @torch.inference_mode()
    def hidden(self, x: torch.Tensor) -> np.ndarray:
        """(N, H) the last hidden layer's activations (the network's one pass)."""
        net = self.clf.network
        return net.layers[:-1](net.normalise(x.to(self.clf.device))).cpu().double().numpy()

    def __call__(self, x: torch.Tensor) -> dict[str, np.ndarray]:
        if len(x) == 0:
            return {name: np.zeros(0) for name in SCORES}
        logits = self.clf.predict_logits(x).double()
        energy = torch.logsumexp(logits, 1).numpy()
        medians = np.asarray(self.reader.learned.digit_medians(self.clf.digit_energy))
        whole = self.reader.whole_log_prob(x)
        log_whole = np.full(len(x), np.nan) if whole is None else whole.double().numpy()
        h = self.hidden(x)
        d = h[:, None, :] - self.means[None]  # (N, 10, H)
        mahalanobis = np.einsum("nch,hk,nck->nc", d, self.precision, d).min(1)
        unit = self.means / np.linalg.norm(self.means, axis=1, keepdims=True)
        cosine = (h @ unit.T / np.maximum(np.linalg.norm(h, axis=1, keepdims=True), 1e-9)).max(1)
        return {
            "max softmax": torch.softmax(logits, 1).max(1).values.numpy(),
            "energy": energy,
            "energy - its digit's median": energy - medians[logits.argmax(1).numpy()],
            "whole-digit check": np.exp(log_whole),
            "energy + log whole-digit check": energy + log_whole,
            "Mahalanobis": -mahalanobis,
            "cosine": cosine,
        }


def drawing_scores(observed: list[Observed], scorer: Scorer) -> dict[str, np.ndarray]:
    """Per drawing, each score of the whole drawing and of its worst piece (-inf: no digit found,
    which the app already answers as no digit)."""
    n = len(observed)
    out = {}
    wholes = [i for i, o in enumerate(observed) if o.whole is not None]
    scored = scorer(torch.stack([observed[i].whole for i in wholes]) if wholes else torch.zeros(0, 1, 28, 28))
    for name in SCORES:
        values = np.full(n, -np.inf)
        values[wholes] = scored[name]
        out[f"whole drawing: {name}"] = values
    pieces = torch.cat([o.pieces for o in observed])
    owner = np.repeat(np.arange(n), [len(o.pieces) for o in observed])
    scored = scorer(pieces)
    for name in SCORES:
        values = np.full(n, np.inf)
        np.minimum.at(values, owner, scored[name])
        values[np.isinf(values)] = -np.inf
        out[f"worst piece: {name}"] = values
    out["the app's score (Reading.score)"] = np.array([o.score for o in observed], float)
    # A letter is often cut into digits (N read 14); digits standing apart are not: the whole
    # drawing is checked too when the reading cut ink or found one piece.
    whole_too = np.array([o.cut or len(o.pieces) == 1 for o in observed], bool)
    for name in RULED:
        worst, whole = out[f"worst piece: {name}"], out[f"whole drawing: {name}"]
        out[f"worst piece, whole if cut or one: {name}"] = np.where(
            whole_too, np.minimum(worst, whole), worst
        )
    return out


def auroc(digits: np.ndarray, others: np.ndarray) -> float:
    """P(a digit scores above a non-digit), ties counted half (Mann-Whitney)."""
    both = np.concatenate([digits, others])
    order = both.argsort(kind="mergesort")
    ranks = np.empty(len(both))
    ranks[order] = np.arange(1, len(both) + 1)
    for value in np.unique(both):  # average ranks over ties (-inf for every unread drawing)
        tie = both == value
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    u = ranks[: len(digits)].sum() - len(digits) * (len(digits) + 1) / 2
    return float(u / (len(digits) * len(others)))


def keep_threshold(digits: np.ndarray, tpr: float) -> float:
    """The score at or above which `tpr` of these digits lie."""
    return float(np.quantile(digits, 1 - tpr, method="lower"))


def run_split(
    split: str, sizes: tuple[int, int, int], clf: Classifier, scorer: Scorer, test_images, test_labels
) -> dict:
    """Read a split's non-digits, digits and numbers ((per kind, digits, numbers) of them): per
    kind and item what the app answers, and each score's separation."""
    per_kind, n_digits, n_numbers = sizes
    tic = time.perf_counter()
    rows: list[tuple[str, str, Observed]] = []
    for d in drawings(split, per_kind):
        rows.append((d.kind, d.item, observe(render(d), clf)))
    half = len(test_images) // 2
    part = slice(0, half) if split == "tune" else slice(half, None)
    seed = {"tune": 101, "test": 202}[split]
    digits, truths = [], []
    for canvas, label, _ in sketch_set(test_images[part], test_labels[part], n_digits, seed):
        digits.append(observe(canvas, clf))
        truths.append(label)
    numbers, values = [], []
    rng = np.random.default_rng(seed + 1)
    for _ in range(n_numbers):  # 2-4 digits standing apart, as bench.multidigit writes them
        idx = rng.integers(half, size=int(rng.integers(2, 5))) + (0 if split == "tune" else half)
        style = STYLES[int(rng.integers(len(STYLES)))]
        canvas, _ = write_number([test_images[j] for j in idx], rng, style)
        numbers.append(observe(canvas, clf))
        values.append("".join(str(test_labels[j]) for j in idx))
    seconds = time.perf_counter() - tic

    answers = {}
    items = {kind: sorted({i for k, i, _ in rows if k == kind}) for kind in KINDS}
    for group in [g for kind in KINDS for g in (kind, *((kind, i) for i in items[kind]))]:
        these = [o for k, i, o in rows if group in (k, (k, i))]
        name = group if isinstance(group, str) else f"{group[0]}: {group[1]}"
        answers[name] = tally(these)
    answers["all non-digits"] = tally([o for _, _, o in rows])
    for name, seen, truth in (("digits", digits, truths), ("numbers", numbers, values)):
        right = sum(o.answer == "number" and o.number == str(t) for o, t in zip(seen, truth))
        answers[name] = tally(seen) | {"confident_right": right / max(len(seen), 1)}

    others = drawing_scores([o for _, _, o in rows], scorer)
    mine, theirs = drawing_scores(digits, scorer), drawing_scores(numbers, scorer)
    kinds = np.array([k for k, _, _ in rows])
    scores = {}
    for name in mine:
        pos, neg = mine[name], others[name]
        if np.isnan(pos).all():  # no whole-digit check with these weights
            continue
        t95, t99 = keep_threshold(pos, 0.95), keep_threshold(pos, 0.99)
        scores[name] = {
            "auroc": auroc(pos, neg),
            "fpr_at_95tpr": float((neg >= t95).mean()),
            "fpr_at_99tpr": float((neg >= t99).mean()),
            "numbers_kept_at_95tpr": float((theirs[name] >= t95).mean()) if n_numbers else None,
            "threshold_95tpr": t95,
            "threshold_99tpr": t99,
            "digits": pos.tolist(),
            "nondigits": neg.tolist(),
            "numbers": theirs[name].tolist(),
            "kinds": kinds.tolist(),
        }
    return {
        "n_nondigits": len(rows),
        "n_digits": len(digits),
        "n_numbers": len(numbers),
        "seconds": seconds,
        "answers": answers,
        "scores": scores,
    }


def tally(observed: list[Observed]) -> dict:
    """How often the app answers a confident number, "not sure" or nothing, and what it reads."""
    n = len(observed)
    answered = Counter(o.answer for o in observed)
    caught = answered["unsure"] + answered["not_a_digit"] + answered["empty"]
    numbers = Counter(o.number for o in observed if o.answer == "number")
    return {
        "n": n,
        "caught": caught / n if n else 0.0,
        "ci": interval(caught, n),
        "not_a_digit": answered["not_a_digit"] / n if n else 0.0,
        "unsure": answered["unsure"] / n if n else 0.0,
        "none": answered["empty"] / n if n else 0.0,
        "number": answered["number"] / n if n else 0.0,
        "top_numbers": numbers.most_common(4),
    }


def answers_table(split: str, answers: dict) -> str:
    rows = []
    for name, a in answers.items():
        if name in ("digits", "numbers"):
            continue
        top = ", ".join(f'"{num}" ×{c}' for num, c in a["top_numbers"][:3])
        bold = "**" if ":" not in name else ""
        rows.append(
            [
                f"{bold}{name}{bold}" if ":" not in name else f"&nbsp;&nbsp;{name.split(': ', 1)[1]}",
                a["n"],
                f"{bold}{100 * a['caught']:.0f}%{bold} ({100 * a['ci'][0]:.0f}-{100 * a['ci'][1]:.0f}%)",
                f"{100 * a['not_a_digit']:.0f}%",
                f"{100 * a['unsure']:.0f}%",
                f"{100 * a['none']:.0f}%",
                top or "-",
            ]
        )
    for name, label in (("digits", "*sketch-style digits*"), ("numbers", "*numbers of 2-4 digits, apart*")):
        d = answers[name]
        rows.append(
            [
                label,
                d["n"],
                f"{100 * d['caught']:.1f}%",
                f"{100 * d['not_a_digit']:.1f}%",
                f"{100 * d['unsure']:.1f}%",
                f"{100 * d['none']:.1f}%",
                f"confident and right {100 * d['confident_right']:.1f}%",
            ]
        )
    header = [
        f"{split} split",
        "n",
        'the app\'s verdict: "not a digit", "not sure" or no answer',
        "not a digit",
        "not sure",
        "no answer",
        "confident numbers read",
    ]
    return markdown_table(header, rows)


def scores_table(results: dict) -> str:
    names = list(next(iter(results.values()))["scores"])
    header = ["score (higher: a digit)"]
    for split in results:
        header += [f"AUROC, {split}", "FPR at 95% TPR", "FPR at 99% TPR", "numbers kept at 95%"]
    rows = []
    for name in names:
        row = [name]
        for split in results:
            s = results[split]["scores"][name]
            kept = s["numbers_kept_at_95tpr"]
            row += [
                f"{s['auroc']:.3f}",
                f"{100 * s['fpr_at_95tpr']:.1f}%",
                f"{100 * s['fpr_at_99tpr']:.1f}%",
                "-" if kept is None else f"{100 * kept:.0f}%",
            ]
        rows.append(row)
    return markdown_table(header, rows)


def transfer(results: dict) -> dict:
    """Per score: the threshold that keeps 95% of the tune digits, and what it does on the test
    split (digits and numbers kept, non-digits caught per kind)."""
    tune, test = results["tune"]["scores"], results["test"]["scores"]
    out = {}
    for name in tune:
        t = tune[name]["threshold_95tpr"]
        pos, neg = np.asarray(test[name]["digits"]), np.asarray(test[name]["nondigits"])
        numbers, kinds = np.asarray(test[name]["numbers"]), np.asarray(test[name]["kinds"])
        out[name] = {
            "threshold": t,
            "digits_kept": float((pos >= t).mean()),
            "numbers_kept": float((numbers >= t).mean()) if len(numbers) else None,
            "caught": {k: float((neg[kinds == k] < t).mean()) for k in KINDS},
            "all_caught": float((neg < t).mean()),
        }
    return out


def transfer_table(moved: dict) -> str:
    header = ["score, threshold from tune", "test digits kept", "test numbers kept"]
    header += [f"test {k} caught" for k in KINDS] + ["all caught"]
    rows = []
    for name, m in moved.items():
        kept = "-" if m["numbers_kept"] is None else f"{100 * m['numbers_kept']:.0f}%"
        caught = [f"{100 * m['caught'][k]:.0f}%" for k in KINDS]
        rows.append([name, f"{100 * m['digits_kept']:.1f}%", kept, *caught, f"{100 * m['all_caught']:.0f}%"])
    return markdown_table(header, rows)


def slim(results: dict) -> dict:
    """The results without each drawing's scores (the JSON keeps what the tables show)."""
    per_drawing = ("digits", "nondigits", "numbers", "kinds")
    return {
        split: r
        | {
            "scores": {
                n: {k: v for k, v in s.items() if k not in per_drawing} for n, s in r["scores"].items()
            }
        }
        for split, r in results.items()
    }


def contact_sheet(path: str, per_item: int = 1, cell: int = 80) -> None:
    """A few drawings of every item of each split, as the app gets them, on one PNG."""
    lines = []
    for split in SPLITS:
        seen: dict[str, int] = defaultdict(int)
        row = []
        for d in drawings(split, per_kind=80):
            if seen[d.item] >= per_item:
                continue
            seen[d.item] += 1
            image = as_the_app_gets(render(d)).convert("RGBA")
            flat = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image).convert("L")
            flat = _crop_to_ink(flat, d)
            flat.thumbnail((cell, cell))
            tile = Image.new("L", (cell, cell), 200)
            tile.paste(flat, ((cell - flat.width) // 2, (cell - flat.height) // 2))
            row.append(tile)
        lines.append(row)
    cols = 16
    height = sum(-(-len(r) // cols) for r in lines) + len(lines) - 1
    sheet = Image.new("L", (cols * cell, height * cell), 255)
    y = 0
    for row in lines:
        for i, tile in enumerate(row):
            sheet.paste(tile, ((i % cols) * cell, (y + i // cols) * cell))
        y += -(-len(row) // cols) + 1
    sheet.save(path, optimize=True)
    print(f"wrote {path}")


def _crop_to_ink(gray: Image.Image, d: Drawing, margin: float = 6) -> Image.Image:
    """The square around the drawing's strokes, in the image as the app got it (shrunk)."""
    factor = d.canvas[0] / gray.width
    points = np.vstack(d.strokes)
    lo, hi = points.min(0) - d.brush / 2 - margin, points.max(0) + d.brush / 2 + margin
    (cx, cy), half = (lo + hi) / 2 / factor, (hi - lo).max() / 2 / factor
    return gray.crop((int(cx - half), int(cy - half), int(cx + half), int(cy + half)))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--split", choices=[*SPLITS, "both"], default="both")
    p.add_argument("--per-kind", type=int, default=150, help="non-digit drawings of each kind, per split")
    p.add_argument("--digits", type=int, default=600, help="sketch-style digits, per split")
    p.add_argument("--numbers", type=int, default=150, help="numbers of 2-4 digits, per split")
    p.add_argument("--data-dir", default=str(DEFAULT_DATA))
    p.add_argument("--samples", default=None, help="write a contact sheet of both splits here and stop")
    args = p.parse_args()
    if args.samples:
        contact_sheet(args.samples)
        return
    clf = load_classifier(device="cpu")
    train_images, train_labels = load_mnist(args.data_dir, train=True)
    test_images, test_labels = load_mnist(args.data_dir, train=False)
    scorer = Scorer(clf, train_images, train_labels)
    splits = SPLITS if args.split == "both" else (args.split,)
    sizes = (args.per_kind, args.digits, args.numbers)
    results = {s: run_split(s, sizes, clf, scorer, test_images.numpy(), test_labels.numpy()) for s in splits}
    table = "\n\n".join(answers_table(s, r["answers"]) for s, r in results.items())
    table += "\n\nCandidate scores, digits against non-digits (a drawing read as no digit scores lowest):\n\n"
    table += scores_table(results)
    moved = transfer(results) if "tune" in results and "test" in results else None
    if moved is not None:
        table += "\n\nEach score's threshold that keeps 95% of the tune digits, on the test split:\n\n"
        table += transfer_table(moved)
    command = "python -m bench.nondigits" + (f" --split {args.split}" if args.split != "both" else "")
    command += f" --per-kind {args.per_kind} --digits {args.digits} --numbers {args.numbers}"
    write("nondigits", {"splits": slim(results), "tune_to_test": moved}, table, command)


if __name__ == "__main__":
    main()
