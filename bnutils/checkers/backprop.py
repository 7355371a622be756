"""Checkers for the exercises of chapter 3 (backpropagation through batch norm)."""
from __future__ import annotations

import numpy as np

from ..bn import batchnorm_backward, batchnorm_forward
from ._core import check_function

__all__ = ["check_batchnorm_backward"]


def _cases():
    rng = np.random.default_rng(4321)
    out = []
    for n, d, eps in ((6, 3, 1e-5), (16, 4, 1e-3), (3, 2, 1e-5)):
        out.append((rng.normal(0, 1, (n, d)), rng.normal(1.0, 2.0, (n, d)), rng.normal(1.0, 0.5, d), eps))
    return out


def _ref(dy, x, gamma, eps):
    _, cache = batchnorm_forward(x, gamma, np.zeros_like(gamma), eps=eps)
    return batchnorm_backward(dy, cache)


def _naive(dy, x, gamma, eps):  # dL/dx = dy * gamma / sigma: ignores that mu and var depend on x
    _, cache = batchnorm_forward(x, gamma, np.zeros_like(gamma), eps=eps)
    dx, dg, db = batchnorm_backward(dy, cache)
    return dy * gamma * cache.inv_std, dg, db


def _no_sum_dgamma(dy, x, gamma, eps):
    _, cache = batchnorm_forward(x, gamma, np.zeros_like(gamma), eps=eps)
    dx, dg, db = batchnorm_backward(dy, cache)
    return dx, dy * cache.xhat, db


def _mean_only(dy, x, gamma, eps):  # keeps the mean term but forgets the variance term
    _, cache = batchnorm_forward(x, gamma, np.zeros_like(gamma), eps=eps)
    dx, dg, db = batchnorm_backward(dy, cache)
    return gamma * cache.inv_std * (dy - dy.mean(0)), dg, db


def check_batchnorm_backward(fn):
    """Check a learner's ``fn(dy, x, gamma, eps) -> (dx, dgamma, dbeta)`` for x of shape (N, D)
    (training mode, biased variance; beta does not affect the gradients).

    Recognizes the common wrong formula dx = dy * gamma / sigma, a dgamma without the sum over
    the batch, and a dx missing the variance term.
    """
    diagnoses = [
        ("dx = dy * gamma / sigma treats mu and sigma as constants; the batch mean and variance depend on x, "
         "which adds the terms - mean(dy) - x_hat * mean(dy * x_hat)", _naive),
        ("the term through the variance is missing: - x_hat * mean(dy * x_hat)", _mean_only),
        ("dgamma is dy * x_hat per example; it must be summed over the batch (axis 0)", _no_sum_dgamma),
    ]
    return check_function(fn, _ref, _cases(), "batch-norm backward", outputs=("dx", "dgamma", "dbeta"),
                          diagnoses=diagnoses, rtol=1e-6, atol=1e-8)
