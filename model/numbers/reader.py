"""What reading a number needs besides the classifier, and how it runs them all on a candidate.

    reader = load_reader(device="cpu")   # weights/: whole_digit, not_a_digit, path_weights, verdict
    reader = load_reader(whole_digit=None)              # without the check
    reader = default_reader(classifier.device)          # the shipped ones, loaded once per device
    logits, moved, whole, digit = reader.read(classifier, x, moves=True)   # every network on x
    with reader.holding(classifier): ...   # one reading's batches: the network checked once

The classifier (model/classifier.py) reads one digit; the number reader owns the rest, so that a
classifier trained anew (the app's "Watch it learn") can be read with the same reader.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..classifier import Classifier
from ..network import MLP
from ..shifts import ShiftAveraged
from .first_layers import FirstLayers, version
from .learned import DEFAULT_PATH_WEIGHTS, PathWeights, load_path_weights
from .not_a_digit import DEFAULT_NOT_A_DIGIT, DIGIT, digit_log_prob, load_not_a_digit
from .priors import weight_vector
from .verdict import DEFAULT_VERDICT, Thresholds, load_verdict
from .whole_digit import DEFAULT_WHOLE_DIGIT, WHOLE, load_whole_digit, whole_log_prob


@dataclass(frozen=True)
class NumberReader:
    """The whole-digit check (None: read without it), the path score's learned data, the
    thresholds of the verdict (None: by the digits' confidence alone; verdict.py), and the
    not-a-digit check, the verdict's second opinion (None: the score does without it)."""

    check: MLP | None
    learned: PathWeights
    verdict: Thresholds | None = None
    not_a_digit: MLP | None = None

    @property
    def weight(self) -> float:
        """How much the not-a-digit check counts in the verdict's score: the verdict file's
        weight, 0 without that check or without a verdict file."""
        return 0.0 if self.not_a_digit is None or self.verdict is None else self.verdict.weight

    def digit_part(self, x: torch.Tensor) -> np.ndarray:
        """(N, 1, 28, 28) floats in [0, 1] -> (N,) the score's third part, weight * log P(a
        digit); zeros, without running the check, when it does not count."""
        if not self.weight:
            return np.zeros(len(x))
        return self.weight * digit_log_prob(self.not_a_digit, x).double().numpy()

    def parts(self, x: torch.Tensor) -> tuple[np.ndarray | None, np.ndarray]:
        """(N, 1, 28, 28) floats in [0, 1] -> the whole-digit check's (N,) log P(one whole digit)
        as float32 (None without the check) and the score's third part, digit_part's (N,), from
        one pass of both checks: their first layers, which see the same pixels, as one matmul."""
        together = self._checks_together
        if together is None:  # one check or none: each on its own
            whole = self.whole_log_prob(x)
            return (None if whole is None else whole.numpy()), self.digit_part(x)
        with torch.inference_mode():
            return self._from_checks(together(x.to(together.weight.device, torch.float32)), len(x))

    def read(
        self, classifier: Classifier, x: torch.Tensor, moves: bool
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray]:
        """(N, 1, 28, 28) candidates in [0, 1] -> the classifier's (N, 10) logits over each as it
        is, their mean over its one-pixel moves ((N, 10); None without `moves`), and `parts`'
        two: what reading a number asks of every network, with all their first layers in one
        matmul (first_layers.py) where the networks allow it. The same numbers as
        classifier.predict_both (or predict_logits) and parts, up to float32's last bits."""
        held = getattr(self._held, "layers", None)
        layers = held[1] if held is not None and held[0] is classifier else self._stacked(classifier)
        if layers is None:
            if moves:
                logits, moved = (t.numpy() for t in classifier.predict_both(x))
            else:
                logits, moved = classifier.predict_logits(x, moves=False).numpy(), None
            return (logits, moved, *self.parts(x))
        n_checks = len(self._checks)
        with torch.inference_mode():
            firsts = layers(x.to(layers.weight.device, torch.float32), None if moves else 1 + n_checks)
            # the classifier as it is and over its other moves, in one pass of its other layers
            logits = classifier.network.after_first(torch.cat([firsts[0], *firsts[1 + n_checks :]]))
            moved = logits.reshape(-1, len(x), logits.shape[1]).mean(0).cpu().numpy() if moves else None
            checked = self._from_checks(firsts[1 : 1 + n_checks], len(x))
            return (logits[: len(x)].cpu().numpy(), moved, *checked)

    @contextlib.contextmanager
    def holding(self, classifier: Classifier) -> Iterator[None]:
        """Within it, this thread's `read`s by `classifier` use the first layers made or checked on
        entering: a reading's several batches check the network for changes once (the check's
        sums, once per batch, were 3% of a live frame's CPU). The next reading checks again. A
        network must not be trained while it is read: its later layers are read as they are."""
        before = getattr(self._held, "layers", None)
        self._held.layers = (classifier, self._stacked(classifier))
        try:
            yield
        finally:
            self._held.layers = before

    def __post_init__(self) -> None:
        # per thread: (classifier, its FirstLayers or None) while `holding` it; made here, not on
        # first use, so that two threads' first readings cannot make one each
        object.__setattr__(self, "_held", threading.local())

    def _from_checks(self, firsts: list[torch.Tensor], n: int) -> tuple[np.ndarray | None, np.ndarray]:
        """`parts`' two from the checks' first-layer outputs (the `_checks`' order)."""
        whole, digit = None, np.zeros(n)
        for check, first in zip(self._checks, firsts):
            log_p = torch.log_softmax(check.after_first(first), dim=1)
            if check is self.check:
                whole = log_p[:, WHOLE].cpu().numpy()
            else:
                digit = self.weight * log_p[:, DIGIT].cpu().double().numpy()
        return whole, digit

    @property
    def _checks(self) -> list[MLP]:
        """The checks a reading runs: the whole-digit check, then the not-a-digit one when it
        counts (`weight`)."""
        return [c for c in (self.check, self.not_a_digit if self.weight else None) if c is not None]

    def _stacked(self, classifier: Classifier) -> FirstLayers | None:
        """The first layers of `classifier` (as it is, then the checks, then its other moves) as
        one, made once per classifier network and again when it has changed since (trained,
        loaded, moved: first_layers.version; the checks are loaded from their files and never
        trained in place); None when they cannot be one (not an MLP of 28 x 28 pixels, the
        checks on another device)."""
        net, reader = classifier.network, classifier.reader
        made = self._made.get(net) if isinstance(net, MLP) else None
        shifts = getattr(reader, "shifts", None)
        if made is not None and made[0] == (version(net), shifts):
            return made[1]
        networks = [net, *self._checks]
        if (
            not isinstance(net, MLP)
            or not isinstance(reader, ShiftAveraged)
            or (0, 0) not in reader.shifts
            or len(set(reader.shifts)) != len(reader.shifts)  # a move twice would weigh twice
            or any(n.config.in_features != 28 * 28 for n in networks)
            or len({next(n.parameters()).device for n in networks}) > 1
        ):
            return None
        blocks = [(n, (0, 0)) for n in networks] + [(net, m) for m in reader.shifts if m != (0, 0)]
        made = (version(net), shifts), FirstLayers(blocks)
        self._made[net] = made
        return made[1]

    @functools.cached_property
    def _made(self) -> weakref.WeakKeyDictionary:
        """FirstLayers made per classifier network, with the version they were made from."""
        return weakref.WeakKeyDictionary()

    @functools.cached_property
    def _checks_together(self) -> FirstLayers | None:
        """Both checks' first layers as one, when both run, on one device, over 28 x 28 pixels;
        None otherwise."""
        checks = self._checks
        if (
            len(checks) < 2
            or any(c.config.in_features != 28 * 28 for c in checks)
            or len({next(c.parameters()).device for c in checks}) > 1
        ):
            return None
        return FirstLayers([(c, (0, 0)) for c in checks])

    @functools.cached_property
    def vector(self) -> np.ndarray:
        """The path weights as a vector over priors.FEATURES."""
        return weight_vector(self.learned.weights)

    def whole_log_prob(self, x: torch.Tensor) -> torch.Tensor | None:
        """(N, 1, 28, 28) floats in [0, 1] -> (N,) log-probability that each image is one whole
        digit (not two run together, nor a piece of one); None without the check."""
        return None if self.check is None else whole_log_prob(self.check, x)


def load_reader(
    device: str | torch.device = "cpu",
    whole_digit: str | Path | None = DEFAULT_WHOLE_DIGIT,
    path_weights: str | Path = DEFAULT_PATH_WEIGHTS,
    verdict: str | Path | None = DEFAULT_VERDICT,
    not_a_digit: str | Path | None = DEFAULT_NOT_A_DIGIT,
) -> NumberReader:
    """The number reader from its files: the check from `whole_digit` when that file exists
    (None: without it), on `device`, the learned data from `path_weights`, the verdict's
    thresholds from `verdict` and the not-a-digit check from `not_a_digit`, each when its file
    exists."""
    return NumberReader(
        load_whole_digit(whole_digit, device),
        load_path_weights(path_weights),
        load_verdict(verdict),
        load_not_a_digit(not_a_digit, device),
    )


@functools.cache
def default_reader(device: str | torch.device = "cpu") -> NumberReader:
    """The shipped number reader on `device`, loaded once."""
    return load_reader(device)
