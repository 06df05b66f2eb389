"""Weights files: round trip, metadata, and clear refusals of missing, corrupt or mismatched files.

python -m pytest tests/test_weights.py
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import torch
from safetensors.torch import save_file

from model import MLP, MLPConfig, WeightsError, load_classifier
from model import weights as weights_io


@pytest.fixture
def network() -> MLP:
    torch.manual_seed(0)
    return MLP()


def test_round_trip_keeps_logits_and_metadata(network, tmp_path):
    path = weights_io.save(
        network, tmp_path / "w.safetensors", test_accuracy=0.9931, training={"epochs": 40, "lr": 0.003}
    )
    loaded = weights_io.load(path)
    x = torch.rand(8, 1, 28, 28)
    assert torch.equal(network.eval()(x), loaded(x))
    meta = weights_io.read_metadata(path)
    assert MLPConfig.from_json(meta["config"]) == network.config
    assert float(meta["test_accuracy"]) == pytest.approx(0.9931)
    assert json.loads(meta["training"]) == {"epochs": 40, "lr": 0.003}
    assert json.loads(meta["normalization"]) == {"mean": 0.1307, "std": 0.3081}
    assert meta["torch_version"] == torch.__version__ and meta["dataset"] == "MNIST"
    created = datetime.fromisoformat(meta["created"])
    assert abs(datetime.now(timezone.utc) - created) < timedelta(minutes=5)


def test_the_default_network_is_the_tutorials(network):
    assert network.config.sizes == [784, 200, 150, 100, 80, 10]
    assert network.num_parameters() == 211_140


def test_other_hidden_sizes_are_rebuilt_from_the_header(tmp_path):
    small = MLP(MLPConfig(hidden=(32, 16)))
    path = weights_io.save(small, tmp_path / "small.safetensors")
    assert weights_io.load(path).config.sizes == [784, 32, 16, 10]


def test_missing_file_says_to_train(tmp_path):
    with pytest.raises(WeightsError, match=r"No weights file .*python train.py"):
        load_classifier(tmp_path / "absent.safetensors")


@pytest.mark.parametrize("damage", ["truncate", "garbage", "lfs-pointer"])
def test_corrupt_file_is_refused_with_a_fix(network, tmp_path, damage):
    path = weights_io.save(network, tmp_path / "w.safetensors")
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00\xff" * 500)
    else:
        path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 845000\n")
    with pytest.raises(WeightsError, match=r"train\.py|git lfs pull") as info:
        load_classifier(path)
    assert str(path) in str(info.value)


def test_shapes_that_do_not_match_the_config_are_refused(network, tmp_path):
    path = tmp_path / "w.safetensors"
    tensors = {k: v.contiguous() for k, v in network.state_dict().items()}
    tensors["layers.0.weight"] = torch.zeros(100, 784)  # header still says 200
    save_file(
        tensors,
        str(path),
        metadata={"format": "mnist-mlp", "format_version": "1", "config": MLPConfig().to_json()},
    )
    with pytest.raises(WeightsError, match=r"do not fit .*train.py"):
        load_classifier(path)


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        {"format": "something-else", "format_version": "1", "config": "{}"},
        {"format": "mnist-mlp", "format_version": "1", "config": "not json"},
        {"format": "mnist-mlp", "format_version": "1", "config": '{"hidden": [-5]}'},
    ],
)
def test_wrong_or_missing_metadata_is_refused(network, tmp_path, metadata):
    path = tmp_path / "w.safetensors"
    save_file({k: v.contiguous() for k, v in network.state_dict().items()}, str(path), metadata=metadata)
    with pytest.raises(WeightsError, match=r"train\.py"):
        load_classifier(path)


def test_a_failed_write_leaves_the_previous_file_intact(network, tmp_path, monkeypatch):
    path = weights_io.save(network, tmp_path / "w.safetensors", test_accuracy=0.5)
    before = path.read_bytes()

    def crash(tensors, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"half a file")
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of writing

    monkeypatch.setattr(weights_io, "save_file", crash)
    with pytest.raises(KeyboardInterrupt):
        weights_io.save(network, path, test_accuracy=0.9)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]  # no temp files left behind


def test_header_entries_are_added_later_without_touching_the_weights(network, tmp_path):
    """`python train.py --measure-scales` writes layer_scales into a trained file: the tensors
    stay byte for byte, the rest of the header stays, and the classifier reads the new entry."""
    path = weights_io.save(network, tmp_path / "w.safetensors", test_accuracy=0.99)
    before, meta = path.read_bytes(), weights_io.read_metadata(path)
    assert load_classifier(path, device="cpu").layer_scales is None
    weights_io.update_metadata(path, {"layer_scales": weights_io.layer_scales_json([30, 45.5, 70.123, 40])})
    after = path.read_bytes()
    assert _tensor_bytes(after) == _tensor_bytes(before)
    assert weights_io.read_metadata(path) == {**meta, "layer_scales": "[30, 45.5, 70.12, 40]"}
    assert load_classifier(path, device="cpu").layer_scales == (30.0, 45.5, 70.12, 40.0)
    # one per hidden layer, positive, or none at all
    for wrong in ("[30, 45.5, 70.1]", '["a", 1, 2, 3]', "[30, 0, 70, 40]", "{}"):
        weights_io.update_metadata(path, {"layer_scales": wrong})
        assert load_classifier(path, device="cpu").layer_scales is None


def _tensor_bytes(raw: bytes) -> tuple[dict, bytes]:
    """A safetensors file's tensor index (names, dtypes, shapes, offsets) and data section."""
    n = int.from_bytes(raw[:8], "little")
    index = json.loads(raw[8 : 8 + n])
    index.pop("__metadata__")
    return index, raw[8 + n :]
