"""What came after batch norm for large models and small batches (chapter 10): RMSNorm and
weight standardization.

- :func:`rms_norm` (Zhang and Sennrich 2019) is layer norm without the mean: each example's
  features are divided by their root mean square, ``y = gamma * x / sqrt(mean(x**2) + eps)``,
  over the last axis. No centering, no beta. :class:`RMSNorm` is the layer for bnutils models.
- :func:`weight_standardize` (Qiao et al. 2019) normalizes the *weights* of each output unit
  (over its fan-in) instead of the activations; it is used with group norm for small batches.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_eps, check_positive_int
from .nn import Layer

__all__ = ["rms_norm", "rms_norm_backward", "RMSNorm", "weight_standardize"]


@dataclass
class RMSCache:
    xhat: np.ndarray
    rms: np.ndarray
    gamma: np.ndarray


def _check_rms(x, gamma, eps):
    x = np.asarray(x)
    gamma = np.asarray(gamma)
    if x.ndim < 1 or x.shape[-1] == 0:
        raise ValueError(f"x must have a non-empty last axis (the features), got shape {x.shape}")
    if gamma.shape != (x.shape[-1],):
        raise ValueError(f"gamma must have shape ({x.shape[-1]},) to match x's last axis, got {gamma.shape}")
    return x, gamma, check_eps(eps, "eps")


def rms_norm(x, gamma, eps=1e-6):
    """RMSNorm forward over the last axis. Returns ``(y, cache)``.

    ``rms = sqrt(mean(x**2, axis=-1) + eps)``, ``y = gamma * x / rms``. Unlike layer norm, the mean
    is not subtracted: y changes if a constant is added to every feature of x.
    """
    x, gamma, eps = _check_rms(x, gamma, eps)
    rms = np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    xhat = x / rms
    return gamma * xhat, RMSCache(xhat, rms, gamma)


def rms_norm_backward(dy, cache):
    """Gradients ``(dx, dgamma)`` of :func:`rms_norm`.

    With ``g = gamma * dy``: ``dx = (g - xhat * mean(g * xhat, axis=-1)) / rms``.
    """
    dy = np.asarray(dy)
    if dy.shape != cache.xhat.shape:
        raise ValueError(f"dy must have the forward output's shape {cache.xhat.shape}, got {dy.shape}")
    g = cache.gamma * dy
    dx = (g - cache.xhat * np.mean(g * cache.xhat, axis=-1, keepdims=True)) / cache.rms
    dgamma = (dy * cache.xhat).reshape(-1, dy.shape[-1]).sum(axis=0)
    return dx, dgamma


class RMSNorm(Layer):
    """RMSNorm layer for bnutils models: one gain per feature, no bias, no moving statistics.

    Args:
        num_features: D.
        epsilon: added to the mean square (default 1e-6).
    """

    def __init__(self, num_features, epsilon=1e-6, dtype=np.float32):
        super().__init__()
        self.num_features = check_positive_int(num_features, "num_features")
        self.epsilon = check_eps(epsilon, "epsilon")
        self.params["gamma"] = np.ones(self.num_features, dtype=dtype)
        self._cache = None

    def forward(self, x, training=False):
        y, self._cache = rms_norm(x, self.params["gamma"], self.epsilon)
        return y

    def backward(self, dy):
        if self._cache is None:
            raise RuntimeError("backward needs a preceding forward")
        dx, self.grads["gamma"] = rms_norm_backward(dy, self._cache)
        return dx

    def __repr__(self):
        return f"RMSNorm({self.num_features}, epsilon={self.epsilon})"


def weight_standardize(W, eps=1e-5):
    """Weight standardization: each output unit's weights get mean 0 and variance 1 over its fan-in.

    W is (D_in, D_out) for a dense layer or (kh, kw, C_in, C_out) for a convolution (bnutils and
    Keras layouts; the output unit is the last axis). Returns ``(W - mean) / sqrt(var + eps)`` with
    the statistics over every axis but the last (biased variance).
    """
    W = np.asarray(W)
    if W.ndim < 2 or W.size == 0:
        raise ValueError(f"W must be a non-empty (fan_in..., D_out) array with ndim >= 2, got shape {W.shape}")
    eps = check_eps(eps, "eps")
    axes = tuple(range(W.ndim - 1))
    return (W - W.mean(axis=axes)) / np.sqrt(W.var(axis=axes) + eps)
