"""The batch-norm layer, with Keras 3 conventions by default and PyTorch's on request.

Keras (``BatchNorm(D)``): momentum 0.99 weights the *old* moving value, epsilon 1e-3, and the moving
variance is the biased batch variance. PyTorch (``BatchNorm.from_pytorch(C)``): momentum 0.1 weights
the *new* batch, eps 1e-5, the running variance is the unbiased batch variance (m / (m - 1)), and the
channel axis is 1 (NCHW). The batch itself is always normalized with the biased variance.
Taught in chapters 4 and 5.
"""
from __future__ import annotations

import numpy as np

from .bn import _check_float, _normalize_axis, batchnorm_backward, batchnorm_forward, batchnorm_inference

__all__ = ["Layer", "BatchNorm"]


def ema_inplace(moving, stat, keep):
    """In place: ``moving = keep * moving + (1 - keep) * stat`` (``keep`` is Keras' momentum).
    The moving-statistics update of every BN-like layer; taught in chapter 5."""
    moving *= keep
    moving += (1.0 - keep) * stat.astype(moving.dtype, copy=False)


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


class BatchNorm(Layer):
    """Batch normalization layer (Keras names and defaults).

    Args:
        num_features: D, the size of the feature axis.
        momentum: Keras convention, the weight of the old moving value (default 0.99).
        epsilon: added to the variance (default 1e-3, Keras).
        axis: the feature axis (default -1: (N, D) or NHWC).

    Attributes:
        gamma, beta: (D,) learned scale and shift, initialized to 1 and 0.
        moving_mean, moving_variance: (D,) statistics for inference, initialized to 0 and 1.
        dgamma, dbeta: set by :meth:`backward`.
        convention: "keras" or "pytorch".
    """

    def __init__(self, num_features, momentum=0.99, epsilon=1e-3, axis=-1, dtype=np.float32):
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"num_features must be a positive int, got {num_features!r}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
        if not epsilon >= 0:
            raise ValueError(f"epsilon must be >= 0, got {epsilon!r}")
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise ValueError(f"axis must be an int, got {axis!r}")
        self.num_features = int(num_features)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.axis = int(axis)
        self.convention = "keras"
        self.params["gamma"] = np.ones(num_features, dtype=dtype)
        self.params["beta"] = np.zeros(num_features, dtype=dtype)
        self.moving_mean = np.zeros(num_features, dtype=dtype)
        self.moving_variance = np.ones(num_features, dtype=dtype)
        self._cache = None

    @classmethod
    def from_pytorch(cls, num_features, momentum=0.1, eps=1e-5, axis=1, dtype=np.float32):
        """A layer that follows ``torch.nn.BatchNorm1d/2d`` exactly (momentum weights the new
        batch; unbiased running variance; channel axis 1)."""
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
        layer = cls(num_features, momentum=1.0 - momentum, epsilon=eps, axis=axis, dtype=dtype)
        layer.convention = "pytorch"
        layer.torch_momentum = float(momentum)
        return layer

    # names used by each framework
    gamma = property(lambda self: self.params["gamma"], lambda self, v: self._set("gamma", v))
    beta = property(lambda self: self.params["beta"], lambda self, v: self._set("beta", v))
    dgamma = property(lambda self: self.grads.get("gamma"))
    dbeta = property(lambda self: self.grads.get("beta"))
    running_mean = property(lambda self: self.moving_mean)
    running_var = property(lambda self: self.moving_variance)
    weight, bias = gamma, beta

    @property
    def batch_mean(self):
        """Mean of the last training batch (None before one); what the moving mean is updated with."""
        return None if self._cache is None else self._cache.mu

    @property
    def batch_variance(self):
        """Biased variance of the last training batch (None before one)."""
        return None if self._cache is None else self._cache.var

    def _set(self, name, value):
        value = _check_float(name, value)
        if value.shape != (self.num_features,):
            raise ValueError(f"{name} must have shape ({self.num_features},), got {value.shape}")
        self.params[name][...] = value

    def _check_x(self, x):
        x = _check_float("x", x)
        if x.ndim < 2:
            raise ValueError(f"x has shape {x.shape} but at least 2 dimensions are expected")
        ax = _normalize_axis(self.axis, x.ndim, x.shape)
        if x.shape[ax] != self.num_features:
            raise ValueError(
                f"x has shape {x.shape} with {x.shape[ax]} features on axis {self.axis}, "
                f"but the layer has num_features={self.num_features}"
            )
        return x

    def forward(self, x, training=False):
        """Normalize x: with batch statistics (and update the moving ones) if ``training``,
        else with the moving statistics. Returns y with the shape and dtype of x."""
        x = self._check_x(x)
        gamma, beta = self.params["gamma"], self.params["beta"]
        if not training:
            self._cache = None
            return batchnorm_inference(x, self.moving_mean, self.moving_variance, gamma, beta,
                                       eps=self.epsilon, axis=self.axis)
        if not np.all(np.isfinite(x)):
            bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
            raise FloatingPointError(
                f"x has {bad} non-finite values (nan or inf) in a training batch of shape {x.shape}; "
                "the moving statistics were left unchanged"
            )
        y, cache = batchnorm_forward(x, gamma, beta, eps=self.epsilon, axis=self.axis)
        m = cache.m
        var_for_moving = cache.var * (m / (m - 1)) if self.convention == "pytorch" else cache.var
        ema_inplace(self.moving_mean, cache.mu, self.momentum)
        ema_inplace(self.moving_variance, var_for_moving, self.momentum)
        self._cache = cache
        return y

    def backward(self, dy):
        """Backpropagate through the last training-mode forward. Returns dx; sets dgamma, dbeta."""
        if self._cache is None:
            raise RuntimeError("backward needs a preceding forward(x, training=True)")
        dx, dgamma, dbeta = batchnorm_backward(dy, self._cache)
        self.grads["gamma"], self.grads["beta"] = dgamma, dbeta
        return dx

    def __repr__(self):
        if self.convention == "pytorch":
            return (f"BatchNorm.from_pytorch({self.num_features}, momentum={self.torch_momentum}, "
                    f"eps={self.epsilon}, axis={self.axis})")
        return f"BatchNorm({self.num_features}, momentum={self.momentum}, epsilon={self.epsilon}, axis={self.axis})"
