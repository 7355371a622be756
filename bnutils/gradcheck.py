"""Gradient checking with centred differences (chapter 3)."""
from __future__ import annotations

import numpy as np

__all__ = ["numerical_gradient", "rel_error"]


def numerical_gradient(f, x, dy, h=1e-5):
    """Numerical gradient of ``sum(f(x) * dy)`` with respect to x, by centred differences.

    Args:
        f: function of x returning an array (or a scalar, with ``dy=1.0``).
        x: float array; each entry is nudged by +-h in place and restored.
        dy: the upstream gradient, same shape as f(x).
        h: step size.

    Returns:
        An array shaped like x: ``(sum(f(x+h e_i) * dy) - sum(f(x-h e_i) * dy)) / (2h)`` per entry.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x has dtype {x.dtype} but a floating dtype is expected")
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = np.sum(np.asarray(f(x), dtype=np.float64) * dy)
        x[i] = old - h
        fm = np.sum(np.asarray(f(x), dtype=np.float64) * dy)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad.astype(x.dtype)


def rel_error(a, b):
    """Relative error ``||a - b|| / max(||a|| + ||b||, 1e-300)`` over all entries (Frobenius norms).

    Below ~1e-7 in float64 means the two agree; ~1e-2 or more means a wrong formula. Norms, not a
    max over entries, so an entry that should be 0 does not blow the ratio up.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))
