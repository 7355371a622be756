"""Layers for small networks: dense, activations, convolution, pooling, flatten, dropout, and the loss.

Every layer has ``forward(x, training)`` and ``backward(dy) -> dx``; parameters and gradients are
in the dicts ``params`` and ``grads``. Images are NHWC (feature axis last), as in Keras.
Batch norm lives in :mod:`bnutils.batchnorm` (it builds on :class:`Layer`). Taught in chapter 4
(dense networks) and chapter 6 (convolutional networks).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "Layer", "Dense", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "ELU", "Flatten",
    "Dropout", "Conv2D", "MaxPool2D", "GlobalAvgPool2D", "softmax", "softmax_cross_entropy",
    "init_weights", "ACTIVATIONS",
]


class Layer:
    """Base class: ``forward(x, training)``, ``backward(dy)``; parameters and their gradients
    live in the dicts ``params`` and ``grads`` under the same names, updated in place by optimizers."""

    def __init__(self):
        self.params = {}
        self.grads = {}

    def forward(self, x, training=False):  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, dy):  # pragma: no cover - interface
        raise NotImplementedError

    def __call__(self, x, training=False):
        return self.forward(x, training=training)


def init_weights(fan_in, fan_out, shape, init, rng, dtype=np.float32):
    """Initial weights: ``"he"`` (std sqrt(2/fan_in)), ``"glorot"`` (std sqrt(2/(fan_in+fan_out)))
    or a number, used as the standard deviation (the CS231n weight-scale experiment)."""
    if isinstance(init, str):
        if init == "he":
            std = np.sqrt(2.0 / fan_in)
        elif init in ("glorot", "xavier"):
            std = np.sqrt(2.0 / (fan_in + fan_out))
        else:
            raise ValueError(f"init must be 'he', 'glorot' or a number, got {init!r}")
    else:
        std = float(init)
        if not std > 0:
            raise ValueError(f"a numeric init is a standard deviation and must be > 0, got {init!r}")
    return (rng.standard_normal(shape) * std).astype(dtype)


class Dense(Layer):
    """Fully connected layer ``y = x @ W + b``.

    Args:
        in_features, out_features: D_in and D_out.
        use_bias: add b (drop it when batch norm follows: beta takes its role).
        init: see :func:`init_weights`.
        rng: a ``numpy.random.Generator`` (or an int seed).

    Shapes: x (N, D_in) -> y (N, D_out); W (D_in, D_out), b (D_out,).
    """

    def __init__(self, in_features, out_features, use_bias=True, init="he", rng=None, dtype=np.float32):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.params["W"] = init_weights(in_features, out_features, (in_features, out_features), init, rng, dtype)
        if use_bias:
            self.params["b"] = np.zeros(out_features, dtype=dtype)
        self.use_bias = use_bias

    def forward(self, x, training=False):
        if x.ndim != 2 or x.shape[1] != self.params["W"].shape[0]:
            raise ValueError(f"x has shape {x.shape} but (N, {self.params['W'].shape[0]}) is expected")
        self._x = x
        y = x @ self.params["W"]
        if self.use_bias:
            y += self.params["b"]
        return y

    def backward(self, dy):
        self.grads["W"] = self._x.T @ dy
        if self.use_bias:
            self.grads["b"] = dy.sum(axis=0)
        return dy @ self.params["W"].T

    def __repr__(self):
        d_in, d_out = self.params["W"].shape
        return f"Dense({d_in}, {d_out}, use_bias={self.use_bias})"


class ReLU(Layer):
    def forward(self, x, training=False):
        self._mask = x > 0
        return x * self._mask

    def backward(self, dy):
        return dy * self._mask

    def __repr__(self):
        return "ReLU()"


class LeakyReLU(Layer):
    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha

    def forward(self, x, training=False):
        self._slope = np.where(x > 0, x.dtype.type(1), x.dtype.type(self.alpha))
        return x * self._slope

    def backward(self, dy):
        return dy * self._slope

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"


class Sigmoid(Layer):
    def forward(self, x, training=False):
        self._y = 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic function
        return self._y

    def backward(self, dy):
        return dy * self._y * (1.0 - self._y)

    def __repr__(self):
        return "Sigmoid()"


class Tanh(Layer):
    def forward(self, x, training=False):
        self._y = np.tanh(x)
        return self._y

    def backward(self, dy):
        return dy * (1.0 - self._y ** 2)

    def __repr__(self):
        return "Tanh()"


class ELU(Layer):
    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x, training=False):
        self._x = x
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def backward(self, dy):
        x = self._x
        return dy * np.where(x > 0, 1.0, self.alpha * np.exp(np.minimum(x, 0))).astype(dy.dtype)

    def __repr__(self):
        return f"ELU(alpha={self.alpha})"


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh, "elu": ELU}


class Flatten(Layer):
    """(N, ...) -> (N, prod(...))."""

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        return dy.reshape(self._shape)

    def __repr__(self):
        return "Flatten()"


class Dropout(Layer):
    """Inverted dropout: in training, zero each activation with probability ``rate`` and scale the
    rest by 1/(1-rate); identity at inference. It masks *activations*, not weights."""

    def __init__(self, rate, rng=None):
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"rate must be in [0, 1), got {rate!r}")
        self.rate = rate
        self.rng = np.random.default_rng(rng)

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        keep = 1.0 - self.rate
        self._mask = (self.rng.random(x.shape) < keep).astype(x.dtype) / x.dtype.type(keep)
        return x * self._mask

    def backward(self, dy):
        return dy if self._mask is None else dy * self._mask

    def __repr__(self):
        return f"Dropout({self.rate})"


class Conv2D(Layer):
    """2-D convolution, NHWC, stride 1, ``padding="same"`` or ``"valid"``, via im2col and one matmul.

    Shapes: x (N, H, W, C) -> y (N, H', W', F); W (kh, kw, C, F) as in Keras; b (F,).
    """

    def __init__(self, in_channels, filters, kernel_size=3, padding="same", use_bias=True, init="he",
                 rng=None, dtype=np.float32):
        super().__init__()
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
        rng = np.random.default_rng(rng)
        k = int(kernel_size)
        fan_in = k * k * in_channels
        self.params["W"] = init_weights(fan_in, k * k * filters, (k, k, in_channels, filters), init, rng, dtype)
        if use_bias:
            self.params["b"] = np.zeros(filters, dtype=dtype)
        self.k, self.padding, self.use_bias = k, padding, use_bias

    def _pad(self, x):
        if self.padding == "valid":
            return x
        p = self.k // 2
        return np.pad(x, ((0, 0), (p, self.k - 1 - p), (p, self.k - 1 - p), (0, 0)))

    def forward(self, x, training=False):
        W = self.params["W"]
        if x.ndim != 4 or x.shape[3] != W.shape[2]:
            raise ValueError(f"x has shape {x.shape} but (N, H, W, {W.shape[2]}) is expected")
        xp = self._pad(x)
        win = sliding_window_view(xp, (self.k, self.k), axis=(1, 2))  # (N, H', W', C, kh, kw)
        n, ho, wo = win.shape[:3]
        cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(n * ho * wo, -1)  # (N*H'*W', kh*kw*C)
        self._cols, self._xshape, self._xpshape = cols, x.shape, xp.shape
        y = cols @ W.reshape(-1, W.shape[3])
        if self.use_bias:
            y += self.params["b"]
        return y.reshape(n, ho, wo, -1)

    def backward(self, dy):
        W = self.params["W"]
        k = self.k
        n, ho, wo, f = dy.shape
        dy2 = dy.reshape(-1, f)
        self.grads["W"] = (self._cols.T @ dy2).reshape(W.shape)
        if self.use_bias:
            self.grads["b"] = dy2.sum(axis=0)
        dcols = (dy2 @ W.reshape(-1, f).T).reshape(n, ho, wo, k, k, -1)
        dxp = np.zeros(self._xpshape, dtype=dy.dtype)
        for i in range(k):
            for j in range(k):
                dxp[:, i:i + ho, j:j + wo, :] += dcols[:, :, :, i, j, :]
        if self.padding == "valid":
            return dxp
        p = k // 2
        h, w = self._xshape[1:3]
        return dxp[:, p:p + h, p:p + w, :]

    def __repr__(self):
        k, _, c, f = self.params["W"].shape
        return f"Conv2D({c}, {f}, kernel_size={k}, padding={self.padding!r}, use_bias={self.use_bias})"


class MaxPool2D(Layer):
    """2x2 max pooling with stride 2, NHWC (H and W must be even)."""

    def forward(self, x, training=False):
        n, h, w, c = x.shape
        if h % 2 or w % 2:
            raise ValueError(f"x has shape {x.shape}; MaxPool2D needs even H and W")
        blocks = x.reshape(n, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4).reshape(n, h // 2, w // 2, c, 4)
        self._arg = blocks.argmax(axis=-1)
        self._shape = x.shape
        return np.take_along_axis(blocks, self._arg[..., None], axis=-1)[..., 0]

    def backward(self, dy):
        n, h, w, c = self._shape
        d = np.zeros(dy.shape + (4,), dtype=dy.dtype)
        np.put_along_axis(d, self._arg[..., None], dy[..., None], axis=-1)
        return d.reshape(n, h // 2, w // 2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(n, h, w, c)

    def __repr__(self):
        return "MaxPool2D()"


class GlobalAvgPool2D(Layer):
    """(N, H, W, C) -> (N, C), the mean over H and W."""

    def forward(self, x, training=False):
        self._shape = x.shape
        return x.mean(axis=(1, 2))

    def backward(self, dy):
        n, h, w, c = self._shape
        return np.broadcast_to(dy[:, None, None, :] / (h * w), self._shape).copy()

    def __repr__(self):
        return "GlobalAvgPool2D()"


def softmax(logits):
    """Row-wise softmax, computed stably. logits (N, K) -> probabilities (N, K)."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of integer labels under softmax(logits), and its gradient.

    Args:
        logits: (N, K) scores.
        y: (N,) integer labels in [0, K).

    Returns:
        (loss, dlogits): a float and the (N, K) gradient of the mean loss.
    """
    y = np.asarray(y)
    if y.shape != (logits.shape[0],):
        raise ValueError(f"logits have shape {logits.shape} but y has shape {y.shape}; expected ({logits.shape[0]},)")
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -float(logp[np.arange(n), y].mean())
    d = np.exp(logp)
    d[np.arange(n), y] -= 1
    d /= n
    return loss, d
