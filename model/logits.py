"""Softmax and log-sum-exp of a reading's logits, in numpy.

    probs = softmax(logits)        # (N, 10) -> (N, 10), rows summing to 1
    energy = logsumexp(logits)     # (N, 10) -> (N,)

A reading has a few rows of ten logits at a time, already in numpy: torch's versions of these
are composites of half a dozen kernels, each a call of torch's dispatcher (about a tenth of a
millisecond a reading on the 2-core machine; docs/experiments.md). Same formulas as torch's
(the row's maximum taken out first), in the array's own precision.
"""

from __future__ import annotations

import numpy as np


def logsumexp(logits: np.ndarray) -> np.ndarray:
    """(N, K) -> (N,) log(sum(exp(row))), without overflow."""
    top = logits.max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)  # a row of -inf (or an inf) gives what torch gives
    with np.errstate(divide="ignore"):  # log(0) of a row of -inf: -inf, as torch's
        return (np.log(np.exp(logits - top).sum(axis=1, keepdims=True)) + top)[:, 0]


def softmax(logits: np.ndarray) -> np.ndarray:
    """(N, K) -> (N, K) probabilities, each row summing to 1."""
    with np.errstate(invalid="ignore"):  # a row of -inf: NaN, as torch's, without a warning
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
