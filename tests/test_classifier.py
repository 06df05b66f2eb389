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


def test_normalisation_happens_inside_the_network_and_reading_averages_five_moves(tmp_path):
    """Callers pass raw [0, 1] pixels; the network must not expect pre-normalised input. The
    classifier's answer is the mean of the network's logits over the digit as it is and moved
    one pixel down, up, right and left, with black coming in at the edge (model/shifts.py)."""
    torch.manual_seed(0)
    net = MLP()
    path = weights_io.save(net, tmp_path / "w.safetensors")
    x = torch.rand(2, 1, 28, 28)
    padded = torch.zeros(2, 1, 30, 30)
    padded[..., 1:29, 1:29] = x
    shifts = ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))
    moves = [padded[..., 1 - dy : 29 - dy, 1 - dx : 29 - dx] for dy, dx in shifts]
    logits = torch.stack([net.layers(((m - 0.1307) / 0.3081).flatten(1)) for m in moves]).mean(0)
    clf = load_classifier(path, device="cpu")
    assert torch.allclose(clf.predict_logits(x), logits, atol=1e-5)
    assert torch.allclose(clf.predict_proba(x), torch.softmax(logits, 1), atol=1e-6)
    assert torch.allclose(clf.network(x), net.layers(((x - 0.1307) / 0.3081).flatten(1)), atol=1e-6)


def test_an_explicit_device_beats_the_environment_which_beats_auto(monkeypatch):
    # the environment names a device this machine lacks: using it would raise
    monkeypatch.setenv(DEVICE_ENV, "cuda:99")
    assert pick_device("cpu").type == "cpu"  # the argument wins
    with pytest.raises(ValueError, match="not available"):
        pick_device()  # no argument: the environment is used, not the automatic choice
    monkeypatch.setenv(DEVICE_ENV, "auto")  # the automatic choice: here, the only device there "is"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device().type == "mps"


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert pick_device().type == expected
    assert pick_device("auto").type == expected


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
