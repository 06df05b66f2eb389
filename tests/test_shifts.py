"""Reading a digit as it is and moved one pixel each way (model/shifts.py).

python -m pytest tests/test_shifts.py
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from model import load_classifier, preprocess, read_drawing
from model.shifts import SHIFTS, ShiftAveraged, shifted_copies
from model.synth.sketches import Placement, draw_digit


def test_each_copy_moves_the_ink_one_pixel_and_nothing_wraps_round():
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 5, 5] = 1.0  # inside
    x[0, 0, 10, 27] = 0.5  # on the right edge
    x[0, 0, 0, 12] = 0.25  # on the top edge
    copies = shifted_copies(x)
    assert copies.shape == (len(SHIFTS), 1, 28, 28)
    for copy, (dy, dx) in zip(copies, SHIFTS):
        assert copy[0, 5 + dy, 5 + dx] == 1.0
    down, up, right, left = copies[1:, 0]
    assert right[10].sum() == 0 and right[:, 0].sum() == 0  # the edge pixel left; nothing came round
    assert left[10, 26] == 0.5
    assert up[0].sum() == 0 and up[27].sum() == 0  # the top pixel left the picture
    assert down[1, 12] == 0.25
    # ink is only lost off the edge, never made
    assert all(c.sum() <= x.sum() for c in copies)
    assert copies[0].equal(x[0])


def test_copies_keep_the_batch_in_order():
    x = torch.arange(3.0).reshape(3, 1, 1, 1).expand(3, 1, 28, 28).clone()
    copies = shifted_copies(x).reshape(len(SHIFTS), 3, 1, 28, 28)
    for k in range(3):  # digit k's copies all come from digit k
        assert torch.all(copies[:, k, 0, 14, 14] == k)


def test_the_confidence_a_visitor_sees_is_the_five_move_average():
    """The bars on a digit's card come from the digit read as it is and moved one pixel each way,
    not from one pass (a number's search weighs its pieces with one pass; the digits it chose are
    read again)."""
    clf = load_classifier(device="cpu")
    canvas = Image.new("L", (560, 280), 255)
    for k, digit in enumerate((3, 8)):
        drawn = draw_digit(digit, Placement((280, 280), (140, 140), 180, 0, 16), "white")
        canvas.paste(drawn.convert("L"), (280 * k, 0))
    reading = read_drawing(canvas, clf)
    assert reading.number == "38"
    x = torch.from_numpy(np.stack([d.image for d in reading.digits]))[:, None]
    shown = torch.tensor([d.probabilities for d in reading.digits])
    assert torch.allclose(shown, clf.predict_proba(x), atol=1e-6)
    one_pass = torch.log_softmax(clf.predict_logits(x, moves=False), 1)
    assert not torch.allclose(shown.log(), one_pass, atol=0.05)  # the runners-up differ


def test_one_batch_gives_the_pass_as_it_is_and_the_five_move_average():
    """A reading's first candidates are read over their moves in the same batch as their one pass
    (model/numbers/segmentation.py): both must be what the two separate calls give."""
    clf = load_classifier(device="cpu")
    x = torch.stack(
        [preprocess(draw_digit(d, Placement((280, 280), (140, 140), 180, 0, 16), "white")) for d in (3, 8, 9)]
    )
    as_it_is, moved = clf.predict_both(x)
    assert torch.allclose(as_it_is, clf.predict_logits(x, moves=False), atol=1e-5)
    assert torch.allclose(moved, clf.predict_logits(x), atol=1e-5)
    assert not torch.allclose(as_it_is, moved, atol=0.05)  # two different readings, not one twice


def test_the_moves_are_what_the_network_makes_of_each_moved_copy():
    """The five moves are normalised once and moved with blank paper's normalised value coming
    in at the edge: to the last bit what the network gives for each moved copy of the drawing."""
    net = load_classifier(device="cpu").network
    x = torch.stack(
        [preprocess(draw_digit(d, Placement((280, 280), (140, 140), 180, 0, 16), "white")) for d in (1, 4)]
    )
    x[:, :, :, 0] = 1.0  # ink at the edge, where the moves bring paper in
    with torch.inference_mode():
        expected = net(shifted_copies(x)).reshape(len(SHIFTS), len(x), -1).mean(0)
        assert torch.equal(ShiftAveraged(net).both(x)[1], expected)
