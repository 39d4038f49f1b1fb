"""Categorical sampling (indices) from Python: frequencies, top-k, masking,
greedy T = 0, the log-probabilities, and the NumPy and torch paths giving
the same draws."""

import math

import numpy as np
import pytest
import torch
from scipy.special import log_softmax
from scipy.stats import chisquare

import relaxcat
import relaxcat.torch as rt
from relaxcat.torch import _ops


def restricted_log_probs(logits, t, top_k=None):
    """log softmax(l / t) over the top_k largest (ties to the lowest index)."""
    z = np.asarray(logits, np.float64) / t
    if top_k is not None and top_k < z.size:
        order = np.lexsort((np.arange(z.size), -z))  # by value desc, index asc
        keep = np.zeros(z.size, bool)
        keep[order[:top_k]] = True
        z = np.where(keep, z, -np.inf)
    return log_softmax(z)


@pytest.mark.parametrize("t", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("top_k", [None, 3])
def test_frequencies(t, top_k):
    logits = np.array([[0.3, -1.0, 1.2, -np.inf, 0.0, 0.7]], np.float32)
    n = 60000
    idx = relaxcat.categorical_sample(logits, t, n, top_k=top_k, seed=17)
    assert idx.shape == (n, 1) and idx.dtype == np.int64
    p = np.exp(restricted_log_probs(logits[0], t, top_k))
    counts = np.bincount(idx[:, 0], minlength=6)
    assert counts[p == 0].sum() == 0  # masked and out-of-top-k never drawn
    assert chisquare(counts[p > 0], p[p > 0] * n).pvalue > 1e-4


def test_greedy_and_log_prob():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(4, 50))
    logits[2, 7] = logits[2, 9] = logits[2].max() + 1  # a tie: lowest index
    idx = relaxcat.categorical_sample(logits, 0.0, 3, seed=1)
    assert (idx == np.array([np.argmax(r) for r in logits])[None]).all()
    assert idx[0, 2] == 7
    t = np.array([0.5, 1.0, 2.0, 0.8])
    idx, lp = relaxcat.categorical_sample(logits, t, 5, top_k=10, seed=2, return_log_prob=True)
    for s in range(5):
        for b in range(4):
            want = restricted_log_probs(logits[b], t[b], 10)[idx[s, b]]
            assert math.isfinite(want) and abs(lp[s, b] - want) < 1e-12


def test_errors_write_nothing():
    out = np.full((1, 2), -5, np.int64)
    with pytest.raises(relaxcat.InvalidLogitsError):
        relaxcat.categorical_sample(np.full((2, 3), -np.inf), 1.0, 1, seed=1, out=out)
    with pytest.raises(relaxcat.Error):
        relaxcat.categorical_sample(np.zeros((2, 3)), -1.0, 1, seed=1, out=out)
    with pytest.raises(relaxcat.Error):
        relaxcat.categorical_sample(np.zeros((2, 3)), 1.0, 1, top_k=0, seed=1, out=out)
    assert (out == -5).all()


def test_torch_and_numpy_draw_the_same():
    logits = torch.randn(8, 1000)
    a, la = _ops._categorical_impl(logits, torch.tensor([0.7]), 99, 16, 5, True, True)
    b, lb = relaxcat.categorical_sample(logits.numpy(), 0.7, 2, top_k=5, seed=99, return_log_prob=True)
    assert np.array_equal(a.numpy(), b.reshape(-1)) and np.array_equal(la.numpy(), lb.reshape(-1))
    torch.manual_seed(4)
    x = rt.categorical_sample(logits, 0.7, 3, top_k=5)
    torch.manual_seed(4)
    assert torch.equal(x, rt.categorical_sample(logits, 0.7, 3, top_k=5)) and x.shape == (3, 8)
    f = torch.compile(lambda l: rt.categorical_sample(l, 0.7, 2), fullgraph=True)
    assert f(logits).shape == (2, 8)


def test_hard_index_is_the_one_hot_position():
    logits = np.random.default_rng(5).normal(size=(6, 40)).astype(np.float32)
    d = relaxcat.RelaxedOneHotCategorical(0.3, logits=logits)
    idx = d.rsample_hard_index((4,), seed=8, offset=3)
    hard, _ = d.rsample_hard((4,), seed=8, offset=3)
    assert idx.shape == (4, 6)
    assert (hard.argmax(-1) == idx).all() and (hard.sum(-1) == 1).all()
