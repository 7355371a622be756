"""Training diagnostics: per-layer activation statistics and saturation, gradient norms, update-to-weight
ratios, and a small helper to run a grid of training runs. Taught in chapter 4.

Everything works on a :class:`bnutils.models.Sequential` through its ``keep_activations`` record and
the layers' ``params`` / ``grads`` dicts. NumPy only; no plotting.
"""
from __future__ import annotations

import numpy as np

from .layers import Dense, LeakyReLU, ReLU, Sigmoid, Tanh
from .layer import BatchNorm
from .train import train

__all__ = ["saturation_fraction", "dead_fraction", "activation_stats", "gradient_norms", "TrainingMonitor",
           "run_grid", "final_val_acc", "largest_that_trains"]


def _saturated_mask(layer, a, tol):
    a = np.asarray(a)
    if a.size == 0:
        raise ValueError("a is empty; expected the outputs of an activation layer")
    if not 0.0 < tol < 0.5:
        raise ValueError(f"tol must be in (0, 0.5), got {tol!r}")
    if isinstance(layer, Sigmoid):
        return (a < tol) | (a > 1.0 - tol)
    if isinstance(layer, Tanh):
        return np.abs(a) > 1.0 - tol
    if isinstance(layer, (ReLU, LeakyReLU)):
        return a <= 0
    raise TypeError(f"layer is a {type(layer).__name__}; expected Sigmoid, Tanh, ReLU or LeakyReLU")


def saturation_fraction(layer, a, tol=0.02):
    """Fraction of the outputs ``a`` of an activation layer that sit where its slope is (nearly) zero.

    Args:
        layer: the activation layer that produced ``a`` (Sigmoid, Tanh, ReLU or LeakyReLU).
        a: its output, any shape.
        tol: Sigmoid: a < tol or a > 1 - tol (slope below ~tol); Tanh: |a| > 1 - tol;
            ReLU / LeakyReLU: a <= 0 (the unit is off for this example, slope 0 or alpha).

    Returns:
        A float in [0, 1].
    """
    return float(np.mean(_saturated_mask(layer, a, tol)))


def dead_fraction(layer, a, tol=0.02):
    """Fraction of *units* (entries of the last axis) saturated for every example of the batch:
    for ReLU, units that are off for the whole batch and so get no gradient at all.

    Args:
        layer, tol: as in :func:`saturation_fraction`.
        a: the layer's output, (N, D) or (N, ..., D).

    Returns:
        A float in [0, 1].
    """
    mask = _saturated_mask(layer, a, tol)
    if mask.ndim < 2:
        raise ValueError(f"a has shape {mask.shape}; expected (N, ..., D)")
    return float(np.mean(mask.reshape(-1, mask.shape[-1]).all(axis=0)))


def activation_stats(net, X, training=True, tol=0.02):
    """Mean, standard deviation and saturation fraction of every activation layer's output on a batch.

    Args:
        net: a Sequential. X: a batch (N, ...).
        training: run the forward in training mode (batch statistics in BN layers). Note that a
            training-mode forward also updates the moving statistics of BN layers.
        tol: see :func:`saturation_fraction`.

    Returns:
        A list with one dict per activation layer, in order: ``index`` (position in ``net.layers``),
        ``name``, ``mean``, ``std``, ``saturated`` (see :func:`saturation_fraction`), ``dead`` (see
        :func:`dead_fraction`) and ``values`` (the flattened outputs).
    """
    keep = net.keep_activations
    net.keep_activations = True
    try:
        net.forward(X, training=training)
        acts = net.activations
    finally:
        net.keep_activations = keep
    out = []
    for i, (layer, a) in enumerate(zip(net.layers, acts)):
        if isinstance(layer, (Sigmoid, Tanh, ReLU, LeakyReLU)):
            out.append({"index": i, "name": type(layer).__name__, "mean": float(a.mean()),
                        "std": float(a.std()), "saturated": saturation_fraction(layer, a, tol),
                        "dead": dead_fraction(layer, a, tol),
                        "values": np.asarray(a).ravel()})
    return out


def _dense_layers(net):
    return [layer for layer in net.layers if isinstance(layer, Dense)]


def gradient_norms(net, name="W"):
    """Frobenius norm of the gradient of ``name`` in every Dense layer, first layer first.

    Needs a preceding backward pass (for example ``net.loss_and_grads(X, y)``).

    Returns:
        A float array of shape (number of Dense layers,).
    """
    dense = _dense_layers(net)
    if not dense:
        raise ValueError("net has no Dense layers")
    missing = [i for i, layer in enumerate(dense) if name not in layer.grads]
    if missing:
        raise RuntimeError(f"Dense layers {missing} have no gradient {name!r}; run a backward pass first")
    return np.array([float(np.linalg.norm(layer.grads[name])) for layer in dense])


class TrainingMonitor:
    """A ``train`` callback that records, per Dense layer and step, the gradient norm of W and the
    update-to-weight ratio ||W_t - W_{t-1}|| / ||W_{t-1}||.

    Create it *before* training (it keeps a copy of the initial weights), pass it as
    ``train(..., callback=monitor)``.

    Attributes (after training, as arrays of shape (steps, number of Dense layers)):
        grad_norm, update_ratio; ``steps`` the step numbers; ``bn_gamma_mean``: the mean |gamma| of
        each BN layer per step (shape (steps, number of BN layers), empty without BN).
    """

    def __init__(self, net):
        self.net = net
        self._dense = _dense_layers(net)
        if not self._dense:
            raise ValueError("net has no Dense layers to monitor")
        self._bn = [layer for layer in net.layers if isinstance(layer, BatchNorm)]
        self._prev = [layer.params["W"].copy() for layer in self._dense]
        self._steps, self._g, self._r, self._gamma = [], [], [], []

    def __call__(self, step, net, loss):
        if net is not self.net:
            raise ValueError("this monitor was created for a different network")
        g, r = [], []
        for k, layer in enumerate(self._dense):
            W = layer.params["W"]
            g.append(float(np.linalg.norm(layer.grads["W"])))
            r.append(float(np.linalg.norm(W - self._prev[k]) / max(np.linalg.norm(self._prev[k]), 1e-30)))
            self._prev[k][...] = W
        self._steps.append(step)
        self._g.append(g)
        self._r.append(r)
        self._gamma.append([float(np.abs(b.gamma).mean()) for b in self._bn])

    steps = property(lambda self: np.array(self._steps))
    grad_norm = property(lambda self: np.array(self._g).reshape(len(self._steps), len(self._dense)))
    update_ratio = property(lambda self: np.array(self._r).reshape(len(self._steps), len(self._dense)))
    bn_gamma_mean = property(lambda self: np.array(self._gamma).reshape(len(self._steps), len(self._bn)))


def run_grid(build, settings, X, y, **train_kwargs):
    """Train one network per setting and collect the histories.

    Args:
        build: ``build(setting) -> (net, optimizer)``; a setting is any hashable value (for
            example a tuple ``(lr, bn)``).
        settings: the settings to run, in order.
        X, y: training data; ``train_kwargs`` go to :func:`bnutils.train.train` (give
            ``num_steps``, ``X_val``, ``y_val``, ``eval_every``, ``seed`` ...).

    Returns:
        A dict ``{setting: History}`` in the order of ``settings``.
    """
    settings = list(settings)
    if len(set(settings)) != len(settings):
        raise ValueError(f"settings must be distinct, got {settings!r}")
    out = {}
    for s in settings:
        net, opt = build(s)
        out[s] = train(net, X, y, opt, **train_kwargs)
    return out


def final_val_acc(hist):
    """The last validation accuracy of a History, or 0.0 if the run diverged or never evaluated."""
    if hist["diverged"] or not hist["val_acc"]:
        return 0.0
    return float(hist["val_acc"][-1])


def largest_that_trains(values, histories, min_acc):
    """The largest value whose run did not diverge and ended with validation accuracy >= min_acc.

    Args:
        values: the swept values (for example learning rates), any order.
        histories: one History per value, same order.
        min_acc: the accuracy a run must reach to count as "trains".

    Returns:
        The largest such value, or None if no run qualifies.
    """
    values = list(values)
    histories = list(histories)
    if len(values) != len(histories):
        raise ValueError(f"{len(values)} values but {len(histories)} histories")
    ok = [v for v, h in zip(values, histories) if final_val_acc(h) >= min_acc]
    return max(ok) if ok else None

