"""Loading MNIST from IDX files, and clear errors that name the bad or missing file.

python -m pytest tests/test_data.py
"""

from __future__ import annotations

import shutil

import pytest
import torch

from model.training.data import DataError, batches, load_mnist


def test_loads_tensors_from_idx_files(tiny_mnist):
    images, labels = load_mnist(tiny_mnist, train=True, download=False)
    assert images.shape == (300, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (300,) and labels.dtype == torch.int64
    assert set(labels.tolist()) == set(range(10))


def test_reads_what_torchvision_reads(tiny_mnist):
    from torchvision.datasets.mnist import read_image_file, read_label_file

    raw = tiny_mnist / "MNIST" / "raw"
    images, labels = load_mnist(tiny_mnist, train=False, download=False)
    assert torch.equal(images, read_image_file(str(raw / "t10k-images-idx3-ubyte")))
    assert torch.equal(labels, read_label_file(str(raw / "t10k-labels-idx1-ubyte")))


def test_batches_cover_the_epoch_once_in_a_seeded_order(tiny_mnist):
    images, labels = load_mnist(tiny_mnist, train=False, download=False)
    seen = [y for _, y in batches(images, labels, 32, torch.Generator().manual_seed(0))]
    assert sum(len(y) for y in seen) == 100
    assert sorted(torch.cat(seen).tolist()) == sorted(labels.tolist())
    x, _ = next(batches(images, labels, 32, torch.Generator().manual_seed(0)))
    assert x.shape == (32, 1, 28, 28) and x.min() >= 0 and x.max() <= 1


def test_missing_files_are_named_when_download_is_off(tmp_path):
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.*--data-dir"):
        load_mnist(tmp_path, train=False, download=False)


@pytest.mark.parametrize(
    "damage", [b"", b"\x00\x00\x08\x03" + b"\x00\x00\x00\x05", b"not an idx file at all"]
)
def test_corrupt_file_is_named(tiny_mnist, tmp_path, damage):
    root = tmp_path / "copy"
    shutil.copytree(tiny_mnist, root)
    bad = root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    bad.write_bytes(damage)
    with pytest.raises(DataError, match="train-images-idx3-ubyte"):
        load_mnist(root, train=True, download=False)


def test_labels_that_do_not_match_images_are_refused(tiny_mnist, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(tiny_mnist, root)
    raw = root / "MNIST" / "raw"
    (raw / "t10k-labels-idx1-ubyte").write_bytes((raw / "train-labels-idx1-ubyte").read_bytes())
    with pytest.raises(DataError, match="do not belong together"):
        load_mnist(root, train=False, download=False)


def test_failed_download_explains_how_to_work_offline(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST  # here, not at collection: 2.8 s in every pytest worker

    # a real download attempt against a port where nothing listens: refused at once, like offline
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/mnist/"])
    with pytest.raises(DataError, match=r"Could not download MNIST.*--data-dir"):
        load_mnist(tmp_path, train=True, download=True)
