"""Checkers for the exercises of chapter 5 (batch norm at test time)."""
from __future__ import annotations

import numpy as np

from ..inference import fold_batchnorm
from ._core import check_function

__all__ = ["check_fold_batchnorm", "check_running_update"]


# --------------------------------------------------------------------------- folding
def _fold_cases():
    rng = np.random.default_rng(505)
    cases = []
    # epsilon varies (Keras' 1e-3, PyTorch's 1e-5, a large one), so a constant typed in fails
    for shape, eps in [((6, 4), 1e-3), ((3, 3, 2, 5), 1e-5), ((10, 1), 0.1)]:
        d = shape[-1]
        cases.append((rng.normal(0.0, 1.0, shape), rng.normal(0.5, 1.0, d), rng.normal(1.0, 0.5, d),
                      rng.normal(0.0, 1.0, d), rng.normal(2.0, 1.0, d), rng.uniform(0.05, 3.0, d), eps))
    # a tiny variance, where epsilon matters
    cases.append((rng.normal(0.0, 1.0, (4, 3)), rng.normal(0.0, 1.0, 3), np.array([1.0, 2.0, 0.5]),
                  np.array([0.1, -0.2, 0.3]), np.array([1.0, -1.0, 0.0]), np.array([1e-4, 2e-3, 1.0]), 1e-3))
    return cases


def _fold_ref(W, b, gamma, beta, mean, var, eps):
    return fold_batchnorm(W, b, gamma, beta, mean, var, eps)


def _fold_no_bias(W, b, gamma, beta, mean, var, eps):
    a = gamma / np.sqrt(var + eps)
    return W * a, beta - mean * a


def _fold_bias_unscaled(W, b, gamma, beta, mean, var, eps):
    a = gamma / np.sqrt(var + eps)
    return W * a, b + beta - mean * a


def _fold_beta_only(W, b, gamma, beta, mean, var, eps):
    a = gamma / np.sqrt(var + eps)
    return W * a, beta


def _fold_var_as_std(W, b, gamma, beta, mean, var, eps):
    a = gamma / (var + eps)
    return W * a, (b - mean) * a + beta


def _fold_no_eps(W, b, gamma, beta, mean, var, eps):
    a = gamma / np.sqrt(var)
    return W * a, (b - mean) * a + beta


def _fold_mean_unscaled(W, b, gamma, beta, mean, var, eps):
    a = gamma / np.sqrt(var + eps)
    return W * a, b * a - mean + beta


def check_fold_batchnorm(fn):
    """Check a learner's ``fn(W, b, gamma, beta, mean, var, eps) -> (W_new, b_new)``.

    W has the D output features on its last axis ((D_in, D) or (kh, kw, C_in, D)). Reports the
    classic mistakes: forgetting the layer's own bias, not scaling it, leaving the mean out of the
    bias, treating the variance as a standard deviation, and dropping epsilon.
    """
    diagnoses = [
        ("the Dense/Conv bias b is forgotten: b' must be (b - mean) * a + beta, not beta - mean * a",
         _fold_no_bias),
        ("b is added unscaled: it passes through BN too, so it is multiplied by a = gamma / sqrt(var + eps)",
         _fold_bias_unscaled),
        ("b' = beta forgets both the bias and the mean: BN subtracts the mean before it scales",
         _fold_beta_only),
        ("the mean is subtracted after scaling: it must be scaled by a as well, (b - mean) * a", _fold_mean_unscaled),
        ("var is used as if it were a standard deviation: a = gamma / sqrt(var + eps)", _fold_var_as_std),
        ("epsilon is missing: a = gamma / sqrt(var + eps), as in the BN layer", _fold_no_eps),
    ]
    return check_function(fn, _fold_ref, _fold_cases(), "folding BN into the preceding layer",
                          outputs=("W_new", "b_new"), diagnoses=diagnoses, rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------- PyTorch running update
def _run_cases():
    rng = np.random.default_rng(506)
    return [
        (np.zeros(3), np.ones(3), rng.normal(1.0, 2.0, (8, 3)), 0.1),
        (rng.normal(0.0, 1.0, 4), rng.uniform(0.5, 2.0, 4), rng.normal(-1.0, 0.5, (5, 4)), 0.1),
        (rng.normal(0.0, 1.0, 2), rng.uniform(0.5, 2.0, 2), rng.normal(3.0, 1.0, (32, 2)), 0.3),
        (np.zeros(2), np.ones(2), rng.normal(0.0, 1.0, (2, 2)), 0.5),
    ]


def _run_ref(running_mean, running_var, x, momentum):
    m = x.shape[0]
    mu = x.mean(axis=0)
    var_unbiased = x.var(axis=0) * m / (m - 1)
    return ((1 - momentum) * running_mean + momentum * mu,
            (1 - momentum) * running_var + momentum * var_unbiased)


def _run_swapped(running_mean, running_var, x, momentum):
    m = x.shape[0]
    return (momentum * running_mean + (1 - momentum) * x.mean(0),
            momentum * running_var + (1 - momentum) * x.var(0) * m / (m - 1))


def _run_biased(running_mean, running_var, x, momentum):
    return ((1 - momentum) * running_mean + momentum * x.mean(0),
            (1 - momentum) * running_var + momentum * x.var(0))


def _run_std(running_mean, running_var, x, momentum):
    return ((1 - momentum) * running_mean + momentum * x.mean(0),
            (1 - momentum) * running_var + momentum * x.std(0, ddof=1))


def _run_swapped_biased(running_mean, running_var, x, momentum):
    return (momentum * running_mean + (1 - momentum) * x.mean(0),
            momentum * running_var + (1 - momentum) * x.var(0))


def check_running_update(fn):
    """Check a learner's ``fn(running_mean, running_var, x, momentum) -> (new_mean, new_var)``:
    one training step of ``torch.nn.BatchNorm1d``'s running statistics for a batch x of shape (m, D).

    Reports the momentum-convention swap (Keras weights the old value), the biased variance
    (PyTorch stores the unbiased one) and a standard deviation stored in place of the variance.
    """
    diagnoses = [
        ("momentum weights the old value here (the Keras convention); PyTorch's momentum weights the new batch",
         _run_swapped),
        ("the running variance is updated with the biased batch variance; PyTorch uses the unbiased one, "
         "var * m / (m - 1)", _run_biased),
        ("a standard deviation is averaged; the running statistic is a variance", _run_std),
        ("the Keras update (momentum on the old value, biased variance), not PyTorch's", _run_swapped_biased),
    ]
    return check_function(fn, _run_ref, _run_cases(), "PyTorch running-statistics update",
                          outputs=("new_mean", "new_var"), diagnoses=diagnoses, rtol=1e-6, atol=1e-9)
