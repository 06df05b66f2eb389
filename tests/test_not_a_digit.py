"""The not-a-digit check, the verdict's second opinion: it tells digits from shapes people draw
instead (designs it never learned from), reading does without it when its file is absent, and
`train.py --not-a-digit` makes one.

python -m pytest tests/test_not_a_digit.py -q -m "not slow"
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from model import WeightsError, preprocess
from model.numbers import load_reader
from model.numbers.not_a_digit import DEFAULT_NOT_A_DIGIT, digit_log_prob, load_not_a_digit
from model.synth.nondigits import drawings, render
from model.synth.sketches import DIGIT_STROKES
from model.weights import read_metadata
from tests.test_cuts import canvas, draw
from tests.test_training import flags, run_cli


def digit_probability(images) -> np.ndarray:
    check = load_not_a_digit()
    assert check is not None, f"no not-a-digit check at {DEFAULT_NOT_A_DIGIT}"
    return digit_log_prob(check, torch.stack([preprocess(image) for image in images])).exp().numpy()


def test_the_shipped_check_tells_digits_from_hearts_smileys_and_question_marks():
    digits = [canvas(draw(DIGIT_STROKES[d], (380, 160))) for d in range(10)]
    assert (digit_probability(digits) > 0.5).all(), digit_probability(digits)
    # the benchmark's test split: designs it never learned from, which both other networks read
    # as digits (a heart as a 0, a ? as a 7)
    items = ("heart", "smiley", "?")
    others = [render(d) for d in drawings("test", per_kind=60) if d.item in items]
    assert len(others) >= 9
    assert (digit_probability(others) < 0.5).mean() > 0.6, digit_probability(others)


def test_reading_does_without_the_check_when_there_is_none(tmp_path):
    bare = load_reader(not_a_digit=tmp_path / "absent.safetensors")
    assert bare.not_a_digit is None and bare.weight == 0.0
    assert not bare.digit_part(torch.zeros(2, 1, 28, 28)).any()
    shipped = load_reader()
    assert shipped.not_a_digit is not None and shipped.weight == shipped.verdict.weight > 0


def test_a_broken_check_file_is_a_clear_error_not_a_silent_fallback(tmp_path):
    broken = tmp_path / "not_a_digit.safetensors"
    broken.write_bytes(b"\x00" * 100)
    with pytest.raises(WeightsError, match="not a readable"):
        load_reader(not_a_digit=broken)
    with pytest.raises(WeightsError, match="not a not-a-digit check"):
        load_not_a_digit(DEFAULT_NOT_A_DIGIT.parent / "mlp.safetensors")  # the classifier's file


@pytest.mark.slow
def test_train_py_not_a_digit_makes_a_check_that_reading_loads(tiny_mnist, tmp_path):
    out = tmp_path / "check.safetensors"
    result = run_cli(
        *flags(not_a_digit=True, data_dir=tiny_mnist, no_download=True, cache_dir=tmp_path / "cache"),
        *flags(out=out, threads=1),
    )
    assert result.returncode == 0, result.stderr
    assert f"Saved the not-a-digit check to {out}" in result.stdout
    training = json.loads(read_metadata(out)["training"])
    assert training["digits_right"] > 0.5 and training["not_digits_right"] > 0.5
    assert training["data_dir"] == tiny_mnist.name  # a name, not this machine's path
    assert load_reader(not_a_digit=out).not_a_digit.config.n_classes == 2
    assert len(list((tmp_path / "cache").glob("not-a-digit-*.safetensors"))) == 4  # drawn once, cached


def test_both_checks_in_one_pass_say_what_each_says_alone(tmp_path):
    """Reading runs the whole-digit and the not-a-digit checks as one pass (their first layers as
    one matmul, model/numbers/reader.py): the same log-probabilities as each check alone, and the
    same without the not-a-digit check."""
    x = torch.stack([preprocess(canvas(draw(DIGIT_STROKES[d], (380, 160)))) for d in range(10)])
    x = torch.cat([x, torch.rand(3, 1, 28, 28)])  # and some noise
    shipped = load_reader()
    whole, digit = shipped.parts(x)
    assert np.allclose(whole, shipped.whole_log_prob(x).numpy(), atol=1e-5)
    assert np.allclose(digit, shipped.digit_part(x), atol=1e-5)
    assert np.ptp(whole) > 0.01 and np.ptp(digit) > 0.01  # different images, different answers
    bare = load_reader(not_a_digit=tmp_path / "absent.safetensors")
    whole, digit = bare.parts(x)
    assert np.allclose(whole, bare.whole_log_prob(x).numpy(), atol=1e-5) and not digit.any()
