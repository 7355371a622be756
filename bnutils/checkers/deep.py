"""Checkers for the exercises of chapter 9 (batch norm in deep and residual networks)."""
from __future__ import annotations

import numpy as np

from ._core import check_function

__all__ = ["check_residual_block"]


def _cases():
    rng = np.random.default_rng(919)
    cases = []
    for n, d in ((6, 4), (3, 7), (1, 5)):
        cases.append((rng.standard_normal((n, d)), rng.standard_normal((d, d)) * 0.5, rng.standard_normal((n, d))))
    # all pre-activations negative: the branch is off, only the identity path is left
    cases.append((-np.abs(rng.standard_normal((4, 3))) - 0.1, rng.standard_normal((3, 3)), rng.standard_normal((4, 3))))
    return cases


def _ref(x, W, dy):
    """y = x + relu(x) @ W; returns (y, dx, dW) for the upstream gradient dy."""
    r = np.maximum(x, 0)
    y = x + r @ W
    dW = r.T @ dy
    dx = dy + (dy @ W.T) * (x > 0)
    return y, dx, dW


def _no_identity_grad(x, W, dy):
    r = np.maximum(x, 0)
    return x + r @ W, (dy @ W.T) * (x > 0), r.T @ dy


def _no_relu_mask(x, W, dy):
    r = np.maximum(x, 0)
    return x + r @ W, dy + dy @ W.T, r.T @ dy


def _no_transpose(x, W, dy):
    r = np.maximum(x, 0)
    return x + r @ W, dy + (dy @ W) * (x > 0), r.T @ dy


def check_residual_block(fn):
    """Check ``fn(x, W, dy) -> (y, dx, dW)`` for the residual block ``y = x + relu(x) @ W``
    (x: (N, D), W: (D, D), dy: (N, D)) against the reference."""
    return check_function(
        fn, _ref, _cases(), "residual block forward and backward", outputs=("y", "dx", "dW"),
        diagnoses=[
            ("dx is missing the identity path: the skip connection adds dy itself to dx", _no_identity_grad),
            ("dx ignores the ReLU: multiply the branch's gradient by (x > 0)", _no_relu_mask),
            ("dx uses W instead of W.T for the branch's gradient", _no_transpose),
        ],
        rtol=1e-6, atol=1e-8,
    )
