"""Networks built from :mod:`bnutils.layers`: a sequential container, an MLP with optional batch norm
(before or after the activation, bias on or off), and a small CNN. Taught in chapters 4 and 6."""
from __future__ import annotations

import numpy as np

from .layers import (ACTIVATIONS, BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU,
                     softmax_cross_entropy)

__all__ = ["Sequential", "mlp", "small_cnn"]


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
        bn_momentum=0.99, bn_epsilon=1e-3, dropout=0.0):
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

    A Flatten layer comes first, so (N, 28, 28) images can be passed directly.
    """
    if bn not in (None, "before", "after"):
        raise ValueError(f"bn must be None, 'before' or 'after', got {bn!r}")
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
            layers.append(BatchNorm(d_out, momentum=bn_momentum, epsilon=bn_epsilon))
        layers.append(ACTIVATIONS[activation]())
        if bn == "after":
            layers.append(BatchNorm(d_out, momentum=bn_momentum, epsilon=bn_epsilon))
        if dropout:
            layers.append(Dropout(dropout, rng=rng))
    layers.append(Dense(sizes[-2], sizes[-1], init=init, rng=rng))
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
