"""Checkers for the exercises of chapter 6 (batch norm in convolutional networks)."""
from __future__ import annotations

import numpy as np

from ..bn import batchnorm_forward
from ._core import check_function

__all__ = ["check_spatial_batchnorm_forward"]


def _cases():
    """NHWC inputs (float64) whose channels, images and positions all have different statistics,
    so that statistics over the wrong axes give a visibly different output."""
    rng = np.random.default_rng(6006)
    out = []
    for (n, h, w, c), eps in (((4, 5, 5, 3), 1e-5), ((2, 3, 4, 2), 1e-3), ((8, 6, 6, 4), 1e-5)):
        x = rng.normal(0.0, 1.0, (n, h, w, c))
        x = x * rng.uniform(0.5, 3.0, c) + rng.normal(0.0, 5.0, c)     # per-channel scale and offset
        x = x + rng.normal(0.0, 2.0, (n, 1, 1, c))                      # per-image offset
        x = x + np.linspace(-1.0, 1.0, h)[None, :, None, None]          # a gradient across rows
        out.append((x, rng.normal(1.0, 0.5, c), rng.normal(0.0, 1.0, c), eps))
    return out


def _ref(x, gamma, beta, eps):
    return batchnorm_forward(x, gamma, beta, eps=eps, axis=-1)[0]


def _normalize_over(x, gamma, beta, eps, axes, ddof=0):
    mu = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def _per_position(x, gamma, beta, eps):    # statistics over N only: one mean per (h, w, c)
    return _normalize_over(x, gamma, beta, eps, (0,))


def _per_example(x, gamma, beta, eps):     # statistics over H, W only: instance norm
    return _normalize_over(x, gamma, beta, eps, (1, 2))


def _per_pixel(x, gamma, beta, eps):       # statistics over the channel axis: the wrong reshape
    return _normalize_over(x, gamma, beta, eps, (3,))


def _whole_tensor(x, gamma, beta, eps):    # one mean and variance for everything
    return _normalize_over(x, gamma, beta, eps, (0, 1, 2, 3))


def _unbiased(x, gamma, beta, eps):
    return _normalize_over(x, gamma, beta, eps, (0, 1, 2), ddof=1)


def check_spatial_batchnorm_forward(fn):
    """Check a learner's ``fn(x, gamma, beta, eps) -> y`` (or ``(y, cache)``) for NHWC x of shape
    (N, H, W, C) and gamma, beta of shape (C,): spatial batch norm in training mode.

    Recognizes statistics per position (over N only), per example (over H and W only: that is
    instance norm), per pixel (over the channels), over the whole tensor, and the unbiased variance.
    """
    diagnoses = [
        ("the statistics are taken over N only, one mean per position (h, w, c); spatial BN takes one "
         "mean and variance per channel over N, H and W together", _per_position),
        ("the statistics are taken over H and W of each image separately: that is instance norm; "
         "batch norm also averages over the batch axis N", _per_example),
        ("the statistics are taken over the channel axis of each pixel; after moving channels last, "
         "reshape to (N*H*W, C) and average over axis 0", _per_pixel),
        ("one mean and one variance for the whole tensor; spatial BN keeps one per channel", _whole_tensor),
        ("the variance is divided by m - 1 (unbiased); BN normalizes with the biased variance "
         "(divide by m = N*H*W)", _unbiased),
    ]
    return check_function(fn, _ref, _cases(), "spatial batch-norm forward (NHWC, training mode)",
                          outputs=("y",), diagnoses=diagnoses, rtol=1e-5, atol=1e-6, n_outputs=1)
