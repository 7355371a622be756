"""Probes for *why* batch norm works: noisy batch norm, ghost batch norm networks, smoothness along the
gradient, gradient accumulation, and the noise of batch statistics. Taught in chapter 7. (The Jacobian
of a batch is :func:`bnutils.bn.bn_jacobian`; :class:`bnutils.batchnorm.GhostBatchNorm` is a layer;
saving and restoring a network is in :mod:`bnutils.models`.)

Every function takes a :class:`bnutils.models.Sequential` (or arrays) and leaves the network as it
found it: parameters, and the moving statistics of its batch-norm layers, are restored. This module
imports only NumPy.
"""
from __future__ import annotations

import numpy as np

from .batchnorm import BatchNorm, GhostBatchNorm
from .models import frozen_statistics, get_params, insert_after, mlp, set_params
from .nn import Layer

__all__ = [
    "NoisyShift", "noisy_bn_mlp", "ghost_bn_mlp", "flat_grad", "gradient_direction_probe",
    "accumulated_gradient", "batch_statistics_noise",
]


class NoisyShift(Layer):
    """Random, time-varying scale and shift per unit, the same for every example of a batch.

    In training, each forward pass draws for every unit j a scale ``s_j ~ U(1, scale_max)`` and a
    shift ``b_j ~ U(-shift_max, shift_max)`` and returns ``x * s + b``: the distribution of every unit
    gets a new, non-zero mean and non-unit variance at every step (the "noisy BN" experiment of
    Santurkar et al. 2018 puts this right after batch norm). In inference it applies the average
    scale ``(1 + scale_max) / 2`` and no shift.

    Args:
        num_features: D.
        shift_max, scale_max: the ranges above (shift_max >= 0, scale_max >= 1).
        rng: a ``numpy.random.Generator`` or an int seed.

    Shapes: x (N, D) -> y (N, D). ``last_scale`` and ``last_shift`` keep the most recent draw.
    """

    def __init__(self, num_features, shift_max=1.0, scale_max=2.0, rng=None):
        super().__init__()
        if not shift_max >= 0:
            raise ValueError(f"shift_max must be >= 0, got {shift_max!r}")
        if not scale_max >= 1:
            raise ValueError(f"scale_max must be >= 1, got {scale_max!r}")
        self.num_features = int(num_features)
        self.shift_max, self.scale_max = float(shift_max), float(scale_max)
        self.rng = np.random.default_rng(rng)
        self.last_scale = self.last_shift = None

    def forward(self, x, training=False):
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(f"x has shape {x.shape} but (N, {self.num_features}) is expected")
        dt = x.dtype
        if not training:
            self._scale = dt.type((1.0 + self.scale_max) / 2.0)
            return x * self._scale
        s = self.rng.uniform(1.0, self.scale_max, self.num_features).astype(dt)
        b = self.rng.uniform(-self.shift_max, self.shift_max, self.num_features).astype(dt)
        self._scale, self.last_scale, self.last_shift = s, s, b
        return x * s + b

    def backward(self, dy):
        return dy * self._scale

    def __repr__(self):
        return f"NoisyShift({self.num_features}, shift_max={self.shift_max}, scale_max={self.scale_max})"


def noisy_bn_mlp(sizes, shift_max=1.0, scale_max=2.0, activation="relu", seed=0, **kwargs):
    """``mlp(sizes, bn="before")`` with a :class:`NoisyShift` right after every batch-norm layer.

    Dense -> BN -> NoisyShift -> activation. Extra keyword arguments go to :func:`bnutils.models.mlp`.
    Returns a :class:`Sequential`.
    """
    base = mlp(sizes, activation=activation, bn="before", seed=seed, **kwargs)
    rng = np.random.default_rng(seed + 10_000)
    return insert_after(base, BatchNorm, lambda bn: NoisyShift(bn.num_features, shift_max, scale_max, rng=rng))


def ghost_bn_mlp(sizes, ghost_size, activation="relu", seed=0, **kwargs):
    """``mlp(sizes, bn="before")`` with every batch-norm layer replaced by a :class:`GhostBatchNorm`
    (same initial parameters). Returns a :class:`Sequential`."""
    momentum, epsilon = kwargs.pop("bn_momentum", 0.99), kwargs.pop("bn_epsilon", 1e-3)
    return mlp(sizes, activation=activation, bn="before", seed=seed,
               norm_layer=lambda d: GhostBatchNorm(d, ghost_size, momentum, epsilon), **kwargs)


def _loss_grads(net, X, y):
    with frozen_statistics(net):
        loss, _ = net.loss_and_grads(X, y)
    return loss, [layer.grads[name].astype(np.float64) for layer, name in net.parameters()]


def flat_grad(net, X, y):
    """Mean cross-entropy loss on (X, y) in training mode and its gradient as one float64 vector."""
    loss, grads = _loss_grads(net, X, y)
    return loss, np.concatenate([g.ravel() for g in grads])


def gradient_direction_probe(net, X, y, distances):
    """How the loss and its gradient change when stepping along the negative gradient.

    At the current parameters w, with g the gradient of the loss on the batch (X, y), for every
    step size eta in ``distances``, evaluate the loss L(w - eta g) and the gradient there (same batch,
    training mode, moving statistics untouched). The parameters are restored afterwards.

    Args:
        net: a :class:`Sequential`.
        X, y: one batch, (N, ...) and (N,).
        distances: step sizes eta (learning rates), e.g. ``[0.05, 0.1, 0.2, 0.4]``.

    Returns:
        dict with ``loss0`` (float), ``losses`` (len(distances),), ``grad_change``
        ||grad(w - eta g) - grad(w)|| (len(distances),), ``grad_norm`` ||g||, and ``beta_eff``,
        the largest ratio ||grad change|| / ||step|| (an "effective smoothness").
    """
    w0 = get_params(net)
    loss0, g0 = flat_grad(net, X, y)
    gnorm = float(np.linalg.norm(g0))
    pairs = net.parameters()
    grads0 = [layer.grads[name].copy() for layer, name in pairs]
    losses, changes = [], []
    try:
        for eta in distances:
            set_params(net, [w - np.asarray(eta, w.dtype) * g for w, g in zip(w0, grads0)])
            with np.errstate(over="ignore", invalid="ignore"):
                loss, g = flat_grad(net, X, y)
            losses.append(loss)
            changes.append(float(np.linalg.norm(g - g0)))
    finally:
        set_params(net, w0)
    losses, changes = np.array(losses), np.array(changes)
    steps = np.asarray(distances, dtype=np.float64) * max(gnorm, 1e-300)
    return {"loss0": float(loss0), "losses": losses, "grad_change": changes, "grad_norm": gnorm,
            "beta_eff": float(np.max(changes / steps))}


def accumulated_gradient(net, X, y, num_micro):
    """The gradient of the mean loss over X averaged over ``num_micro`` equal micro-batches (gradient
    accumulation), as one float64 vector. With ``num_micro=1`` it is the one-batch gradient."""
    n = len(X)
    if num_micro < 1 or n % num_micro:
        raise ValueError(f"{n} examples cannot be split into {num_micro} equal micro-batches")
    k = n // num_micro
    total = 0.0
    for i in range(num_micro):
        total = total + flat_grad(net, X[i * k:(i + 1) * k], y[i * k:(i + 1) * k])[1]
    return total / num_micro


def batch_statistics_noise(x, batch_sizes, num_batches, rng):
    """Standard deviations of the batch mean and batch (biased) variance of one feature over random batches.

    Args:
        x: (N,) values of one feature over a data set.
        batch_sizes: the batch sizes m to try.
        num_batches: random batches (without replacement inside a batch) per size.
        rng: a ``numpy.random.Generator``.

    Returns:
        dict with ``means`` and ``variances``: lists (one per m) of (num_batches,) arrays, and
        ``std_mean``, ``std_var``: (len(batch_sizes),) their standard deviations.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    means, variances = [], []
    for m in batch_sizes:
        if not 2 <= m <= x.size:
            raise ValueError(f"batch size {m} must be in [2, {x.size}]")
        b = np.stack([x[rng.choice(x.size, m, replace=False)] for _ in range(num_batches)])
        means.append(b.mean(axis=1))
        variances.append(b.var(axis=1))
    return {"means": means, "variances": variances,
            "std_mean": np.array([a.std() for a in means]), "std_var": np.array([a.std() for a in variances])}
