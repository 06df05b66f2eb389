"""How the number writer writes a number (model/synth/numbers.py): every digit drawn whole.

python -m pytest tests/test_numbers.py
"""

from __future__ import annotations

import numpy as np
import pytest

from model.synth.numbers import CONDITIONS, MARKS, write_number


def long_tailed_two() -> np.ndarray:
    """A 2 whose base runs on far to the right, as some MNIST 2s do: drawn, it is much wider
    than a digit is tall, and nudging it clear of its neighbour takes it far along."""
    image = np.zeros((28, 28), np.uint8)
    for x in range(6, 16):  # the top arc, roughly
        image[6 + abs(x - 11) // 2, x] = 255
    for k in range(10):  # down to the base
        image[8 + k, 15 - k] = 255
    image[18, 5:28] = 255  # the long base
    return image


@pytest.mark.parametrize("condition", CONDITIONS)
def test_wide_digits_are_written_whole_in_every_condition(condition):
    # such numbers ran off the canvas: the last digit was cut off, or lost and the writer failed
    digits = [long_tailed_two()] * 4
    for seed in range(12):
        canvas, info = write_number(digits, np.random.default_rng(seed), "white", condition)
        assert info["condition"] == condition
        ink = np.asarray(canvas.convert("L")) < 128
        assert ink.any()
        if condition not in MARKS:  # (a stray mark may run to the edge; it is no digit)
            assert not ink[:, -1].any(), f"seed {seed}: a digit runs off the canvas"
