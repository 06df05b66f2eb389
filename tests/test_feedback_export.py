"""The visitors' dataset, out and back in: the database exported as MNIST-format IDX files that
torchvision reads, PNGs and a CSV; then `train.py --extra-data` trains with them.

python -m pytest tests/test_feedback_export.py
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from harness.python_run import run_python
from model import load_classifier, read_drawing
from model import weights as weights_io
from model.feedback import Correction, FeedbackStore, anonymous
from model.feedback.export import (
    DRAWINGS,
    IMAGES,
    LABELS,
    NOT_DIGIT_IMAGES,
    NOT_DIGIT_TABLE,
    TABLE,
    export,
)
from model.feedback.split import held_out
from model.synth.nondigits import drawings, render
from model.synth.sketches import Placement, draw_digit
from ui.pad import CANVAS


def read_image_file(path: str | Path) -> torch.Tensor:
    """torchvision's own IDX reader, imported when a test reads (not at collection, which costs
    every pytest worker 2.8 s of CPU for torchvision)."""
    from torchvision.datasets.mnist import read_image_file

    return read_image_file(str(path))


def read_label_file(path: str | Path) -> torch.Tensor:
    from torchvision.datasets.mnist import read_label_file

    return read_label_file(str(path))


@pytest.fixture(scope="module")
def visitors_db(tmp_path_factory) -> Path:
    """A database of 40 corrections: drawn digits read by the shipped model, every fourth one
    marked wrong (label = answer + 1)."""
    path = tmp_path_factory.mktemp("db") / "corrections.sqlite3"
    classifier = load_classifier(device="cpu")
    rng = np.random.default_rng(0)
    store = FeedbackStore.open(path)
    for i in range(40):
        place = Placement(CANVAS, (float(rng.uniform(200, 440)), 160.0), float(rng.uniform(150, 260)), 0, 12)
        drawing = draw_digit(i % 10, place, "white")
        reading = read_drawing(drawing, classifier)
        answer = reading.digits[0].digit
        label = (answer + 1) % 10 if i % 4 == 0 else answer
        store.add(Correction.of(reading, 0, label, drawing, weights="w" * 16, session=anonymous(str(i // 5))))
    store.close()
    return path


def gunzip(path: Path, into: Path) -> str:
    plain = into / path.stem
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    return str(plain)


def test_the_export_is_mnist_format_that_torchvision_reads(visitors_db, tmp_path):
    done = export(visitors_db, tmp_path / "out")
    images = read_image_file(gunzip(tmp_path / "out" / IMAGES, tmp_path))
    labels = read_label_file(gunzip(tmp_path / "out" / LABELS, tmp_path))
    assert done.digits == 40 and tuple(images.shape) == (40, 28, 28) and tuple(labels.shape) == (40,)
    with open(tmp_path / "out" / TABLE, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["label"]) for r in rows] == labels.tolist()
    assert sum(r["right"] == "0" for r in rows) == 10  # every fourth was marked wrong
    assert all(int(r["right"]) == (r["label"] == r["answer"]) for r in rows)
    for image, row in zip(images, rows):
        assert int(row["held_out"]) == held_out(image.numpy().tobytes())
        drawing = Image.open(tmp_path / "out" / row["drawing"])
        assert drawing.mode == "L"
        probs = [float(row[f"p{k}"]) for k in range(10)]
        assert int(np.argmax(probs)) == int(row["answer"]) and sum(probs) == pytest.approx(1, abs=1e-3)
    assert len(list((tmp_path / "out" / DRAWINGS).glob("*.png"))) == 40
    assert 0 < done.held_out < 40 and done.held_out == sum(r["held_out"] == "1" for r in rows)
    # MNIST's look: white digits on black, centred, the background exactly 0
    assert images[:, 0, :].max() == 0 and images.float().mean() > 10


def test_drawings_marked_not_a_digit_are_exported_apart_for_a_later_training_run(visitors_db, tmp_path):
    db = tmp_path / "db.sqlite3"
    db.write_bytes(visitors_db.read_bytes())  # the 40 digits, and two drawings that are not digits
    first = Correction.of(read_drawing(star(), load_classifier(device="cpu")), 0, -1, star(), "w" * 16, "s")
    store = FeedbackStore.open(db)
    ids = [store.add(first), store.add(first)]
    store.close()
    done = export(db, tmp_path / "out")
    out = tmp_path / "out"
    assert (done.digits, done.not_digits) == (40, 2)  # the digits' files are as before: labels 0-9
    assert tuple(read_label_file(gunzip(out / LABELS, tmp_path)).shape) == (40,)
    others = read_image_file(gunzip(out / NOT_DIGIT_IMAGES, tmp_path))
    assert tuple(others.shape) == (2, 28, 28)
    assert np.array_equal(others[0].numpy(), (np.clip(first_input(first), 0, 1) * 255).round())
    with open(out / NOT_DIGIT_TABLE, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["id"]) for r in rows] == ids and {r["label"] for r in rows} == {"not_a_digit"}
    assert {r["verdict"] for r in rows} == {first.verdict} and first.verdict in ("unsure", "not_a_digit")
    assert all((out / r["drawing"]).is_file() and "not_a_digit" in r["drawing"] for r in rows)


def star() -> Image.Image:
    """A star drawn on the pad (the not-a-digit drawings' test split)."""
    return render(next(d for d in drawings("test", per_kind=220) if d.item == "star" and d.style == "pad"))


def first_input(row: Correction) -> np.ndarray:
    return np.frombuffer(row.input, np.float32).reshape(28, 28)


def test_the_export_command_and_a_missing_database(visitors_db, tmp_path):
    run = ["-m", "model.feedback.export"]
    ok = run_python([*run, str(visitors_db), str(tmp_path / "o")])
    assert ok.returncode == 0 and ok.stdout.startswith("Exported 40 visitor digits"), ok.stderr
    missing = run_python([*run, str(tmp_path / "none.db"), str(tmp_path / "o")])
    assert missing.returncode == 2 and "no database at" in missing.stderr


@pytest.mark.slow
def test_training_with_extra_data_counts_the_visitor_digits_and_scores_the_held_out_ones(
    visitors_db, tiny_mnist, drawn_cache, tmp_path
):
    done = export(visitors_db, tmp_path / "visitors")
    out = tmp_path / "w" / "mlp.safetensors"
    args = ["--data-dir", str(tiny_mnist), "--no-download", "--out", str(out), "--epochs", "2"]
    args += ["--checkpoint", str(tmp_path / "ck.safetensors"), "--quiet", "--batch-size", "32"]
    args += ["--cache-dir", str(drawn_cache)]  # the drawings' cache: not the checkout's data/
    args += ["--extra-data", str(tmp_path / "visitors"), "--extra-weight", "3"]
    result = run_python(["train.py", *args])
    assert result.returncode == 0, result.stderr
    trained = done.digits - done.held_out
    assert f"{300 + 3 * trained:,} images" in result.stdout  # MNIST's 300 and each visitor digit 3x
    assert f"{trained} in training (each 3x per epoch), {done.held_out} held out" in result.stdout
    assert "Test accuracy:" in result.stdout and "Held-out visitor digits:" in result.stdout
    metrics = json.loads((out.parent / "report" / "metrics.json").read_text())
    assert sum(map(sum, metrics["confusion_matrix"])) == 100  # still the untouched test set alone
    visitors = metrics["visitors"]
    assert (visitors["train"], visitors["held_out"], visitors["weight"]) == (trained, done.held_out, 3)
    # the two scores are of the held-out digits: as the visitors marked them, and as the new
    # weights read them
    with open(tmp_path / "visitors" / TABLE, newline="") as f:
        rows = list(csv.DictReader(f))
    held = torch.tensor([r["held_out"] == "1" for r in rows])
    right = torch.tensor([r["right"] == "1" for r in rows])
    assert visitors["held_out_accuracy_before"] == pytest.approx(right[held].float().mean().item())
    images = read_image_file(gunzip(tmp_path / "visitors" / IMAGES, tmp_path))[held][:, None].float() / 255
    labels = torch.tensor([int(r["label"]) for r in rows])[held]
    read = (weights_io.load(out)(images).argmax(1) == labels).float().mean().item()
    assert visitors["held_out_accuracy"] == pytest.approx(read)


@pytest.mark.slow  # train.py starts, and draws the training digits before it looks
def test_a_missing_export_is_a_one_line_error(tiny_mnist, drawn_cache, tmp_path):
    args = ["--data-dir", str(tiny_mnist), "--no-download", "--extra-data", str(tmp_path / "nothing")]
    args += ["--cache-dir", str(drawn_cache)]  # (it draws the training digits before it looks)
    result = run_python(["train.py", *args])
    assert (
        result.returncode == 2
        and result.stderr.startswith("error: ")
        and "model.feedback.export" in result.stderr
    )
