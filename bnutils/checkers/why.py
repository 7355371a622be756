"""Checkers for the exercises of chapter 7 (why batch norm works)."""
from __future__ import annotations

import numpy as np

from ..bn import bn_jacobian
from ._core import check_function

__all__ = ["check_bn_jacobian"]


def _cases():
    rng = np.random.default_rng(77)
    return [
        (rng.normal(0.0, 1.0, 4), 1.0, 1e-5),
        (rng.normal(3.0, 2.0, 8), 1.5, 1e-3),
        (rng.normal(-1.0, 0.5, 2), 0.7, 1e-5),
        (np.array([0.0, 0.0, 1.0, 5.0, -2.0]), 2.0, 1e-5),
    ]


def _ref(x, gamma, eps):
    return bn_jacobian(x, gamma, eps)


def _sigma(x, eps):
    return np.sqrt(np.var(x) + eps)


def _diagonal(x, gamma, eps):  # mean and variance treated as constants (the notes' error 12)
    return gamma / _sigma(x, eps) * np.eye(x.size)


def _no_var_term(x, gamma, eps):
    m = x.size
    return gamma / _sigma(x, eps) * (np.eye(m) - 1.0 / m)


def _no_mean_term(x, gamma, eps):
    m = x.size
    xhat = (x - x.mean()) / _sigma(x, eps)
    return gamma / _sigma(x, eps) * (np.eye(m) - np.outer(xhat, xhat) / m)


def _unbiased(x, gamma, eps):
    m = x.size
    s = np.sqrt(np.var(x, ddof=1) + eps)
    xhat = (x - x.mean()) / s
    return gamma / s * (np.eye(m) - 1.0 / m - np.outer(xhat, xhat) / (m - 1))


def check_bn_jacobian(fn):
    """Check a learner's ``fn(x, gamma, eps) -> J``, the (m, m) Jacobian dy_i/dx_k of training-mode
    batch norm for one feature x of shape (m,).

    Reports which case fails and whether the answer matches a classic mistake (mean and variance
    treated as constants, a missing mean or variance term, the unbiased variance).
    """
    diagnoses = [
        ("only the diagonal gamma/sigma: the batch mean and variance were treated as constants, "
         "but they depend on every x_k", _diagonal),
        ("the term -xhat_i * xhat_k / m from the variance is missing", _no_var_term),
        ("the term -1/m from the mean is missing", _no_mean_term),
        ("the variance is the unbiased one (m - 1); BN uses the biased variance (divide by m)", _unbiased),
    ]
    return check_function(fn, _ref, _cases(), "Jacobian of batch norm over a batch", outputs=("J",),
                          diagnoses=diagnoses, rtol=1e-5, atol=1e-7)
