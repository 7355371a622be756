"""Shared argument checks and shape plumbing (internal).

Every public function of bnutils validates its arguments with these, so the same mistake gets the
same message everywhere: what was given, and what was expected. Nothing here changes any state.
"""
from __future__ import annotations

import numbers

import numpy as np


def check_float(name, a):
    """``a`` as an array of a floating dtype; TypeError otherwise.

    float16 is accepted: the math functions compute in float32 and return float16 (as Keras does
    for float16 inputs), see :func:`compute_dtype`.
    """
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} has dtype {a.dtype} but a floating dtype (float32 or float64) is expected")
    return a


def compute_dtype(dtype):
    """The dtype the arithmetic runs in: float32 for float16 (whose sums of squares overflow at 65504),
    otherwise ``dtype`` itself."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def normalize_axis(axis, ndim, shape):
    """``axis`` as an index in [0, ndim); ValueError naming the shape if it is not an int in range."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise ValueError(f"axis must be an int, got {axis!r} for input of shape {shape}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for input of shape {shape} (ndim {ndim})")
    return int(axis) % ndim


def check_eps(eps, name="eps"):
    """``eps`` as a float; ValueError unless it is a finite real number >= 0."""
    if isinstance(eps, bool) or not isinstance(eps, (numbers.Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be a finite number >= 0, got {eps!r}")
    if not (np.isfinite(eps) and eps >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {eps!r}")
    return float(eps)


def check_momentum(momentum, name="momentum", hint=""):
    """``momentum`` as a float in [0, 1]; ValueError otherwise (``hint`` is appended to the message)."""
    if momentum is None:
        raise ValueError(
            f"{name}=None (PyTorch's cumulative moving average) is not supported here; expected a number "
            f"in [0, 1]{hint}"
        )
    if isinstance(momentum, bool) or not isinstance(momentum, (numbers.Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be a number in [0, 1], got {momentum!r}")
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {momentum!r}{hint}")
    return float(momentum)


def check_positive_int(value, name):
    """``value`` as an int >= 1; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def check_finite_batch(x):
    """FloatingPointError if a training batch holds nan or inf (stateful layers call this before they
    update any state, so a bad batch leaves them untouched)."""
    if not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise FloatingPointError(
            f"x has {bad} non-finite values (nan or inf) in a training batch of shape {np.shape(x)}; "
            "the layer's state was left unchanged"
        )


def check_not_empty(x, what="x"):
    """ValueError naming the shape if ``x`` has no values (0 examples or 0 features)."""
    if np.size(x) == 0:
        raise ValueError(f"{what} has shape {np.shape(x)}, which holds no values; expected at least one "
                         "example and one feature")


def to_2d(x, ax):
    """View (or copy) x as a C-contiguous (M, D) array with the feature axis ``ax`` last."""
    if ax == x.ndim - 1:
        return np.ascontiguousarray(x).reshape(-1, x.shape[ax])
    return np.ascontiguousarray(np.moveaxis(x, ax, -1)).reshape(-1, x.shape[ax])


def from_2d(y2, shape, ax):
    """Inverse of :func:`to_2d`."""
    ndim = len(shape)
    if ax == ndim - 1:
        return y2.reshape(shape)
    moved = tuple(s for i, s in enumerate(shape) if i != ax) + (shape[ax],)
    return np.moveaxis(y2.reshape(moved), -1, ax)
