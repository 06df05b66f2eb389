"""Learning how reading scores its search (model/numbers/training/path_weights.py): the learned
weights read the numbers they learned from, `train.py --path-weights` writes them where reading
loads them, and what that file says is what reading does.

python -m pytest tests/test_path_weights.py
"""

from __future__ import annotations

import dataclasses
import json
import math
import re

import numpy as np
import pytest

from model import load_classifier, read_drawing
from model.numbers import Search, Step, best_path, load_path_weights, load_reader, save_path_weights
from model.numbers.priors import FEATURES, step_features, weight_vector
from model.numbers.training.path_weights import (
    HAND_WEIGHTS,
    PathWeightsConfig,
    fit,
    learn_path_weights,
    measure_widths,
    reachable,
)
from model.synth.numbers import write_in_any_style
from model.training.data import DataError, load_mnist
from model.weights import WeightsError

from .test_cuts import touching
from .test_training import flags, run_cli


def reading(digit: int, log_p: float, check: float) -> tuple[int, dict[str, float]]:
    """A candidate's reading (priors.candidate_features) with no energy, width or height doubt."""
    names = ("log p", "whole check", "energy short", "width", "height short", "small")
    return digit, dict(zip(names, [log_p, check, 0.0, 0.0, 0.0, 0.0]))


def two_ways(first: int, second: int, whole_check: float, rng: np.random.Generator) -> Search:
    """One group read whole as an 8 (candidate 0), or cut in two (candidates 1 and 2): `first`
    then `second`. The whole-digit check gives the whole group `whole_check`, the pieces a fair
    doubt; the classifier is surer of the whole group than of the pieces."""
    noise = rng.normal(0, 0.05, 3)
    whole = reading(8, -0.1 + noise[0], whole_check)
    steps = [
        Step(0, 2, 0, 8, step_features(whole)),
        Step(0, 1, 1, first, step_features(reading(first, -0.6 + noise[1], -0.4), cut=True, cut_after=True)),
        Step(1, 2, 2, second, step_features(reading(second, -0.6 + noise[2], -0.4), cut=True)),
    ]
    return Search([], np.zeros((3, 10)), [steps], [2])


def read(found: Search, weights: np.ndarray) -> str:
    digits = {s.candidate: s.digit for steps in found.groups for s in steps}
    chosen = [i for steps, stop in zip(found.groups, found.stops) for i in best_path(steps, stop, weights)]
    return "".join(str(digits[i]) for i in chosen)


def taught(rng: np.random.Generator) -> list[tuple[str, Search]]:
    """Touching 3s and 5s the check doubts as one digit (log 0.3) but not enough for the hand
    weights to cut them, and whole 8s it believes (log 0.9)."""
    touching = [("35", two_ways(3, 5, math.log(0.3), rng)) for _ in range(40)]
    whole = [("8", two_ways(3, 5, math.log(0.9), rng)) for _ in range(40)]
    return touching + whole


def test_the_learned_weights_read_what_the_hand_weights_read_wrong():
    examples = taught(np.random.default_rng(0))
    hand = weight_vector(HAND_WEIGHTS)
    assert sum(read(found, hand) == truth for truth, found in examples) == 40  # the 8s only
    learned = fit(examples, HAND_WEIGHTS, strength=0.1, iterations=30)
    assert set(learned) <= set(FEATURES)
    assert all(read(found, weight_vector(learned)) == truth for truth, found in examples)
    # a fresh batch, not learned from, is read right too
    fresh = taught(np.random.default_rng(1))
    assert all(read(found, weight_vector(learned)) == truth for truth, found in fresh)


def test_numbers_no_path_reads_right_are_left_out_and_none_at_all_is_an_error():
    rng = np.random.default_rng(2)
    unreadable = [("12", two_ways(3, 5, math.log(0.3), rng)) for _ in range(5)]
    with pytest.raises(ValueError, match="nothing to learn"):
        fit(unreadable, HAND_WEIGHTS)
    learned = fit(unreadable + taught(rng), HAND_WEIGHTS, strength=0.1, iterations=30)
    assert read(two_ways(3, 5, math.log(0.3), rng), weight_vector(learned)) == "35"


def test_a_reading_is_reachable_only_where_some_path_spells_it():
    # the benchmark's ceiling: a group read whole as an 8 or cut into 3 then 5
    found = two_ways(3, 5, math.log(0.3), np.random.default_rng(4))
    assert reachable("8", found) and reachable("35", found)
    for never in ("53", "3", "5", "38", "358", "12", ""):
        assert not reachable(never, found), never
    # two groups: each contributes one of its own readings, in order
    second = two_ways(1, 7, 0.0, np.random.default_rng(5))
    both = Search([], np.zeros((6, 10)), found.groups + second.groups, [2, 2])
    readable = {t for t in ("88", "817", "358", "3517", "178") if reachable(t, both)}
    assert readable == {"88", "817", "358", "3517"}


def test_a_strong_pull_keeps_the_hand_weights():
    learned = fit(taught(np.random.default_rng(3)), HAND_WEIGHTS, strength=1e6, iterations=30)
    assert all(math.isclose(learned.get(k, 0.0), w, abs_tol=0.01) for k, w in HAND_WEIGHTS.items())


@pytest.mark.slow
def test_learning_from_written_numbers_writes_a_file_reading_loads(tiny_mnist, tmp_path):
    small = {"per_length": 1, "touching_per_length": 1, "single": 2, "iterations": 3, "width_numbers": 2}
    small["first_digit"] = 0
    out = tmp_path / "path_weights.json"
    config = PathWeightsConfig(data_dir=str(tiny_mnist), download=False, out=str(out), **small)
    lines = []
    learned = learn_path_weights(config, write_in_any_style, log=lines.append)
    assert "measured the widths of" in lines[0] and "searched 12 numbers" in lines[1]
    assert "can be read right" in lines[2] and lines[-1] == f"Saved the path weights to {out}."
    loaded = load_path_weights(out)
    assert loaded == learned and set(loaded.weights) <= set(FEATURES)
    assert loaded.weights != load_path_weights().weights  # learned, not copied
    assert loaded.digit_width == load_path_weights().digit_width  # too few measured: kept
    assert "train.py --path-weights" in loaded.provenance["written_by"]
    assert loaded.provenance["log"] == lines[:-1]
    assert not list(tmp_path.glob(".*.tmp"))  # written whole, no temporary file left


def test_the_digits_widths_are_measured_on_numbers_written_apart(tiny_mnist):
    x, y = load_mnist(tiny_mnist, train=True, download=False)
    keep = (y == 0) | (y == 1)
    previous = [(9.0, 9.0)] * 10
    rng = np.random.default_rng(0)
    widths, measured = measure_widths(x.numpy()[keep], y.numpy()[keep], 40, rng, write_in_any_style, previous)
    assert measured >= 100
    assert widths[2:] == tuple(previous[2:])  # digits never measured keep the widths they had
    (zero, zero_sigma), (one, one_sigma) = widths[:2]
    assert 0.4 < zero < 1.2 and one < zero / 2  # a 0 is wide, a 1 narrow (shipped: 0.91, 0.34)
    assert 0 < zero_sigma < 1 and 0 < one_sigma < 1.5


def test_changing_the_path_weights_file_changes_the_reading(tmp_path):
    clf = load_classifier(device="cpu")
    pair = touching(2, 5, 7)  # one piece of ink: read as 25 only by cutting it
    assert read_drawing(pair, clf).number == "25"
    shipped = load_path_weights()
    no_cuts = dataclasses.replace(shipped, weights={**shipped.weights, "cut": -100.0})
    save_path_weights(no_cuts, tmp_path / "no_cuts.json")
    reader = load_reader(path_weights=tmp_path / "no_cuts.json")
    assert len(read_drawing(pair, clf, reader).number) == 1  # the file says never cut: one digit
    save_path_weights(shipped, tmp_path / "same.json")
    assert read_drawing(pair, clf, load_reader(path_weights=tmp_path / "same.json")).number == "25"


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "run `python train.py --path-weights`"),
        ("{not json", "not a path weights file"),
        ('{"format": "path-weights/1", "weights": {}}', "not a path weights file"),
        ("unknown feature", "features reading does not have"),
    ],
)
def test_a_missing_or_broken_path_weights_file_says_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "path_weights.json"
    if content == "unknown feature":
        data = load_path_weights().to_json()
        data["weights"]["slant"] = 1.0
        content = json.dumps(data)
    if content is not None:
        path.write_text(content)
    with pytest.raises(WeightsError, match=re.escape(message)):
        load_reader(path_weights=path)


@pytest.mark.slow
def test_train_py_path_weights_says_it_needs_the_held_out_training_digits(tiny_mnist):
    result = run_cli(*flags(path_weights=True, data_dir=tiny_mnist, no_download=True))
    assert result.returncode == 2
    assert "from 55,000 on" in result.stderr and "full training set" in result.stderr
    assert "Traceback" not in result.stderr
    with pytest.raises(DataError):
        learn_path_weights(PathWeightsConfig(data_dir=str(tiny_mnist), download=False), lambda *a: None)
