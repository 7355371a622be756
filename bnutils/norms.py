"""Normalizations beyond batch norm: layer, instance and group norm, and batch renormalization.

Layout: examples first, channels last, as everywhere in bnutils: (N, D) or NHWC (N, H, W, C).
Which values share one mean and one variance:

- batch norm (``bnutils.bn``):   per channel, over (N, H, W)     -- depends on the other examples
- layer norm:                     per example, over (H, W, C)     -- Ba et al. 2016
- instance norm:                  per example and channel, over (H, W) -- Ulyanov et al. 2016
- group norm (G groups):          per example and group of C/G channels, over (H, W, C/G) -- Wu & He 2018
- batch renorm:                   batch norm corrected by r and d towards the moving statistics -- Ioffe 2017

Layer norm is group norm with G = 1 and instance norm is group norm with G = C, so all three share
one forward and one backward. gamma and beta are always per channel, shape (C,).
Taught in chapter 9. This module imports only NumPy (and the bnutils math and layer base class).
"""
from __future__ import annotations

import numpy as np

from ._validation import (check_eps, check_finite_batch, check_float, check_momentum, check_positive_int,
                          compute_dtype, normalize_axis)
from .batchnorm import ema_inplace
from .bn import batchnorm_backward, batchnorm_forward, batchnorm_inference
from .nn import Layer

__all__ = [
    "group_norm", "group_norm_backward", "layer_norm", "layer_norm_backward", "instance_norm",
    "instance_norm_backward", "batch_renorm_forward", "batch_renorm_backward",
    "LayerNorm", "GroupNorm", "BatchRenorm", "GNCache",
]


# --------------------------------------------------------------------------- group norm (and LN, IN)
class GNCache:
    """What :func:`group_norm_backward` needs: ``xhat`` grouped as (N, S, G, C/G) with S = H*W (1 for
    (N, D) input), ``inv_std`` (N, 1, G, 1), ``gamma`` (C,), the input ``shape`` and ``groups``."""

    __slots__ = ("xhat", "inv_std", "gamma", "shape", "groups", "mu", "var")

    def __init__(self, xhat, inv_std, gamma, shape, groups, mu, var):
        self.xhat, self.inv_std, self.gamma = xhat, inv_std, gamma
        self.shape, self.groups, self.mu, self.var = shape, groups, mu, var


def _check_gn(x, gamma, beta, groups, eps):
    x = check_float("x", x)
    if x.ndim < 2:
        raise ValueError(f"x has shape {x.shape} but (N, D) or (N, H, W, C) is expected")
    if x.size == 0:
        raise ValueError(f"x has shape {x.shape}, which holds no values; expected at least one example "
                         "and one channel")
    x = x.astype(compute_dtype(x.dtype), copy=False)   # float16 is computed in float32
    c = x.shape[-1]
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    if c % groups:
        raise ValueError(f"x has {c} channels (last axis of shape {x.shape}), which {groups} groups do not divide")
    out = []
    for name, p in (("gamma", gamma), ("beta", beta)):
        p = check_float(name, p)
        if p.shape != (c,):
            raise ValueError(f"x has shape {x.shape} with {c} channels on the last axis, "
                             f"but {name} has shape {p.shape}; expected ({c},)")
        out.append(p.astype(x.dtype, copy=False))
    check_eps(eps)
    return x, out[0], out[1]


def group_norm(x, gamma, beta, groups, eps=1e-5):
    """Group norm: normalize each example over (H, W) and a group of C/G channels.

    Args:
        x: (N, D) or (N, H, W, C) floating array, channels last (for (N, D), D plays C and H = W = 1).
        gamma, beta: (C,) per-channel scale and shift.
        groups: G, the number of channel groups; must divide C. G = 1 is layer norm, G = C instance norm.
        eps: added to the variance.

    Returns:
        y: same shape and dtype as x.
        cache: a :class:`GNCache` for :func:`group_norm_backward`; ``cache.mu`` and ``cache.var`` are
        (N, G): one mean and one (biased) variance per example and group. No example sees another.
    Taught in chapter 9.
    """
    in_dtype = np.asarray(x).dtype
    x, gamma, beta = _check_gn(x, gamma, beta, groups, eps)
    n, c = x.shape[0], x.shape[-1]
    xg = x.reshape(n, -1, groups, c // groups)           # (N, S, G, C/G)
    if xg.shape[1] * xg.shape[3] < 2:
        raise ValueError(f"x has shape {x.shape}: with {groups} groups each group holds one value per example, "
                         "so its variance is 0; expected at least 2 values per group")
    mu = xg.mean(axis=(1, 3), keepdims=True)
    xc = xg - mu
    var = (xc * xc).mean(axis=(1, 3), keepdims=True)
    if eps == 0 and np.any(var == 0):
        raise ValueError("eps=0 and some example has a constant group (variance 0): the division by "
                         "sqrt(var + eps) is undefined; use eps > 0")
    inv_std = 1.0 / np.sqrt(var + x.dtype.type(eps))
    xhat = xc * inv_std
    y = (xhat.reshape(x.shape) * gamma + beta).astype(in_dtype, copy=False)
    cache = GNCache(xhat, inv_std, gamma, x.shape, groups, mu.reshape(n, groups), var.reshape(n, groups))
    return y, cache


def group_norm_backward(dy, cache):
    """Gradients of group norm (also layer and instance norm).

    With g = dy * gamma and means over the values that share one mean (one example, one group)::

        dx = inv_std * (g - mean(g) - xhat * mean(g * xhat)),  dgamma = sum(dy * xhat),  dbeta = sum(dy)

    the same formula as batch norm's, with the averages taken over a different set.

    Args:
        dy: upstream gradient, shape of the forward input.
        cache: from :func:`group_norm`.

    Returns:
        (dx, dgamma, dbeta): dx shaped like x, dgamma and dbeta (C,).
    """
    dy = check_float("dy", dy)
    if dy.shape != cache.shape:
        raise ValueError(f"dy has shape {dy.shape} but the forward input had shape {cache.shape}")
    c = cache.shape[-1]
    xhat = cache.xhat
    dbeta = dy.reshape(-1, c).sum(axis=0)
    dgamma = (dy * xhat.reshape(dy.shape)).reshape(-1, c).sum(axis=0)
    g = (dy * cache.gamma).reshape(xhat.shape)
    dx = cache.inv_std * (g - g.mean(axis=(1, 3), keepdims=True)
                          - xhat * (g * xhat).mean(axis=(1, 3), keepdims=True))
    return dx.reshape(cache.shape).astype(dy.dtype, copy=False), dgamma, dbeta


def layer_norm(x, gamma, beta, eps=1e-5):
    """Layer norm: normalize each example over all its features, (D,) or (H, W, C).

    Args:
        x: (N, D) or (N, H, W, C) floating array.
        gamma, beta: (C,) per-channel (per-feature) scale and shift.
        eps: added to the variance.

    Returns:
        (y, cache) as :func:`group_norm` with one group. The statistics are per example (``cache.mu``
        is (N, 1)), so the output of an example does not depend on the rest of the batch, and
        training and inference compute the same thing. Taught in chapter 9.
    """
    return group_norm(x, gamma, beta, 1, eps)


def instance_norm(x, gamma, beta, eps=1e-5):
    """Instance norm: normalize each example and each channel over its spatial axes (H, W).

    Args:
        x: (N, H, W, C) floating array (H * W >= 2: on (N, D) input every "instance" is one value).
        gamma, beta: (C,) per-channel scale and shift.
        eps: added to the variance.

    Returns:
        (y, cache) as :func:`group_norm` with C groups. Taught in chapter 9.
    """
    x = check_float("x", x)
    if x.ndim != 4:
        raise ValueError(f"x has shape {x.shape} but instance norm needs images (N, H, W, C)")
    return group_norm(x, gamma, beta, x.shape[-1], eps)


layer_norm_backward = group_norm_backward
instance_norm_backward = group_norm_backward


# --------------------------------------------------------------------------- batch renormalization
def batch_renorm_forward(x, gamma, beta, moving_mean, moving_var, rmax=3.0, dmax=5.0, eps=1e-3, axis=-1):
    """Batch renormalization in training mode (Ioffe 2017).

    Per channel, with batch statistics mu_B, sigma_B and moving ones mu, sigma (sigma = sqrt(var + eps))::

        r = clip(sigma_B / sigma, 1/rmax, rmax)      d = clip((mu_B - mu) / sigma, -dmax, dmax)
        y = gamma * ((x - mu_B) / sigma_B * r + d) + beta

    r and d are treated as constants in the backward pass. Unclipped, (x - mu_B)/sigma_B * r + d equals
    (x - mu)/sigma: the training output is the inference output. With r = 1, d = 0 (rmax = 1, dmax = 0)
    it is batch norm.

    Args:
        x: (N, D) or (N, H, W, C) with channels on ``axis``; statistics over every other axis, as in BN.
        gamma, beta, moving_mean, moving_var: (C,).
        rmax (>= 1), dmax (>= 0): the clipping limits.
        eps: added to both variances.

    Returns:
        (y, r, d, cache): y shaped like x; r and d (C,); cache for :func:`batch_renorm_backward`.
    Taught in chapter 9.
    """
    if not rmax >= 1.0:
        raise ValueError(f"rmax must be >= 1, got {rmax!r}")
    if not dmax >= 0.0:
        raise ValueError(f"dmax must be >= 0, got {dmax!r}")
    eps = check_eps(eps)
    in_dtype = check_float("x", x).dtype
    x, gamma, beta, moving_mean, moving_var, ax = _check_renorm(x, gamma, beta, moving_mean, moving_var, axis)
    c = x.shape[ax]
    ones = np.ones(c, dtype=x.dtype)
    xhat, bn_cache = batchnorm_forward(x, ones, np.zeros_like(ones), eps=eps, axis=ax)
    sigma_b = 1.0 / bn_cache.inv_std
    sigma = np.sqrt(moving_var + x.dtype.type(eps))
    r = np.clip(sigma_b / sigma, 1.0 / rmax, rmax).astype(x.dtype)
    d = np.clip((bn_cache.mu - moving_mean) / sigma, -dmax, dmax).astype(x.dtype)
    shape = [1] * x.ndim
    shape[ax] = c
    yhat = xhat * r.reshape(shape) + d.reshape(shape)
    y = (gamma.reshape(shape) * yhat + beta.reshape(shape)).astype(in_dtype, copy=False)
    cache = (bn_cache, yhat, r, gamma, shape, ax)
    return y, r, d, (cache, bn_cache.mu, bn_cache.var)


def _check_renorm(x, gamma, beta, moving_mean, moving_var, axis):
    """x in the compute dtype, the four (C,) arrays in that dtype, and the axis as an index."""
    x = check_float("x", x)
    if x.ndim < 2:
        raise ValueError(f"x has shape {x.shape} but at least 2 dimensions (examples, features) are expected")
    ax = normalize_axis(axis, x.ndim, x.shape)
    c = x.shape[ax]
    x = x.astype(compute_dtype(x.dtype), copy=False)
    out = []
    for name, p in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean), ("moving_var", moving_var)):
        p = check_float(name, p)
        if p.shape != (c,):
            raise ValueError(f"x has shape {x.shape} with {c} channels on axis {axis}, "
                             f"but {name} has shape {p.shape}; expected ({c},)")
        out.append(p.astype(x.dtype, copy=False))
    if np.any(out[3] < 0) or not np.all(np.isfinite(out[3])):
        raise ValueError("moving_var must be finite and >= 0")
    return (x, *out, ax)


def batch_renorm_backward(dy, cache):
    """Gradients of :func:`batch_renorm_forward` with r and d held constant.

    Returns:
        (dx, dgamma, dbeta): dx shaped like x; dgamma = sum(dy * yhat), dbeta = sum(dy), both (C,);
        dx is batch norm's dx for upstream gradient dy * gamma * r.
    """
    (bn_cache, yhat, r, gamma, shape, axis), _, _ = cache
    red = tuple(i for i in range(dy.ndim) if i != axis % dy.ndim)
    dbeta = dy.sum(axis=red)
    dgamma = (dy * yhat).sum(axis=red)
    dx, _, _ = batchnorm_backward(dy * (gamma * r).reshape(shape), bn_cache)
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------- layers
class GroupNorm(Layer):
    """Group-norm layer for bnutils models (channels last). No moving statistics: training and
    inference compute the same thing.

    Args:
        num_channels: C.
        groups: G, dividing C (1: layer norm; C: instance norm).
        epsilon: added to the variance (default 1e-3, as Keras).
    """

    def __init__(self, num_channels, groups, epsilon=1e-3, dtype=np.float32):
        super().__init__()
        num_channels = check_positive_int(num_channels, "num_channels")
        if not isinstance(groups, (int, np.integer)) or groups < 1 or num_channels % groups:
            raise ValueError(f"groups must be a positive divisor of num_channels={num_channels}, got {groups!r}")
        self.num_channels, self.groups, self.epsilon = num_channels, int(groups), check_eps(epsilon, "epsilon")
        self.params["gamma"] = np.ones(num_channels, dtype=dtype)
        self.params["beta"] = np.zeros(num_channels, dtype=dtype)
        self._cache = None

    def forward(self, x, training=False):
        y, self._cache = group_norm(x, self.params["gamma"], self.params["beta"], self.groups, self.epsilon)
        return y

    def backward(self, dy):
        if self._cache is None:
            raise RuntimeError("backward needs a preceding forward")
        dx, self.grads["gamma"], self.grads["beta"] = group_norm_backward(dy, self._cache)
        return dx

    def __repr__(self):
        return f"GroupNorm({self.num_channels}, groups={self.groups}, epsilon={self.epsilon})"


class LayerNorm(GroupNorm):
    """Layer-norm layer: group norm with one group (per example, over all features).

    Args:
        num_features: D (or C for images).
        epsilon: added to the variance (default 1e-3, as Keras).
    """

    def __init__(self, num_features, epsilon=1e-3, dtype=np.float32):
        super().__init__(num_features, 1, epsilon=epsilon, dtype=dtype)

    def __repr__(self):
        return f"LayerNorm({self.num_channels}, epsilon={self.epsilon})"


class BatchRenorm(Layer):
    """Batch-renorm layer (Keras momentum convention; feature axis last).

    In training, :func:`batch_renorm_forward` with the current ``rmax``, ``dmax`` (set them during
    training to ramp them up, e.g. from 1 and 0, as the paper does), then the moving statistics are
    updated as in :class:`bnutils.BatchNorm`. In inference, batch norm with the moving statistics.
    """

    def __init__(self, num_features, rmax=3.0, dmax=5.0, momentum=0.99, epsilon=1e-3, dtype=np.float32):
        super().__init__()
        if not (rmax >= 1.0 and dmax >= 0.0):
            raise ValueError(f"need rmax >= 1 and dmax >= 0, got rmax={rmax!r}, dmax={dmax!r}")
        self.num_features = check_positive_int(num_features, "num_features")
        self.rmax, self.dmax = float(rmax), float(dmax)
        self.momentum, self.epsilon = check_momentum(momentum), check_eps(epsilon, "epsilon")
        self.params["gamma"] = np.ones(num_features, dtype=dtype)
        self.params["beta"] = np.zeros(num_features, dtype=dtype)
        self.moving_mean = np.zeros(num_features, dtype=dtype)
        self.moving_variance = np.ones(num_features, dtype=dtype)
        self.r = self.d = None
        self._cache = None

    def forward(self, x, training=False):
        gamma, beta = self.params["gamma"], self.params["beta"]
        if not training:
            self._cache = None
            return batchnorm_inference(x, self.moving_mean, self.moving_variance, gamma, beta, eps=self.epsilon)
        check_finite_batch(x)   # before any state changes: a bad batch leaves the moving statistics alone
        y, self.r, self.d, cache = batch_renorm_forward(x, gamma, beta, self.moving_mean, self.moving_variance,
                                                        self.rmax, self.dmax, self.epsilon)
        _, mu, var = cache
        ema_inplace(self.moving_mean, mu, self.momentum)
        ema_inplace(self.moving_variance, var, self.momentum)
        self._cache = cache
        return y

    def backward(self, dy):
        if self._cache is None:
            raise RuntimeError("backward needs a preceding forward(x, training=True)")
        dx, self.grads["gamma"], self.grads["beta"] = batch_renorm_backward(dy, self._cache)
        return dx

    def __repr__(self):
        return f"BatchRenorm({self.num_features}, rmax={self.rmax}, dmax={self.dmax}, momentum={self.momentum})"
