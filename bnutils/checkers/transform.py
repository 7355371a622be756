"""Checkers for the exercises of chapter 2 (the batch-norm transform)."""
from __future__ import annotations

import numpy as np

from ..bn import batchnorm_forward
from ._core import check_function

__all__ = ["check_batchnorm_forward"]


def _cases():
    rng = np.random.default_rng(1234)
    return [
        (rng.normal(2.0, 3.0, (8, 3)), rng.normal(1.0, 0.5, 3), rng.normal(0.0, 1.0, 3), 1e-5),
        (rng.normal(-1.0, 0.1, (32, 5)), rng.normal(1.0, 0.5, 5), rng.normal(0.0, 1.0, 5), 1e-3),
        (rng.normal(0.0, 1.0, (2, 4)), np.ones(4), np.zeros(4), 1e-5),
        # a feature with zero variance, and a large mean with a small spread
        (np.column_stack([np.full(6, 5.0), 1e4 + rng.normal(0, 1e-1, 6)]), np.array([2.0, 1.0]),
         np.array([0.5, 0.0]), 1e-5),
    ]


def _ref(x, gamma, beta, eps):
    return batchnorm_forward(x, gamma, beta, eps=eps)[0]


def _unbiased(x, gamma, beta, eps):
    mu = x.mean(0)
    return gamma * (x - mu) / np.sqrt(x.var(0, ddof=1) + eps) + beta


def _times_two(x, gamma, beta, eps):  # the notes' typo: (x - mu) * 2 instead of ** 2
    mu = x.mean(0)
    with np.errstate(invalid="ignore"):
        return gamma * (x - mu) / np.sqrt(np.mean((x - mu) * 2, 0) + eps) + beta


def _no_eps(x, gamma, beta, eps):
    mu = x.mean(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return gamma * (x - mu) / np.sqrt(x.var(0)) + beta


def _eps_outside(x, gamma, beta, eps):
    mu = x.mean(0)
    return gamma * (x - mu) / (np.sqrt(x.var(0)) + eps) + beta


def _wrong_axis(x, gamma, beta, eps):
    mu = x.mean(1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(x.var(1, keepdims=True) + eps) + beta


def _no_affine(x, gamma, beta, eps):
    return (x - x.mean(0)) / np.sqrt(x.var(0) + eps)


def check_batchnorm_forward(fn):
    """Check a learner's ``fn(x, gamma, beta, eps) -> y`` (or ``(y, cache)``) for x of shape (N, D).

    Reports which case fails and, if the output matches a classic mistake (unbiased variance,
    a missing or misplaced epsilon, statistics over the wrong axis, no scale and shift), says so.
    """
    diagnoses = [
        ("the variance is divided by m - 1 (unbiased); BN normalizes with the biased variance (divide by m)", _unbiased),
        ("(x - mu) * 2 instead of (x - mu) ** 2 in the variance", _times_two),
        ("epsilon is missing: a feature with zero variance gives 0/0", _no_eps),
        ("epsilon is added to the standard deviation; it belongs inside the square root", _eps_outside),
        ("the statistics are taken over axis 1 (per example); BN takes them over the batch, axis 0", _wrong_axis),
        ("gamma and beta are not applied (y = gamma * x_hat + beta)", _no_affine),
    ]
    return check_function(fn, _ref, _cases(), "batch-norm forward (training mode)", outputs=("y",),
                          diagnoses=diagnoses, rtol=1e-5, atol=1e-6, n_outputs=1)
