"""The batch-norm layer, with Keras 3 conventions by default and PyTorch's on request.

Keras (``BatchNorm(D)``): momentum 0.99 weights the *old* moving value, epsilon 1e-3, and the moving
variance is the biased batch variance. PyTorch (``BatchNorm.from_pytorch(C)``): momentum 0.1 weights
the *new* batch, eps 1e-5, the running variance is the unbiased batch variance (m / (m - 1)), and the
channel axis is 1 (NCHW). The batch itself is always normalized with the biased variance.
``GhostBatchNorm`` (statistics from ghost batches) is the same layer with smaller batches for the
statistics. Taught in chapters 4 and 5 (GhostBatchNorm in chapter 7).
"""
from __future__ import annotations

import numpy as np

from ._validation import (check_eps, check_finite_batch, check_float, check_momentum, check_positive_int,
                          normalize_axis)
from .bn import batchnorm_backward, batchnorm_forward, batchnorm_inference
from .nn import Layer

__all__ = ["BatchNorm", "GhostBatchNorm", "ema_inplace"]


def ema_inplace(moving, stat, keep):
    """In place: ``moving = keep * moving + (1 - keep) * stat`` (``keep`` is Keras' momentum).

    The one moving-average update of bnutils: BatchNorm, GhostBatchNorm, norms.BatchRenorm and
    inference.ema_update / ema_trace all call it. Taught in chapter 5."""
    moving *= keep
    moving += (1.0 - keep) * stat.astype(moving.dtype, copy=False)


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
        num_features = check_positive_int(num_features, "num_features")
        momentum = check_momentum(momentum, hint=" (for PyTorch's momentum=None, the cumulative average, use "
                                  "BatchNorm.from_pytorch(num_features, momentum=None))")
        epsilon = check_eps(epsilon, "epsilon")
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
        self.num_batches_tracked = 0   # training batches seen (PyTorch's counter)
        self._cumulative = False         # PyTorch's momentum=None: a plain average of every batch so far
        self._cache = None

    @classmethod
    def from_pytorch(cls, num_features, momentum=0.1, eps=1e-5, axis=1, dtype=np.float32):
        """A layer that follows ``torch.nn.BatchNorm1d/2d`` exactly (momentum weights the new
        batch; unbiased running variance; channel axis 1). ``momentum=None`` is PyTorch's cumulative
        moving average: after t batches the running statistics are the plain mean of the t batch values."""
        cumulative = momentum is None
        if not cumulative:
            momentum = check_momentum(momentum)
        layer = cls(num_features, momentum=0.0 if cumulative else 1.0 - momentum, epsilon=eps, axis=axis,
                    dtype=dtype)
        layer.convention = "pytorch"
        layer.torch_momentum = None if cumulative else float(momentum)
        layer._cumulative = cumulative
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
        value = check_float(name, value)
        if value.shape != (self.num_features,):
            raise ValueError(f"{name} must have shape ({self.num_features},), got {value.shape}")
        self.params[name][...] = value

    def _check_x(self, x):
        x = check_float("x", x)
        if x.ndim < 2:
            raise ValueError(f"x has shape {x.shape} but at least 2 dimensions are expected")
        ax = normalize_axis(self.axis, x.ndim, x.shape)
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
        check_finite_batch(x)
        y, cache = batchnorm_forward(x, gamma, beta, eps=self.epsilon, axis=self.axis)
        m = cache.m
        var_for_moving = cache.var * (m / (m - 1)) if self.convention == "pytorch" else cache.var
        self._update_moving(cache.mu, var_for_moving)
        self._cache = cache
        return y

    def _update_moving(self, mu, var):
        """The moving-statistics update of every BN-like layer (see :func:`ema_inplace`); with
        PyTorch's momentum=None the weight of the old value is (t - 1) / t at batch t."""
        self.num_batches_tracked += 1
        keep = 1.0 - 1.0 / self.num_batches_tracked if self._cumulative else self.momentum
        ema_inplace(self.moving_mean, mu, keep)
        ema_inplace(self.moving_variance, var, keep)

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


class GhostBatchNorm(BatchNorm):
    """Batch norm whose training-mode statistics come from "ghost" batches of ``ghost_size`` examples.

    A training batch of N examples (N a multiple of ``ghost_size``) is split into consecutive groups,
    and each group is normalized with its own mean and variance (Hoffer et al. 2017). The optimizer
    still sees the gradient of the whole batch, so the noise of the BN statistics can be changed
    without changing the noise of the gradient. Inference is as in :class:`BatchNorm`; the moving
    statistics are updated with the average of the groups' statistics. Feature axis last, (N, D).
    """

    def __init__(self, num_features, ghost_size, momentum=0.99, epsilon=1e-3):
        super().__init__(num_features, momentum=momentum, epsilon=epsilon, axis=-1)
        if not isinstance(ghost_size, (int, np.integer)) or ghost_size < 2:
            raise ValueError(f"ghost_size must be an int >= 2, got {ghost_size!r}")
        self.ghost_size = int(ghost_size)

    def forward(self, x, training=False):
        if not training:
            return super().forward(x, training=False)
        x = self._check_x(x)
        check_finite_batch(x)
        if x.ndim != 2 or len(x) == 0 or len(x) % self.ghost_size:
            raise ValueError(f"x has shape {x.shape} but (N, {self.num_features}) with N a positive multiple of "
                             f"ghost_size={self.ghost_size} is expected")
        gamma, beta = self.params["gamma"], self.params["beta"]
        ys, caches = [], []
        for i in range(0, len(x), self.ghost_size):
            yi, ci = batchnorm_forward(x[i:i + self.ghost_size], gamma, beta, eps=self.epsilon)
            ys.append(yi)
            caches.append(ci)
        mu = np.mean([c.mu for c in caches], axis=0)
        var = np.mean([c.var for c in caches], axis=0)
        self._update_moving(mu, var)
        self._cache = caches
        return np.concatenate(ys)

    def backward(self, dy):
        if self._cache is None:
            raise RuntimeError("backward needs a preceding forward(x, training=True)")
        k = self.ghost_size
        parts = [batchnorm_backward(dy[j * k:(j + 1) * k], c) for j, c in enumerate(self._cache)]
        self.grads["gamma"] = np.sum([p[1] for p in parts], axis=0)
        self.grads["beta"] = np.sum([p[2] for p in parts], axis=0)
        return np.concatenate([p[0] for p in parts])

    def __repr__(self):
        return f"GhostBatchNorm({self.num_features}, ghost_size={self.ghost_size})"
