"""Checkers for the exercises of chapter 7 (why batch norm works)."""
from __future__ import annotations

import numpy as np

from ..bn import bn_jacobian
from ._core import check_function

__all__ = ["check_bn_jacobian", "check_variance_shift"]


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


def _variance_shift_ref(a, p):
    a = np.asarray(a, dtype=np.float64)
    return (np.mean(a ** 2) / (1.0 - p) - np.mean(a) ** 2) / np.var(a)


def _vs_mean_ignored(a, p):  # E[a] taken as 0
    return 1.0 / (1.0 - p)


def _vs_mean_not_subtracted(a, p):  # E[(mask a)^2] divided by Var(a)
    a = np.asarray(a, dtype=np.float64)
    return np.mean(a ** 2) / (1.0 - p) / np.var(a)


def _vs_inverted(a, p):  # inference variance over training variance
    return 1.0 / _variance_shift_ref(a, p)


def _vs_not_inverted_dropout(a, p):  # mask of 0/1 without the 1/(1-p) scaling, compared with the clean a
    a = np.asarray(a, dtype=np.float64)
    return ((1.0 - p) * np.mean(a ** 2) - (1.0 - p) ** 2 * np.mean(a) ** 2) / np.var(a)


def _vs_cases():
    rng = np.random.default_rng(79)
    return [
        (np.maximum(rng.normal(0.3, 1.0, 500), 0.0), 0.5),
        (rng.normal(2.0, 0.5, 300), 0.1),
        (rng.exponential(1.0, 400), 0.3),
        (np.array([0.0, 1.0, 2.0, 3.0]), 0.2),
    ]


def check_variance_shift(fn):
    """Check a learner's ``fn(a, p) -> ratio``: the variance of ``mask * a`` under inverted dropout with
    rate p (mask 0 with probability p, else 1/(1-p)), divided by the variance of ``a`` without dropout,
    in expectation over the mask. ``a`` is (N,), the values of one unit over a data set.

    This is the "variance shift" of Li et al. (2019): a BN layer after dropout learns the first variance
    in training and meets the second at inference. Reports the classic mistakes (mean taken as zero,
    mean not subtracted, the ratio upside down, dropout without the 1/(1-p) scaling).
    """
    diagnoses = [
        ("1/(1-p) for every unit: correct only if the unit's mean is zero; E[a] is not zero here",
         _vs_mean_ignored),
        ("E[(mask a)^2] / Var(a): the training-time variance must subtract the squared mean E[a]^2",
         _vs_mean_not_subtracted),
        ("the ratio is upside down: training-time variance (with dropout) over inference-time variance",
         _vs_inverted),
        ("this is dropout without the 1/(1-p) scaling; inverted dropout scales the kept values up",
         _vs_not_inverted_dropout),
    ]
    def as_number(a, p):
        out = fn(a, p)
        try:
            return float(out)
        except (TypeError, ValueError):
            raise TypeError(f"returned {out!r}; expected one number, the variance ratio") from None

    return check_function(as_number, _variance_shift_ref, _vs_cases(), "variance shift of inverted dropout",
                          outputs=("ratio",), diagnoses=diagnoses, rtol=1e-6, atol=1e-9)
