"""Input scaling: min-max, z-score (standardization) and robust (median/IQR) scalers, and plain
gradient descent on a least-squares loss for the two-feature demo.

Layout: examples in rows, features last, as in NumPy and Keras. Each scaler learns its statistics
with ``fit`` (on the training set) and applies them with ``transform`` (to any set), so that the
test set is scaled with the *training* statistics. Taught in chapter 1 (normalizing inputs).
This module imports only NumPy.
"""
from __future__ import annotations

import numpy as np

from ._validation import check_eps

__all__ = [
    "MinMaxScaler", "StandardScaler", "RobustScaler",
    "minmax_scale", "standardize", "robust_scale",
    "least_squares_problem", "gradient_descent", "steps_to_converge", "best_learning_rate",
]


def _as_float_array(name, X):
    X = np.asarray(X)
    if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
        raise TypeError(f"{name} has dtype {X.dtype} but a numeric array is expected")
    if X.ndim < 1 or X.size == 0:
        raise ValueError(f"{name} has shape {X.shape} but a non-empty array is expected")
    return X.astype(np.float64) if np.issubdtype(X.dtype, np.integer) else X


def _axes(axis, ndim, shape):
    """Normalize ``axis`` (int, tuple of ints or None = all axes) to a tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axs = (axis,) if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) else tuple(axis)
    out = []
    for a in axs:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool) or not -ndim <= a < ndim:
            raise ValueError(f"axis {axis!r} is not valid for an array of shape {shape} (ndim {ndim})")
        out.append(int(a) % ndim)
    return tuple(sorted(set(out)))


class _Scaler:
    """``transform(X) = (X - center_) / scale_`` with statistics learned by ``fit``."""

    def __init__(self, axis=0):
        self.axis = axis
        self.center_ = None
        self.scale_ = None

    def _stats(self, X, axes):  # pragma: no cover - overridden
        raise NotImplementedError

    def fit(self, X):
        """Learn the statistics of X (shape (N, ...)), reducing over ``axis``; returns self."""
        X = _as_float_array("X", X)
        axes = _axes(self.axis, X.ndim, X.shape)
        center, scale = self._stats(X, axes)
        scale = np.where(scale > 0, scale, 1.0)  # a constant feature is only shifted (to 0)
        self.center_, self.scale_, self._ndim = center, scale, X.ndim
        return self

    def transform(self, X):
        """Scale X with the statistics learned by ``fit``; X must match the fitted shape on the kept axes."""
        if self.center_ is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(X_train) first")
        X = _as_float_array("X", X)
        if X.ndim != self._ndim:
            raise ValueError(f"X has shape {X.shape} ({X.ndim} dims) but the scaler was fitted on "
                             f"{self._ndim}-dim data with statistics of shape {self.center_.shape}")
        for d, (s, c) in enumerate(zip(X.shape, self.center_.shape)):
            if c not in (1, s):
                raise ValueError(f"X has shape {X.shape} but the fitted statistics have shape "
                                 f"{self.center_.shape}; axis {d} should have size {c}")
        return (X - self.center_) / self.scale_

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        """Undo ``transform``: ``Z * scale_ + center_``."""
        if self.center_ is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(X_train) first")
        return np.asarray(Z) * self.scale_ + self.center_


class MinMaxScaler(_Scaler):
    """Min-max scaling to [0, 1]: ``(X - min) / (max - min)``, statistics over ``axis`` (default 0: per feature).

    Args:
        axis: the axes reduced when fitting: 0 per feature (columns), None the whole array,
            a tuple such as (1, 2) per image for (N, H, W) images.
    """

    def _stats(self, X, axes):
        lo = X.min(axis=axes, keepdims=True)
        return lo, X.max(axis=axes, keepdims=True) - lo


class StandardScaler(_Scaler):
    """Z-score standardization: ``(X - mean) / sqrt(var + eps)`` with the biased variance (divide by N).

    Args:
        axis: the axes reduced when fitting (see :class:`MinMaxScaler`).
        eps: added to the variance inside the square root (default 0; BN layers use 1e-3 in Keras,
            1e-5 in PyTorch). A feature with zero variance is only centred.
    """

    def __init__(self, axis=0, eps=0.0):
        super().__init__(axis)
        self.eps = check_eps(eps)

    def _stats(self, X, axes):
        mu = X.mean(axis=axes, keepdims=True)
        var = ((X - mu) ** 2).mean(axis=axes, keepdims=True)
        return mu, np.sqrt(var + self.eps)


class RobustScaler(_Scaler):
    """Robust scaling: ``(X - median) / IQR`` with IQR the 75th minus the 25th percentile.

    A few extreme values hardly move the median and the quartiles, so the bulk of the data keeps
    its spread; the extreme values themselves stay extreme (nothing is clipped).

    Args:
        axis: the axes reduced when fitting (see :class:`MinMaxScaler`).
    """

    def _stats(self, X, axes):
        q25, med, q75 = np.percentile(X, [25, 50, 75], axis=axes, keepdims=True)
        return med, q75 - q25


def minmax_scale(X, axis=0):
    """Min-max scale X with its own statistics (shape as X). See :class:`MinMaxScaler`."""
    return MinMaxScaler(axis).fit_transform(X)


def standardize(X, axis=0, eps=0.0):
    """Standardize X with its own statistics (shape as X). See :class:`StandardScaler`."""
    return StandardScaler(axis, eps).fit_transform(X)


def robust_scale(X, axis=0):
    """Robust-scale X with its own statistics (shape as X). See :class:`RobustScaler`."""
    return RobustScaler(axis).fit_transform(X)


# --------------------------------------------------------------------------- gradient descent demo
def least_squares_problem(X, y):
    """The loss ``L(w) = ||X w - y||^2 / (2N)`` of a linear model without bias, as functions.

    Args:
        X: inputs, shape (N, D). y: targets, shape (N,).

    Returns:
        ``(loss, grad, w_star, H)``: loss(w) and grad(w) for w of shape (D,) or a stack of shape
        (..., D), the minimizer w_star (D,), and the Hessian H = X^T X / N (D, D).
    """
    X = _as_float_array("X", X)
    y = _as_float_array("y", y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X has shape {X.shape} and y {y.shape}; expected (N, D) and (N,)")
    N = X.shape[0]
    H = X.T @ X / N
    g0 = X.T @ y / N
    c = float(y @ y) / (2 * N)
    w_star = np.linalg.solve(H, g0)

    def loss(w):
        w = np.asarray(w, dtype=np.float64)
        return 0.5 * np.einsum("...i,ij,...j->...", w, H, w) - w @ g0 + c

    def grad(w):
        return np.asarray(w, dtype=np.float64) @ H - g0  # H is symmetric; works for stacks (..., D)

    return loss, grad, w_star, H


def gradient_descent(grad, w0, lr, num_steps):
    """Plain gradient descent ``w <- w - lr * grad(w)``.

    Args:
        grad: function w (D,) -> gradient (D,). w0: start (D,). lr: learning rate > 0.
        num_steps: number of steps.

    Returns:
        The path, shape (num_steps + 1, D): w0 and the point after every step (stops early, with a
        shorter path, if the iterate becomes non-finite).
    """
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    w = np.array(w0, dtype=np.float64)
    path = [w.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(int(num_steps)):
            w = w - lr * grad(w)
            if not np.all(np.isfinite(w)):
                break
            path.append(w.copy())
    return np.array(path)


def steps_to_converge(loss, grad, w0, w_star, lr, tol=1e-6, max_steps=20000):
    """Gradient-descent steps until ``loss(w) - loss(w_star) <= tol * (loss(w0) - loss(w_star))``.

    The criterion is relative to the starting gap, so problems in different units compare fairly.

    Returns:
        The number of steps (an int), or None if it did not converge within ``max_steps``
        (including divergence).
    """
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    w = np.array(w0, dtype=np.float64)
    l_star = float(loss(w_star))
    target = tol * (float(loss(w)) - l_star)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, int(max_steps) + 1):
            w = w - lr * grad(w)
            gap = float(loss(w)) - l_star
            if not np.isfinite(gap) or gap > 1e12 * (target + 1.0):
                return None
            if gap <= target:
                return k
    return None


def best_learning_rate(loss, grad, w0, w_star, lrs, tol=1e-6, max_steps=20000):
    """Tune the learning rate on a grid: the one that converges in the fewest steps.

    All learning rates run side by side, so ``loss`` and ``grad`` must accept a stack of points
    of shape (K, D) (those of :func:`least_squares_problem` do). The criterion is the one of
    :func:`steps_to_converge`.

    Args:
        lrs: the candidate learning rates, shape (K,).

    Returns:
        ``(lr, steps)`` for the best learning rate in ``lrs``; ``(None, None)`` if none converged.
    """
    lrs = np.asarray(lrs, dtype=np.float64).reshape(-1, 1)
    if lrs.size == 0 or not np.all(lrs > 0):
        raise ValueError(f"lrs must be a non-empty list of positive learning rates, got {lrs.ravel()!r}")
    W = np.tile(np.asarray(w0, dtype=np.float64), (lrs.shape[0], 1))
    l_star = float(loss(w_star))
    target = tol * (float(loss(np.asarray(w0, dtype=np.float64))) - l_star)
    steps = np.zeros(lrs.shape[0], dtype=int)            # 0: not converged (yet)
    alive = np.ones(lrs.shape[0], dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, int(max_steps) + 1):
            W = W - lrs * grad(W)
            gap = np.asarray(loss(W), dtype=np.float64) - l_star
            done = alive & (gap <= target)
            steps[done] = k
            alive &= ~done & np.isfinite(gap) & (gap <= 1e12 * (target + 1.0))
            if done.any() or not alive.any():   # the first to converge is the best
                break
    if not np.any(steps):
        return None, None
    i = int(np.argmax(steps > 0))
    return float(lrs[i, 0]), int(steps[i])
