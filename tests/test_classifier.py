"""The public classifier contract and device selection.

python -m pytest tests/test_classifier.py
"""

from __future__ import annotations

import pytest
import torch

from model import MLP, load_classifier, pick_device
from model import weights as weights_io
from model.classifier import DEVICE_ENV


def test_shipped_weights_load_and_give_probabilities():
    clf = load_classifier(device="cpu")
    x = torch.rand(4, 1, 28, 28)
    probs = clf.predict_proba(x)
    assert probs.shape == (4, 10)
    assert torch.all(probs >= 0) and torch.allclose(probs.sum(1), torch.ones(4))
    assert float(clf.metadata["test_accuracy"]) >= 0.991


def test_predict_proba_refuses_wrong_shapes():
    clf = load_classifier(device="cpu")
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        clf.predict_proba(torch.rand(1, 28, 28))
    with pytest.raises(TypeError):
        clf.predict_proba([[0.0]])


def test_normalisation_happens_inside_the_network(tmp_path):
    """Callers pass raw [0, 1] pixels; the network must not expect pre-normalised input."""
    torch.manual_seed(0)
    net = MLP()
    path = weights_io.save(net, tmp_path / "w.safetensors")
    x = torch.rand(2, 1, 28, 28)
    expected = torch.softmax(net.layers(((x - 0.1307) / 0.3081).flatten(1)), 1)
    assert torch.allclose(load_classifier(path, device="cpu").predict_proba(x), expected, atol=1e-6)


def test_device_order_explicit_then_environment_then_best(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    best = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert pick_device().type == best
    assert pick_device("auto").type == best
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    assert pick_device().type == "cpu"
    assert pick_device("cpu").type == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_unavailable_or_unknown_devices_are_clear_errors(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    with pytest.raises(ValueError, match="not available"):
        pick_device("cuda")
    with pytest.raises(ValueError, match="Unknown device"):
        pick_device("tpu-please")
    monkeypatch.setenv(DEVICE_ENV, "cuda:3")
    with pytest.raises(ValueError, match="not available"):
        load_classifier()
