"""Optimizers that update every parameter of a network in place: SGD, SGD with momentum, Adam.

gamma and beta are parameters like W: the same optimizer updates them (chapter 4). Adam keeps
moving averages of the *gradients* and of their squares, not of the parameters.
"""
from __future__ import annotations

import numpy as np

from ._validation import check_eps

__all__ = ["SGD", "Momentum", "Adam"]


class _Optimizer:
    def __init__(self, lr):
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        self.lr = float(lr)
        self.state = {}
        self.t = 0

    def step(self, net):
        """Update every (layer, name) parameter of ``net`` with its gradient."""
        self.t += 1
        for layer, name in net.parameters():
            self._update(layer.params[name], layer.grads[name], (id(layer), name))


class SGD(_Optimizer):
    """``p -= lr * g``."""

    def _update(self, p, g, key):
        p -= self.lr * g

    def __repr__(self):
        return f"SGD(lr={self.lr})"


class Momentum(_Optimizer):
    """Heavy-ball momentum: ``v = beta * v + g; p -= lr * v``."""

    def __init__(self, lr, beta=0.9):
        super().__init__(lr)
        self.beta = beta

    def _update(self, p, g, key):
        v = self.state.get(key)
        if v is None:
            v = self.state[key] = np.zeros_like(p)
        v *= self.beta
        v += g
        p -= self.lr * v

    def __repr__(self):
        return f"Momentum(lr={self.lr}, beta={self.beta})"


class Adam(_Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction; ``eps`` is added to sqrt(v_hat)."""

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        for name, b in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {b!r}")
        self.beta1, self.beta2, self.eps = beta1, beta2, check_eps(eps)

    def _update(self, p, g, key):
        st = self.state.get(key)
        if st is None:
            st = self.state[key] = (np.zeros_like(p), np.zeros_like(p))
        m, v = st
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * (g * g)
        c1 = 1 - self.beta1 ** self.t
        c2 = 1 - self.beta2 ** self.t
        p -= (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)

    def __repr__(self):
        return f"Adam(lr={self.lr})"
