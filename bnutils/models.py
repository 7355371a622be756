"""Networks built from :mod:`bnutils.nn` and :mod:`bnutils.batchnorm`: a sequential container, an MLP
with optional batch norm (or any normalization layer, before or after the activation, bias on or off),
and a small CNN. Taught in chapters 4 and 6.

Saving and restoring a network's state, one API for each kind of state:

- trainable parameters: :func:`get_params` -> list of arrays, :func:`set_params` writes it back;
- inference statistics of the BatchNorm layers: :func:`get_statistics` -> ``[(mean, var), ...]``,
  :func:`set_statistics` writes it back. The estimators of :mod:`bnutils.inference`
  (``population_statistics``, ``exact_statistics``) return this same format.
- :func:`frozen_statistics` is the context manager for measurements: training-mode passes inside it
  leave every moving statistic as it was (also BatchRenorm's and GhostBatchNorm's). With
  ``params=True`` it restores the parameters too.
"""
from __future__ import annotations

import contextlib

import numpy as np

from .batchnorm import BatchNorm
from .nn import ACTIVATIONS, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, softmax_cross_entropy

__all__ = ["Sequential", "mlp", "small_cnn", "insert_after", "bn_layers", "get_params", "set_params", "get_statistics",
           "set_statistics", "frozen_statistics", "layer_output"]


class Sequential:
    """Layers applied in order. ``forward`` keeps each layer's output in ``activations`` when
    ``keep_activations`` is true (for the diagnostics of chapter 4)."""

    def __init__(self, layers):
        self.layers = list(layers)
        self.keep_activations = False
        self.activations = []

    def forward(self, x, training=False):
        acts = []
        for layer in self.layers:
            x = layer.forward(x, training=training)
            if self.keep_activations:
                acts.append(x)
        self.activations = acts
        return x

    __call__ = forward

    def backward(self, dy):
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def parameters(self):
        """(layer, name) pairs for every parameter: ``layer.params[name]``, ``layer.grads[name]``."""
        return [(layer, name) for layer in self.layers for name in layer.params]

    def num_params(self):
        """Number of trainable values (moving statistics are not counted)."""
        return int(sum(layer.params[n].size for layer, n in self.parameters()))

    def loss_and_grads(self, X, y):
        """Training-mode forward, mean cross-entropy, backward. Returns (loss, logits)."""
        logits = self.forward(X, training=True)
        loss, dlogits = softmax_cross_entropy(logits, y)
        self.backward(dlogits)
        return loss, logits

    def predict(self, X, batch_size=1000):
        """Class predictions in inference mode."""
        return np.concatenate([self.forward(X[i:i + batch_size]).argmax(axis=1)
                               for i in range(0, len(X), batch_size)])

    def __repr__(self):
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n  {inner}\n])"


def mlp(sizes, activation="relu", bn=None, use_bias=None, init=None, seed=0,
        bn_momentum=0.99, bn_epsilon=1e-3, dropout=0.0, norm_layer=None):
    """A fully connected network ``sizes[0] -> ... -> sizes[-1]`` (the last layer gives logits).

    Args:
        sizes: layer widths, e.g. ``[784, 100, 100, 10]``.
        activation: "relu", "leaky_relu", "sigmoid", "tanh" or "elu".
        bn: None (no batch norm), "before" (Dense -> BN -> activation, as in the paper) or
            "after" (Dense -> activation -> BN).
        use_bias: bias in the hidden Dense layers; default True without BN or with "after",
            False with "before" (beta plays its role).
        init: "he", "glorot" or a number (weight standard deviation); default "he" for ReLU-like
            activations, "glorot" for sigmoid and tanh.
        seed: seeds the weights (and dropout masks).
        dropout: dropout rate after each hidden activation (0 for none).
        norm_layer: a factory ``norm_layer(width) -> Layer`` used instead of BatchNorm, e.g.
            ``bnutils.norms.LayerNorm``, ``lambda d: GroupNorm(d, 4)`` or ``bnutils.norms.BatchRenorm``;
            it goes where ``bn`` says (default "before"). bn_momentum and bn_epsilon are then unused.

    A Flatten layer comes first, so (N, 28, 28) images can be passed directly.
    """
    if bn not in (None, "before", "after"):
        raise ValueError(f"bn must be None, 'before' or 'after', got {bn!r}")
    if norm_layer is not None and not callable(norm_layer):
        raise TypeError(f"norm_layer must be a callable width -> Layer (a class such as LayerNorm), got {norm_layer!r}")
    if norm_layer is None:
        def norm_layer(d):
            return BatchNorm(d, momentum=bn_momentum, epsilon=bn_epsilon)
    elif bn is None:
        bn = "before"
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {sizes!r}")
    if use_bias is None:
        use_bias = bn != "before"
    if init is None:
        init = "glorot" if activation in ("sigmoid", "tanh") else "he"
    rng = np.random.default_rng(seed)
    layers = [Flatten()]
    for d_in, d_out in zip(sizes[:-2], sizes[1:-1]):
        layers.append(Dense(d_in, d_out, use_bias=use_bias, init=init, rng=rng))
        if bn == "before":
            layers.append(norm_layer(d_out))
        layers.append(ACTIVATIONS[activation]())
        if bn == "after":
            layers.append(norm_layer(d_out))
        if dropout:
            layers.append(Dropout(dropout, rng=rng))
    layers.append(Dense(sizes[-2], sizes[-1], init=init, rng=rng))
    return Sequential(layers)


def insert_after(net, kind, make):
    """A new :class:`Sequential` with ``make(layer)`` right after every layer of ``net`` that is a ``kind``
    (e.g. a noise layer after every BatchNorm). The existing layers are shared, not copied."""
    layers = []
    for layer in net.layers:
        layers.append(layer)
        if isinstance(layer, kind):
            layers.append(make(layer))
    return Sequential(layers)


def small_cnn(channels=(8, 16), num_classes=10, bn=False, seed=0, in_channels=1, bn_momentum=0.99, size=28):
    """A small CNN for size x size images (28 for MNIST), NHWC: for each c in ``channels``, Conv3x3(c) -> [BN] -> ReLU ->
    MaxPool2x2; then Flatten and a Dense layer to ``num_classes`` logits.

    Input: (N, 28, 28) or (N, 28, 28, 1). With ``bn=True`` the convolutions have no bias.
    """
    rng = np.random.default_rng(seed)
    layers = [_AddChannel()]
    c_in = in_channels
    for c in channels:
        layers.append(Conv2D(c_in, c, 3, padding="same", use_bias=not bn, rng=rng))
        if bn:
            layers.append(BatchNorm(c, momentum=bn_momentum))
        layers += [ReLU(), MaxPool2D()]
        c_in = c
    side = size // 2 ** len(channels)
    layers += [Flatten(), Dense(c_in * side * side, num_classes, rng=rng)]
    return Sequential(layers)


class _AddChannel(Flatten):
    """(N, H, W) -> (N, H, W, 1); leaves 4-D input alone."""

    def forward(self, x, training=False):
        self._shape = x.shape
        return x[..., None] if x.ndim == 3 else x

    def __repr__(self):
        return "AddChannel()"


# --------------------------------------------------------------------------- saving and restoring state
def bn_layers(net):
    """The :class:`BatchNorm` layers of a ``Sequential`` network (GhostBatchNorm included), in order."""
    return [layer for layer in net.layers if isinstance(layer, BatchNorm)]


def _walk(layers):
    """Every layer, and the layers inside containers (a ``branch`` or ``layers`` attribute, as in
    :class:`bnutils.deep.Residual`), depth first."""
    for layer in layers:
        yield layer
        inner = getattr(layer, "branch", layer)
        sub = getattr(inner, "layers", None)
        if isinstance(sub, list):
            yield from _walk(sub)


def all_layers(net):
    """Every layer of ``net``, residual branches expanded (depth first), the containers included."""
    return list(_walk(net.layers))


def _stateful_layers(net):
    """Every layer that keeps moving statistics (BatchNorm and its subclasses, BatchRenorm), also inside
    residual branches."""
    return [layer for layer in _walk(net.layers) if hasattr(layer, "moving_mean") and hasattr(layer, "moving_variance")]


def get_statistics(net):
    """Copies of every BN layer's (moving_mean, moving_variance), as a list of pairs."""
    return [(layer.moving_mean.copy(), layer.moving_variance.copy()) for layer in bn_layers(net)]


def set_statistics(net, stats):
    """Write ``[(mean, var), ...]`` (one pair per BN layer, in order) into the network's BN layers.
    Everything is checked before anything is written."""
    layers = bn_layers(net)
    if len(stats) != len(layers):
        raise ValueError(f"the network has {len(layers)} BN layers but {len(stats)} (mean, var) pairs were given")
    for k, (layer, (mean, var)) in enumerate(zip(layers, stats)):
        mean, var = np.asarray(mean), np.asarray(var)
        if mean.shape != layer.moving_mean.shape or var.shape != layer.moving_variance.shape:
            raise ValueError(f"BN layer {k} has {layer.num_features} features but mean has shape "
                             f"{mean.shape} and var has shape {var.shape}")
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(var))) or np.any(var < 0):
            raise ValueError(f"BN layer {k}: mean must be finite and var finite and >= 0")
    for layer, (mean, var) in zip(layers, stats):
        layer.moving_mean[...] = mean
        layer.moving_variance[...] = var


@contextlib.contextmanager
def frozen_statistics(net, params=False):
    """Context manager: the moving statistics of every layer of ``net`` that keeps them (BatchNorm,
    GhostBatchNorm, BatchRenorm, also inside residual branches) are restored on exit, so training-mode forward passes made for
    measurement leave no trace. With ``params=True`` the parameters are restored too."""
    saved = [(lay, lay.moving_mean.copy(), lay.moving_variance.copy()) for lay in _stateful_layers(net)]
    saved_params = get_params(net) if params else None
    try:
        yield net
    finally:
        for lay, mm, mv in saved:
            lay.moving_mean[...] = mm
            lay.moving_variance[...] = mv
        if params:
            set_params(net, saved_params)


def layer_output(net, X, index, training=True):
    """The output of ``net.layers[index]`` for input X (training mode: batch statistics), without
    changing the moving statistics. Returns an array, e.g. (N, D) for a hidden layer."""
    if not -len(net.layers) <= index < len(net.layers):
        raise IndexError(f"index {index} is out of range for a network of {len(net.layers)} layers")
    index %= len(net.layers)
    with frozen_statistics(net):
        x = X
        for layer in net.layers[:index + 1]:
            x = layer.forward(x, training=training)
    return x


def get_params(net):
    """Copies of every parameter of ``net``, in ``net.parameters()`` order (a list of arrays)."""
    return [layer.params[name].copy() for layer, name in net.parameters()]


def set_params(net, values):
    """Write ``values`` (as returned by :func:`get_params`) back into ``net`` in place."""
    pairs = net.parameters()
    if len(values) != len(pairs):
        raise ValueError(f"got {len(values)} arrays but the network has {len(pairs)} parameters")
    for (layer, name), v in zip(pairs, values):
        if layer.params[name].shape != np.shape(v):
            raise ValueError(f"{name} has shape {layer.params[name].shape} but the value has shape {np.shape(v)}")
    for (layer, name), v in zip(pairs, values):
        layer.params[name][...] = v
