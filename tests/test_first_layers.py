"""Reading a number runs every network's first layer as one matmul (model/numbers/first_layers.py):
the classifier over a candidate as it is and moved a pixel each way, and both checks. What it
reads must be what each network says on its own, and follow a network trained in place.

python -m pytest tests/test_first_layers.py -q
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from model import load_classifier, preprocess, read_drawing
from model.numbers import load_reader
from model.numbers.first_layers import FirstLayers
from model.shifts import shifted_copies
from model.synth.sketches import Placement, draw_digit


def candidates() -> torch.Tensor:
    """Drawn digits, off-centre ones among them, and noise: (13, 1, 28, 28)."""
    digits = [
        preprocess(draw_digit(d, Placement((280, 280), (140 + 9 * (d % 3 - 1), 140), 180, 0, 16), "white"))
        for d in range(10)
    ]
    torch.manual_seed(0)
    return torch.cat([torch.stack(digits), torch.rand(3, 1, 28, 28)])


def each_on_its_own(clf, reader, x):
    as_it_is, moved = clf.predict_both(x)
    return as_it_is.numpy(), moved.numpy(), reader.whole_log_prob(x).numpy(), reader.digit_part(x)


def test_one_matmul_reads_what_each_network_says_on_its_own():
    clf, reader, x = load_classifier(device="cpu"), load_reader(), candidates()
    alone = each_on_its_own(clf, reader, x)
    together = reader.read(clf, x, moves=True)
    for mine, theirs in zip(together, alone):
        assert np.allclose(mine, theirs, atol=1e-4)
    assert np.ptp(alone[2]) > 0.01 and np.ptp(alone[3]) > 0.01  # the checks tell these apart
    assert not np.allclose(alone[0], alone[1], atol=0.05)  # the moves change the answers
    logits, moved, whole, digit = reader.read(clf, x, moves=False)  # the first pass alone
    assert moved is None and np.allclose(logits, alone[0], atol=1e-4)
    assert np.allclose(whole, alone[2], atol=1e-4) and np.allclose(digit, alone[3], atol=1e-4)


def step_in_place(first):
    with torch.no_grad():  # as an optimizer's step changes it
        first.weight.add_(0.05 * torch.randn_like(first.weight))


def step_through_data(first):
    first.weight.data.mul_(1.5)  # behind autograd's back, as a fused optimizer's step is


@pytest.mark.parametrize("change", [step_in_place, step_through_data])
def test_a_network_changed_after_a_reading_is_read_with_its_new_weights(change):
    clf, reader, x = load_classifier(device="cpu"), load_reader(), candidates()
    before = reader.read(clf, x, moves=True)[1]
    change(next(iter(clf.network.layers)))
    after = reader.read(clf, x, moves=True)[1]
    assert np.allclose(after, clf.predict_logits(x).numpy(), atol=1e-4)
    assert not np.allclose(after, before, atol=0.01)


def test_a_reading_checks_its_network_once_and_the_next_reading_sees_a_change():
    clf, reader, x = load_classifier(device="cpu"), load_reader(), candidates()
    with reader.holding(clf):  # as read_drawing does for one drawing's several batches
        before = reader.read(clf, x, moves=True)[1]
        step_through_data(next(iter(clf.network.layers)))  # unseen until the reading ends
        during = reader.read(clf, x, moves=True)[1]
    after = reader.read(clf, x, moves=True)[1]
    assert np.array_equal(during, before)  # checked once, on entering
    assert np.allclose(after, clf.predict_logits(x).numpy(), atol=1e-4)  # the next sees the change
    assert not np.allclose(after, before, atol=0.01)
    with reader.holding(clf):  # held again: the changed network, read as it is now
        assert np.allclose(reader.read(clf, x, moves=True)[1], after, atol=1e-6)


def test_a_classifier_loaded_under_inference_mode_reads_a_drawing():
    """Its tensors count no changes (torch's inference tensors): reading must not need that count."""
    with torch.inference_mode():
        clf = load_classifier(device="cpu")
    image = draw_digit(3, Placement((280, 280), (140, 140), 180, 0, 16), "white")
    assert read_drawing(image, clf).number == "3"


def test_a_reader_without_its_checks_reads_what_the_classifier_says():
    clf, x = load_classifier(device="cpu"), candidates()
    bare = load_reader(whole_digit=None, not_a_digit=None)
    logits, moved, whole, digit = bare.read(clf, x, moves=True)
    as_it_is, averaged = clf.predict_both(x)
    assert np.allclose(logits, as_it_is.numpy(), atol=1e-4)
    assert np.allclose(moved, averaged.numpy(), atol=1e-4)
    assert whole is None and not digit.any()


def test_each_move_is_the_network_on_the_moved_copy():
    """Moving the weights is moving the drawing: each block is the first layer over the copy moved
    that way, blank paper coming in (shifts.py's copies), not the other way round."""
    net, x = load_classifier(device="cpu").network, candidates()
    moves = [(0, 0), (1, 0), (0, -1), (-2, 3)]
    blocks = FirstLayers([(net, move) for move in moves])(x)
    first = next(iter(net.layers))
    for move, block in zip(moves, blocks):
        copy = shifted_copies(x, (move,))
        assert torch.allclose(block, F.linear(net.normalise(copy), first.weight, first.bias), atol=1e-4)
    assert not torch.allclose(blocks[1], blocks[0], atol=0.1)
