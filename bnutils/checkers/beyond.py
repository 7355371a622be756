"""Checkers for the exercises of chapter 9 (normalizations beyond batch norm)."""
from __future__ import annotations

import numpy as np

from ..norms import layer_norm
from ._core import check_function

__all__ = ["check_layer_norm"]


def _cases():
    rng = np.random.default_rng(909)
    return [
        (rng.normal(2.0, 3.0, (8, 6)), rng.normal(1.0, 0.5, 6), rng.normal(0.0, 1.0, 6), 1e-5),
        (rng.normal(-1.0, 0.2, (5, 12)), rng.normal(1.0, 0.5, 12), rng.normal(0.0, 1.0, 12), 1e-3),
        # a batch of one example: layer norm is defined, batch norm is not
        (rng.normal(0.0, 1.0, (1, 4)), np.array([1.0, 2.0, 0.5, 1.0]), np.array([0.0, 1.0, -1.0, 0.5]), 1e-5),
        # an example whose features are all equal, and one with a large mean and small spread
        (np.vstack([np.full(5, 3.0), 1e3 + rng.normal(0.0, 0.1, 5)]), rng.normal(1.0, 0.5, 5),
         rng.normal(0.0, 1.0, 5), 1e-5),
    ]


def _ref(x, gamma, beta, eps):
    return layer_norm(x, gamma, beta, eps)[0]


def _batch_axis(x, gamma, beta, eps):
    with np.errstate(invalid="ignore", divide="ignore"):
        return gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta


def _unbiased(x, gamma, beta, eps):
    with np.errstate(invalid="ignore", divide="ignore"):
        return gamma * (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, ddof=1, keepdims=True) + eps) + beta


def _eps_outside(x, gamma, beta, eps):
    return gamma * (x - x.mean(1, keepdims=True)) / (x.std(1, keepdims=True) + eps) + beta


def _no_affine(x, gamma, beta, eps):
    return (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + eps)



def check_layer_norm(fn):
    """Check a learner's ``fn(x, gamma, beta, eps) -> y`` (or ``(y, cache)``), layer norm for x (N, D).

    Each row (example) is normalized over its D features with the biased variance, then scaled by
    gamma and shifted by beta (both (D,)). The report says whether a wrong output looks like batch
    norm (statistics over axis 0), an unbiased variance, epsilon outside the square root, or a
    missing scale and shift.
    """
    diagnoses = [
        ("the statistics are taken over the batch (axis 0): that is batch norm; layer norm takes them "
         "over the features of each example (axis 1, keepdims=True)", _batch_axis),
        ("the variance is divided by D - 1 (unbiased); layer norm uses the biased variance (divide by D)", _unbiased),
        ("epsilon is added to the standard deviation; it belongs inside the square root", _eps_outside),
        ("gamma and beta are not applied (y = gamma * x_hat + beta)", _no_affine),
    ]
    return check_function(fn, _ref, _cases(), "layer-norm forward", outputs=("y",), diagnoses=diagnoses,
                          rtol=1e-5, atol=1e-6, n_outputs=1)
