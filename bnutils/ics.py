"""Internal covariate shift, measured two ways, and the "noisy batch norm" of Santurkar et al. (2018).
Taught in chapter 7.

- :class:`IIDNoise` and :func:`iid_noisy_bn_mlp`: after every batch-norm layer, perturb *each activation
  of each example* with i.i.d. noise whose mean and variance are redrawn at every training step
  (the protocol of Santurkar et al. 2018, section 2.1).
- :func:`gradient_ics`: their gradient-based measure of internal covariate shift, the change of one
  layer's weight gradient when the layers before it take their update first.

Functions that probe a network leave it as they found it (parameters and moving statistics). This module
imports only NumPy.
"""
from __future__ import annotations

import numpy as np

from .batchnorm import BatchNorm
from .models import frozen_statistics, insert_after, mlp
from .nn import Dense, Layer

__all__ = ["IIDNoise", "iid_noisy_bn_mlp", "gradient_ics"]


class IIDNoise(Layer):
    """Additive noise on every activation of every example, from a distribution that changes every step.

    In training, each forward pass first draws, for every unit j, a mean ``mu_j ~ U(-mean_max, mean_max)``
    and a standard deviation ``tau_j ~ U(std_min, std_max)``, then adds independent noise
    ``n_ij ~ N(mu_j, tau_j**2)`` to every entry x[i, j]. The layer inputs after it thus have a non-zero,
    time-varying mean and a non-unit, time-varying variance, and no two examples share their noise.
    In inference the layer adds the noise's expected value, 0: it is the identity.

    Args:
        num_features: D.
        mean_max: >= 0, range of the per-step mean.
        std_min, std_max: 0 <= std_min <= std_max, range of the per-step standard deviation.
        rng: a ``numpy.random.Generator`` or an int seed.

    Shapes: x (N, D) -> y (N, D). ``last_mean`` and ``last_std`` keep the most recent draw (D,).
    """

    def __init__(self, num_features, mean_max=1.0, std_min=0.5, std_max=1.5, rng=None):
        super().__init__()
        if not (np.isfinite(mean_max) and mean_max >= 0):
            raise ValueError(f"mean_max must be a finite number >= 0, got {mean_max!r}")
        if not (np.isfinite(std_max) and 0 <= std_min <= std_max):
            raise ValueError(f"need 0 <= std_min <= std_max (finite), got std_min={std_min!r}, std_max={std_max!r}")
        if int(num_features) < 1:
            raise ValueError(f"num_features must be >= 1, got {num_features!r}")
        self.num_features = int(num_features)
        self.mean_max, self.std_min, self.std_max = float(mean_max), float(std_min), float(std_max)
        self.rng = np.random.default_rng(rng)
        self.last_mean = self.last_std = None

    def forward(self, x, training=False):
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(f"x has shape {x.shape} but (N, {self.num_features}) is expected")
        if not training:
            return x
        mu = self.rng.uniform(-self.mean_max, self.mean_max, self.num_features)
        tau = self.rng.uniform(self.std_min, self.std_max, self.num_features)
        self.last_mean, self.last_std = mu, tau
        return x + (mu + tau * self.rng.standard_normal(x.shape)).astype(x.dtype)

    def backward(self, dy):
        return dy

    def __repr__(self):
        return (f"IIDNoise({self.num_features}, mean_max={self.mean_max}, "
                f"std in [{self.std_min}, {self.std_max}])")


def iid_noisy_bn_mlp(sizes, mean_max=1.0, std_min=0.5, std_max=1.5, activation="relu", seed=0, **kwargs):
    """``mlp(sizes, bn="before")`` with an :class:`IIDNoise` right after every batch-norm layer.

    Dense -> BN -> IIDNoise -> activation, the "noisy BatchNorm" network of Santurkar et al. (2018).
    Extra keyword arguments go to :func:`bnutils.models.mlp`. Returns a :class:`Sequential`.
    """
    base = mlp(sizes, activation=activation, bn="before", seed=seed, **kwargs)
    rng = np.random.default_rng(seed + 20_000)
    return insert_after(base, BatchNorm, lambda bn: IIDNoise(bn.num_features, mean_max, std_min, std_max, rng=rng))


def _grads(net, X, y):
    """Training-mode gradients of the mean loss on (X, y), moving statistics left untouched."""
    with frozen_statistics(net):
        net.loss_and_grads(X, y)
    return [layer.grads[name].astype(np.float64) for layer, name in net.parameters()]


def gradient_ics(net, X, y, layer_index, lr):
    """Santurkar et al.'s gradient-based internal covariate shift of one Dense layer.

    With G the gradient of the loss on (X, y) with respect to the weights W of ``net.layers[layer_index]``,
    and G' the same gradient after every parameter of the layers *before* it has taken one SGD step
    (rate ``lr``, on the same batch), return how much G moved: the change a layer sees because the
    layers feeding it were updated. The network is restored afterwards.

    Args:
        net: a :class:`Sequential`.
        X, y: one batch, (N, ...) and (N,).
        layer_index: index into ``net.layers`` of a Dense layer.
        lr: the SGD learning rate of the earlier layers' update (> 0).

    Returns:
        dict with ``l2`` ||G - G'||, ``rel`` ||G - G'|| / ||G||, ``cosine`` cos(G, G'), ``grad_norm`` ||G||.
    """
    n = len(net.layers)
    if not isinstance(layer_index, (int, np.integer)) or not -n <= layer_index < n:
        raise IndexError(f"layer_index {layer_index!r} is out of range for a network of {n} layers")
    layer_index = int(layer_index) % n
    target = net.layers[layer_index]
    if not isinstance(target, Dense):
        raise ValueError(f"net.layers[{layer_index}] is {target!r} but a Dense layer is expected")
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    pairs = net.parameters()
    k = [i for i, (lay, name) in enumerate(pairs) if lay is target and name == "W"][0]
    earlier = {id(lay) for lay in net.layers[:layer_index]}
    saved = [lay.params[name].copy() for lay, name in pairs]
    try:
        g0 = _grads(net, X, y)
        for (lay, name), g in zip(pairs, g0):
            if id(lay) in earlier:
                lay.params[name][...] -= np.asarray(lr * g, lay.params[name].dtype)
        g1 = _grads(net, X, y)
    finally:
        for (lay, name), v in zip(pairs, saved):
            lay.params[name][...] = v
    G, G1 = g0[k].ravel(), g1[k].ravel()
    l2, norm = float(np.linalg.norm(G - G1)), float(np.linalg.norm(G))
    cos = float(G @ G1 / max(norm * np.linalg.norm(G1), 1e-300))
    return {"l2": l2, "rel": l2 / max(norm, 1e-300), "cosine": cos, "grad_norm": norm}
