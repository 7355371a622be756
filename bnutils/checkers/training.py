"""Checkers for the exercises of chapter 4 (training a network with batch norm)."""
from __future__ import annotations

import numpy as np

from ..batchnorm import BatchNorm
from ..nn import Dense, ReLU, softmax_cross_entropy
from ..models import Sequential
from ._core import check_function

__all__ = ["check_sgd_train_step"]


def _net(seed, d_in, hidden, k):
    rng = np.random.default_rng(seed)
    net = Sequential([Dense(d_in, hidden, use_bias=False, rng=rng), BatchNorm(hidden), ReLU(),
                      Dense(hidden, k, rng=rng)])
    bn = net.layers[1]
    bn.gamma = rng.normal(1.0, 0.3, hidden).astype(np.float32)  # non-trivial starting values
    bn.beta = rng.normal(0.0, 0.3, hidden).astype(np.float32)
    return net


def _cases():
    rng = np.random.default_rng(2024)
    out = []
    for seed, (n, d_in, hidden, k), lr in ((1, (16, 6, 5, 3), 0.1), (2, (32, 10, 8, 4), 0.5), (3, (8, 4, 3, 2), 1.0)):
        X = rng.normal(0.0, 1.0, (n, d_in)).astype(np.float32)
        y = rng.integers(0, k, n)
        out.append((seed, X, y, lr, hidden, k))  # plain numbers: the wrapper builds the network
    return out


def _state(net, loss):
    Wb = np.concatenate([layer.params[name].ravel() for layer in net.layers if isinstance(layer, Dense)
                         for name in sorted(layer.params)])
    gb = np.concatenate([np.concatenate([layer.gamma, layer.beta]) for layer in net.layers
                         if isinstance(layer, BatchNorm)])
    mov = np.concatenate([np.concatenate([layer.moving_mean, layer.moving_variance]) for layer in net.layers
                          if isinstance(layer, BatchNorm)])
    return np.float64(loss), Wb, gb, mov


def _reference_step(net, X, y, lr, update_bn=True, sign=-1.0):
    logits = net.forward(X, training=True)
    loss, dlogits = softmax_cross_entropy(logits, y)
    net.backward(dlogits)
    for layer in net.layers:
        if isinstance(layer, BatchNorm) and not update_bn:
            continue
        for name in layer.params:
            layer.params[name] += sign * lr * layer.grads[name]
    return loss


def _wrap(step_fn, **kw):
    def run(seed, X, y, lr, hidden, k):
        net = _net(seed, X.shape[1], hidden, k)
        loss = step_fn(net, X, y, lr, **kw)
        return _state(net, loss)
    return run


def check_sgd_train_step(fn):
    """Check a learner's ``fn(net, X, y, lr) -> loss``: one training step of plain SGD on a
    Sequential network with batch norm (training-mode forward, mean softmax cross-entropy,
    backward, ``p -= lr * grad`` for *every* parameter, gamma and beta included).

    The network is changed in place; the checker compares the returned loss (before the update),
    the Dense weights and biases, gamma and beta, and the BN moving statistics after the step.
    Recognizes gamma and beta left out of the update and a plus sign (gradient ascent); a forward in
    inference mode makes the BN backward raise, and the report shows that error.
    """
    diagnoses = [
        ("gamma and beta were not updated: they are parameters like W, and the same optimizer updates them",
         _wrap(_reference_step, update_bn=False)),
        ("the update has the wrong sign: gradient descent subtracts lr * grad", _wrap(_reference_step, sign=1.0)),
    ]
    return check_function(_wrap(fn), _wrap(_reference_step), _cases(), "one SGD training step with batch norm",
                          outputs=("loss", "W and b after the step", "gamma and beta after the step",
                                   "moving mean and variance after the step"),
                          diagnoses=diagnoses, rtol=1e-5, atol=1e-6)
