"""The batch-norm math: forward, backward (compact and staged) and inference.

Layout: the feature axis is ``axis`` (last by default, rows are examples, as in NumPy and
Keras); statistics are taken over every other axis. For a 2-D input of shape (N, D) that is
one mean and one variance per column; for a 4-D NHWC input of shape (N, H, W, C) it is one per
channel over (N, H, W). Pass ``axis=1`` for NCHW.

Taught in chapters 2 (the transform) and 3 (backpropagation); :func:`bn_jacobian` in chapter 7. This module imports only NumPy.
"""
from __future__ import annotations

import numpy as np

from ._validation import check_eps, check_float, compute_dtype, from_2d, normalize_axis, to_2d

__all__ = [
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_staged",
    "batchnorm_inference",
    "BNCache",
    "bn_jacobian",
]


# --------------------------------------------------------------------------- validation
def _check_params(x, axis, **params):
    """Validate x's dtype, the axis, and that every per-feature parameter has shape (D,).

    Returns (x, ax, params) with x and the parameters in the compute dtype (float32 for float16 input,
    see :func:`bnutils._validation.compute_dtype`)."""
    x = check_float("x", x)
    if x.ndim < 2:
        raise ValueError(f"x has shape {x.shape} but at least 2 dimensions (examples, features) are expected")
    ax = normalize_axis(axis, x.ndim, x.shape)
    d = x.shape[ax]
    if d == 0:
        raise ValueError(f"x has shape {x.shape} with 0 features on axis {axis}; expected at least one feature")
    dt = compute_dtype(x.dtype)
    out = []
    for name, p in params.items():
        p = check_float(name, p)
        if p.shape != (d,):
            raise ValueError(
                f"x has shape {x.shape} with {d} features on axis {axis}, "
                f"but {name} has shape {p.shape}; expected ({d},)"
            )
        out.append(p.astype(dt, copy=False))
    return x.astype(dt, copy=False), ax, out


def _zero_variance_error(var, eps, what):
    """ValueError if eps is 0 and some feature has variance 0 (1 / sqrt(0) would give inf and nan)."""
    if eps == 0 and np.any(var == 0):
        bad = np.flatnonzero(var == 0)
        raise ValueError(
            f"eps=0 and {what} is 0 for feature(s) {bad[:10].tolist()}{' ...' if bad.size > 10 else ''} "
            "(a constant feature): the division by sqrt(var + eps) is undefined; use eps > 0"
        )


def _block_rows(d):
    """Rows per block so that a (rows, d) block is about 256 KB: it stays in the CPU cache
    between the operations applied to it."""
    return max(8, (1 << 16) // max(d, 1))


def _colsum(a):
    """Column sums of a 2-D array as one BLAS matrix-vector product (fast, float32-accurate)."""
    return np.ones(a.shape[0], dtype=a.dtype) @ a


# --------------------------------------------------------------------------- cache
class BNCache:
    """What the backward pass needs from the forward pass.

    Attributes: ``xc`` (M, D) centred input x - mu (2-D view, feature axis last), ``inv_std`` (D,)
    1/sqrt(var + eps), ``gamma`` (D,), ``mu`` (D,), ``var`` (D,) biased batch variance, ``eps``,
    ``shape``, ``axis`` and ``dtype`` of the original input (for float16 input everything else is
    float32). ``xhat`` is computed on demand.
    """

    __slots__ = ("xc", "inv_std", "gamma", "mu", "var", "eps", "shape", "axis", "dtype")

    def __init__(self, xc, inv_std, gamma, mu, var, eps, shape, axis, dtype=None):
        self.xc, self.inv_std, self.gamma = xc, inv_std, gamma
        self.mu, self.var, self.eps, self.shape, self.axis = mu, var, eps, shape, axis
        self.dtype = xc.dtype if dtype is None else np.dtype(dtype)   # the dtype of x (and of dx)

    @property
    def xhat(self):
        """The normalized input, shape of the original x."""
        return from_2d(self.xc * self.inv_std, self.shape, self.axis)

    @property
    def m(self):
        """Number of values averaged per feature (N, or N*H*W for images)."""
        return self.xc.shape[0]


# --------------------------------------------------------------------------- forward
def batchnorm_forward(x, gamma, beta, eps=1e-5, axis=-1):
    """Batch norm in training mode: normalize with the mini-batch statistics, then scale and shift.

    Args:
        x: (N, D) or (N, H, W, C) floating array (any shape with the feature axis at ``axis``).
        gamma, beta: (D,) scale and shift.
        eps: added to the variance before the square root.
        axis: the feature axis (-1 for rows-are-examples and NHWC, 1 for NCHW).

    Returns:
        y: same shape and dtype as x, ``gamma * (x - mu) / sqrt(var + eps) + beta``.
        cache: a :class:`BNCache` for :func:`batchnorm_backward`.

    float16 input is computed in float32 and y is returned as float16, as Keras does (in float16 the sum
    of squares of pixel-range data overflows). eps = 0 with a constant feature is a ValueError.

    The variance is the biased one (divided by m) and is computed in two passes, from x - mu,
    which stays accurate when the mean is large compared with the spread (E[x^2] - E[x]^2 does not).
    Taught in chapter 2.
    """
    in_dtype = np.asarray(x).dtype
    x, ax, (gamma, beta) = _check_params(x, axis, gamma=gamma, beta=beta)
    eps = check_eps(eps)
    x2 = to_2d(x, ax)
    m = x2.shape[0]
    if m < 2:
        raise ValueError(
            f"x has shape {x.shape}: only {m} value per feature, so the batch variance is undefined or 0 and "
            "training-mode batch norm is undefined; expected at least 2 values per feature"
        )
    dt = x.dtype.type
    rows = _block_rows(x2.shape[1])
    mu = _colsum(x2)                              # pass 1: read x (one BLAS matrix-vector product)
    mu *= dt(1.0 / m)
    xc = np.empty_like(x2)
    var = np.zeros_like(mu)
    for i in range(0, m, rows):                   # pass 2: read x, write x - mu; the variance is
        blk = xc[i:i + rows]                      # summed while the block is still in cache
        np.subtract(x2[i:i + rows], mu, out=blk)
        var += np.einsum("ij,ij->j", blk, blk)
    var *= dt(1.0 / m)
    _zero_variance_error(var, eps, "the batch variance")
    inv_std = 1.0 / np.sqrt(var + dt(eps))
    scale = gamma * inv_std
    y2 = np.empty_like(x2)
    for i in range(0, m, rows):                   # pass 3: read x - mu, write y
        out = y2[i:i + rows]
        np.multiply(xc[i:i + rows], scale, out=out)
        out += beta
    cache = BNCache(xc, inv_std, gamma, mu, var, eps, x.shape, ax, in_dtype)
    return from_2d(y2, x.shape, ax).astype(in_dtype, copy=False), cache


def batchnorm_inference(x, mean, var, gamma, beta, eps=1e-5, axis=-1):
    """Batch norm in inference mode: normalize with fixed (moving or population) statistics.

    Args:
        x: floating array with D features on ``axis``.
        mean, var, gamma, beta: (D,) arrays.
        eps: added to ``var``.

    Returns:
        y: same shape and dtype as x, ``gamma * (x - mean) / sqrt(var + eps) + beta``.

    Equivalent to an affine map per feature, y = a * x + b, which is how it is computed (in float32
    for float16 input). An empty batch gives an empty y. Taught in chapter 5.
    """
    in_dtype = np.asarray(x).dtype
    x, ax, (mean, var, gamma, beta) = _check_params(x, axis, mean=mean, var=var, gamma=gamma, beta=beta)
    eps = check_eps(eps)
    if np.any(var < 0) or not np.all(np.isfinite(var)):
        raise ValueError(f"var must be finite and >= 0, got minimum {var.min()} and maximum {var.max()}")
    _zero_variance_error(var, eps, "var")
    a = gamma / np.sqrt(var + x.dtype.type(eps))
    b = beta - mean * a
    bshape = [1] * x.ndim
    bshape[ax] = -1
    y = np.multiply(x, a.reshape(bshape))
    y += b.reshape(bshape)
    return y.astype(in_dtype, copy=False)


# --------------------------------------------------------------------------- backward
def _check_dy(dy, cache):
    dy = check_float("dy", dy)
    if dy.shape != cache.shape:
        raise ValueError(f"dy has shape {dy.shape} but the forward input had shape {cache.shape}")
    return to_2d(dy.astype(cache.xc.dtype, copy=False), cache.axis)


def batchnorm_backward(dy, cache):
    """Gradients of batch norm (training mode) in the compact closed form.

    With g = dy, xhat = (x - mu) / sigma, sigma = sqrt(var + eps) and m values per feature::

        dbeta  = sum(g)
        dgamma = sum(g * xhat)
        dx     = gamma / sigma * (g - mean(g) - xhat * mean(g * xhat))

    Args:
        dy: upstream gradient, same shape as the forward input.
        cache: from :func:`batchnorm_forward`.

    Returns:
        (dx, dgamma, dbeta): dx has the shape of x, dgamma and dbeta are (D,).

    Written as dx = a*g + b*(x - mu) + c with per-feature a, b, c: the sums read g and x - mu once
    (BLAS and einsum, no temporaries), then one blocked pass writes dx.
    Taught in chapter 3.
    """
    g = _check_dy(dy, cache)
    xc, inv_std, gamma = cache.xc, cache.inv_std, cache.gamma
    m = xc.shape[0]
    dt = xc.dtype.type
    dbeta = _colsum(g)                              # pass 1
    s = np.einsum("ij,ij->j", g, xc)                # pass 2: sum(g * (x - mu))
    dgamma = s * inv_std
    a = gamma * inv_std
    b = -a * inv_std * inv_std * s * dt(1.0 / m)
    c = -a * dbeta * dt(1.0 / m)
    dx = np.empty_like(xc)
    rows = _block_rows(xc.shape[1])
    tmp = np.empty((min(rows, m), xc.shape[1]), dtype=xc.dtype)
    for i in range(0, m, rows):                    # pass 3, blocked so tmp stays in cache
        j = min(i + rows, m)
        t = tmp[: j - i]
        out = dx[i:j]
        np.multiply(xc[i:j], b, out=t)
        np.multiply(g[i:j], a, out=out)
        out += t
        out += c
    return from_2d(dx, cache.shape, cache.axis).astype(cache.dtype, copy=False), dgamma, dbeta


def batchnorm_backward_staged(dy, cache):
    """Gradients of batch norm node by node through the computational graph (for teaching).

    The forward pass written as named nodes (per feature, m values)::

        mu    = mean(x)                  (1)
        xc    = x - mu                   (2)
        var   = mean(xc ** 2)            (3)
        std   = sqrt(var + eps)          (4)
        istd  = 1 / std                  (5)
        xhat  = xc * istd                (6)
        y     = gamma * xhat + beta      (7)

    and the backward pass visits them in reverse, applying the chain rule at each node.
    Must agree with :func:`batchnorm_backward`. Taught in chapter 3.

    Returns:
        (dx, dgamma, dbeta) as in :func:`batchnorm_backward`.
    """
    g = _check_dy(dy, cache)
    xc, gamma, eps = cache.xc, cache.gamma, cache.eps
    m = xc.shape[0]
    var = np.mean(xc ** 2, axis=0)
    std = np.sqrt(var + eps)
    istd = 1.0 / std
    xhat = xc * istd
    # (7) y = gamma * xhat + beta
    dbeta = g.sum(axis=0)
    dgamma = (g * xhat).sum(axis=0)
    dxhat = g * gamma
    # (6) xhat = xc * istd: xc is used here and in (3), so its gradient has two parts
    distd = (dxhat * xc).sum(axis=0)
    dxc = dxhat * istd
    # (5) istd = 1 / std
    dstd = -distd / std ** 2
    # (4) std = sqrt(var + eps)
    dvar = dstd * 0.5 / std
    # (3) var = mean(xc ** 2)
    dxc = dxc + (2.0 / m) * xc * dvar
    # (2) xc = x - mu: x gets dxc directly, mu gets -sum(dxc)
    dmu = -dxc.sum(axis=0)
    dx = dxc.copy()
    # (1) mu = mean(x)
    dx += dmu / m
    return from_2d(dx, cache.shape, cache.axis).astype(cache.dtype, copy=False), dgamma, dbeta


# --------------------------------------------------------------------------- the Jacobian (chapter 7)
def bn_jacobian(x, gamma=1.0, eps=1e-5):
    """The Jacobian of training-mode batch norm for one feature over a batch.

    For y_i = gamma * (x_i - mu) / sqrt(var + eps) + beta::

        dy_i / dx_k = gamma / sigma * (delta_ik - 1/m - xhat_i * xhat_k / m)

    Args:
        x: (m,) the values of one feature in a batch.
        gamma: the scale.
        eps: added to the biased variance.

    Returns:
        (m, m) array J with J[i, k] = dy_i / dx_k. Off the diagonal it is not zero: each output depends
        on every example of the batch.
    """
    eps = check_eps(eps)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"x has shape {x.shape} but a 1-D batch of at least 2 values is expected")
    m = x.size
    sigma = np.sqrt(x.var() + eps)
    xhat = (x - x.mean()) / sigma
    return gamma / sigma * (np.eye(m) - 1.0 / m - np.outer(xhat, xhat) / m)
