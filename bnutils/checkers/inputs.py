"""Checkers for the exercises of chapter 1 (normalizing inputs): standardization and min-max scaling
with statistics fitted on the training set and reused on the test set."""
from __future__ import annotations

import numpy as np

from ._core import check_function

__all__ = ["check_standardize", "check_minmax"]


def _cases():
    rng = np.random.default_rng(2024)
    return [
        # features on very different scales, a test set from the same distribution
        (rng.normal([0.0, 50.0, -3.0], [1.0, 20.0, 0.01], (40, 3)), rng.normal([0.0, 50.0, -3.0], [1.0, 20.0, 0.01], (7, 3))),
        # a small training set and a shifted test set (its own statistics would differ a lot)
        (rng.normal(2.0, 3.0, (5, 4)), rng.normal(6.0, 1.0, (3, 4))),
        # one test example (its own standard deviation is zero)
        (rng.uniform(-1.0, 1.0, (16, 2)), rng.uniform(-1.0, 1.0, (1, 2))),
    ]


# ---------------------------------------------------------------- standardization
def _std_ref(X_train, X_test, eps):
    mu = X_train.mean(axis=0)
    sd = np.sqrt(((X_train - mu) ** 2).mean(axis=0) + eps)
    return (X_train - mu) / sd, (X_test - mu) / sd


def _std_ddof1(X_train, X_test, eps):
    mu = X_train.mean(axis=0)
    sd = np.sqrt(X_train.var(axis=0, ddof=1) + eps)
    return (X_train - mu) / sd, (X_test - mu) / sd


def _std_global(X_train, X_test, eps):
    mu = X_train.mean()
    sd = np.sqrt(X_train.var() + eps)
    return (X_train - mu) / sd, (X_test - mu) / sd


def _std_own_test_stats(X_train, X_test, eps):
    def z(X):
        return (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0) + eps)
    return z(X_train), z(X_test)


def _std_per_example(X_train, X_test, eps):
    def z(X):
        return (X - X.mean(axis=1, keepdims=True)) / np.sqrt(X.var(axis=1, keepdims=True) + eps)
    return z(X_train), z(X_test)


def _std_times_two(X_train, X_test, eps):  # the notes' typo: (X - mu) * 2 instead of ** 2
    mu = X_train.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(((X_train - mu) * 2).mean(axis=0) + eps)
        return (X_train - mu) / sd, (X_test - mu) / sd


def _std_eps_outside(X_train, X_test, eps):
    mu = X_train.mean(axis=0)
    sd = X_train.std(axis=0) + eps
    return (X_train - mu) / sd, (X_test - mu) / sd


def check_standardize(fn):
    """Check ``fn(X_train, X_test, eps) -> (Z_train, Z_test)`` for arrays of shape (N, D).

    The reference standardizes every feature (column) with the training set's mean and *biased*
    variance: ``Z = (X - mu_train) / sqrt(var_train + eps)``, for both sets. The report names the
    classic mistakes: unbiased variance, one global mean and variance, the test set standardized with
    its own statistics, statistics per example (rows), ``(X - mu) * 2``, epsilon outside the root.
    """
    cases = [c + (eps,) for c, eps in zip(_cases(), (1e-8, 1e-3, 1e-5))]
    diagnoses = [
        ("the variance is divided by N - 1 (ddof=1); use the biased variance (divide by N), as BN does", _std_ddof1),
        ("one mean and variance for the whole array; standardize each feature (column, axis=0) separately", _std_global),
        ("the test set is standardized with its own statistics; reuse the training set's mean and variance", _std_own_test_stats),
        ("the statistics are taken per example (axis=1); examples are rows, take them over axis 0", _std_per_example),
        ("(X - mu) * 2 instead of (X - mu) ** 2 in the variance", _std_times_two),
        ("epsilon is added to the standard deviation; it belongs inside the square root", _std_eps_outside),
    ]
    return check_function(fn, _std_ref, cases, "standardize with training statistics",
                          outputs=("Z_train", "Z_test"), diagnoses=diagnoses, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- min-max
def _mm_ref(X_train, X_test):
    lo, hi = X_train.min(axis=0), X_train.max(axis=0)
    return (X_train - lo) / (hi - lo), (X_test - lo) / (hi - lo)


def _mm_global(X_train, X_test):
    lo, hi = X_train.min(), X_train.max()
    return (X_train - lo) / (hi - lo), (X_test - lo) / (hi - lo)


def _mm_own_test_stats(X_train, X_test):
    def s(X):
        lo, hi = X.min(axis=0), X.max(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (X - lo) / (hi - lo)
    return s(X_train), s(X_test)


def _mm_per_example(X_train, X_test):
    def s(X):
        lo, hi = X.min(axis=1, keepdims=True), X.max(axis=1, keepdims=True)
        return (X - lo) / (hi - lo)
    return s(X_train), s(X_test)


def _mm_no_shift(X_train, X_test):
    lo, hi = X_train.min(axis=0), X_train.max(axis=0)
    return X_train / (hi - lo), X_test / (hi - lo)


def check_minmax(fn):
    """Check ``fn(X_train, X_test) -> (A_train, A_test)`` for arrays of shape (N, D).

    The reference maps every feature (column) of the training set to [0, 1] with the training
    minimum and maximum, and applies the same map to the test set (whose values may fall outside
    [0, 1]). The report names the classic mistakes: one global min and max, the test set scaled
    with its own min and max, statistics per example (rows), a missing ``- min``.
    """
    diagnoses = [
        ("one min and max for the whole array; scale each feature (column, axis=0) separately", _mm_global),
        ("the test set is scaled with its own min and max; reuse the training set's", _mm_own_test_stats),
        ("the statistics are taken per example (axis=1); examples are rows, take them over axis 0", _mm_per_example),
        ("the minimum is not subtracted: (X - min) / (max - min)", _mm_no_shift),
    ]
    return check_function(fn, _mm_ref, _cases(), "min-max scaling with training statistics",
                          outputs=("A_train", "A_test"), diagnoses=diagnoses, rtol=1e-6, atol=1e-8)
