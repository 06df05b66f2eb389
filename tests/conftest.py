"""Shared fixtures: a tiny MNIST-format dataset (real IDX files) and a small trained network.

Run the tests with `make test` (or `python -m pytest` inside the dev environment).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest

# Apps the tests start read in their own process unless a test asks for workers (tests/test_workers.py):
# two more interpreters per server would only slow the suite down.
os.environ.setdefault("DIGIT_WORKERS", "0")

from harness.browser import CHROMIUM, chromium
from harness.server import ROOT, AppServer
from model import preprocess
from model.synth.sketches import Placement, draw_digit


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array in MNIST's IDX format (big-endian header, then raw bytes)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())


def make_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n MNIST-style 28x28 uint8 digits drawn from the hand-made strokes, with random placement,
    size, slant and brush, run through the real preprocessing."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for i in range(n):
        label = i % 10
        height = rng.uniform(80, 180)
        place = Placement(
            (240, 240),
            tuple(rng.uniform(100, 140, 2)),
            height,
            rng.uniform(-12, 12),
            height * rng.uniform(0.08, 0.16),
        )
        x = preprocess(draw_digit(label, place))
        images.append((x[0].numpy() * 255).round().astype(np.uint8))
        labels.append(label)
    return np.stack(images), np.asarray(labels, np.uint8)


# What a test run may leave in the checkout: caches, and the screenshots kept for a person to see.
NOT_THE_CHECKOUTS = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache"}
SCREENSHOTS = ROOT / "tests" / "out"


def checkout_files(root: Path = ROOT) -> dict[str, tuple[int, int]]:
    """Every file in the checkout (ignored ones too, such as data/), as {path: (size, mtime)}."""
    files = {}
    for folder, names, filenames in os.walk(root):
        names[:] = [n for n in names if n not in NOT_THE_CHECKOUTS and Path(folder, n) != SCREENSHOTS]
        for name in filenames:
            stat = (Path(folder) / name).stat()
            files[str(Path(folder, name).relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return files


@pytest.fixture(scope="session", autouse=True)
def nothing_written_into_the_checkout():
    """A test run leaves the checkout as it found it: apps and trainings write to temporary
    folders (an error at the last test's teardown says which files changed)."""
    before = checkout_files()
    yield
    after = checkout_files()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"the tests wrote into the checkout: {changed}"


@pytest.fixture(scope="session")
def tiny_mnist(tmp_path_factory) -> Path:
    """A data dir laid out like torchvision's MNIST (MNIST/raw/*-ubyte), 300 train / 100 test."""
    root = tmp_path_factory.mktemp("mnist")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n, seed in (("train", 300, 0), ("t10k", 100, 1)):
        images, labels = make_digits(n, seed)
        write_idx(raw / f"{split}-images-idx3-ubyte", images)
        write_idx(raw / f"{split}-labels-idx1-ubyte", labels)
    return root


@pytest.fixture(scope="session")
def drawn_cache(tmp_path_factory) -> Path:
    """One cache of the tiny set's drawings (train.py's --cache-dir) for the session's training
    runs: it is keyed by the images and the recipe (model/training/pad.py), so runs share it
    safely and the 300 digits are drawn once, not once per run."""
    return tmp_path_factory.mktemp("drawn-cache")


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium; skipped without one, unless REQUIRE_BROWSER=1 (as in CI)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM}")
        pytest.skip("no Chromium here: apt-get install chromium (make test does it when run as root)")
    with chromium() as b:
        yield b


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app")  # corrections, if a test makes any, go there too
    server = AppServer(folder / "app.log", env={"DIGIT_FEEDBACK_DB": str(folder / "corrections.sqlite3")})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def feedback_server(tmp_path_factory):
    """The app with a corrections database of its own (`server.db`), fresh for each test module
    that counts rows in it."""
    folder = tmp_path_factory.mktemp("feedback")
    with AppServer(folder / "app.log", env={"DIGIT_FEEDBACK_DB": str(folder / "db.sqlite3")}) as server:
        server.db = folder / "db.sqlite3"
        yield server


@pytest.fixture(scope="session")
def client(app_server):
    from gradio_client import Client

    return Client(app_server.url, verbose=False)


def canvas_png(tmp_path: Path, image, name: str = "canvas.png") -> str:
    """Save a PIL image as the pad would upload it and return its path."""
    path = tmp_path / name
    image.save(path)
    return str(path)
