"""model/logits.py: the reading's softmax and log-sum-exp agree with torch's, extremes included."""

from __future__ import annotations

import numpy as np
import torch

from model.logits import logsumexp, softmax


def test_softmax_and_logsumexp_agree_with_torch_without_overflow():
    rng = np.random.default_rng(0)
    rows = np.concatenate([rng.normal(0, 8, (50, 10)), [[1e4] * 10, [-1e4, 0, 1e4] + [0] * 7]])
    for logits in (rows.astype(np.float32), rows):
        expected_p = torch.softmax(torch.from_numpy(logits), 1).numpy()
        expected_e = torch.logsumexp(torch.from_numpy(logits), 1).numpy()
        assert softmax(logits).dtype == logits.dtype and logsumexp(logits).dtype == logits.dtype
        np.testing.assert_allclose(softmax(logits), expected_p, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(logsumexp(logits), expected_e, rtol=1e-6)
    # a row of -inf (nothing is likely) stays -inf, as torch's does, with no NaN
    assert logsumexp(np.full((1, 10), -np.inf))[0] == -np.inf
