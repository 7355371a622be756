"""Training diagnostics: per-layer activation statistics and saturation, gradient norms, update-to-weight
ratios, and smoothing of noisy curves. Taught in chapters 4 and 6. (Grids of training runs:
:func:`bnutils.train.run_grid`.)

Everything works on a :class:`bnutils.models.Sequential` through its ``keep_activations`` record and
the layers' ``params`` / ``grads`` dicts. NumPy only; no plotting.
"""
from __future__ import annotations

import numpy as np

from .batchnorm import BatchNorm
from .nn import Dense, LeakyReLU, ReLU, Sigmoid, Tanh

__all__ = ["saturation_fraction", "dead_fraction", "activation_stats", "gradient_norms", "TrainingMonitor",
           "smooth"]


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


def smooth(values, window=20):
    """Moving average of a curve (e.g. the per-step loss), for plotting.

    Args:
        values: (T,) the curve; non-finite values (a diverged run) are kept as they are.
        window: the number of points averaged (>= 1); shrinks at the start so nothing is dropped.

    Returns:
        (T,) float64 array; entry t is the mean of ``values[max(0, t - window + 1) : t + 1]``.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"values has shape {values.shape} but a 1-D curve (T,) is expected")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    if values.size == 0:
        return values.copy()
    c = np.concatenate([[0.0], np.cumsum(values)])
    t = np.arange(1, values.size + 1)
    lo = np.maximum(t - int(window), 0)
    return (c[t] - c[lo]) / (t - lo)
