"""Batch norm at test time: moving averages, population statistics, re-estimation, folding.

- :func:`ema_update`, :func:`ema_trace`, :func:`effective_window`: the exponential moving average
  that frameworks keep during training, in the Keras or the PyTorch momentum convention.
- Two alternatives to the EMA: :func:`population_statistics` (the
  paper's Algorithm 2, mini-batch averages with the m / (m - 1) correction) and
  :func:`exact_statistics` (re-estimate every BN layer, in order, from one inference-mode pass).
  Both return ``[(mean, var), ...]``: write it into a network with
  :func:`bnutils.models.set_statistics` (read the current one with :func:`bnutils.models.get_statistics`).
- :func:`fold_batchnorm` and :func:`fold_network`: fold an inference-mode BN layer into the
  preceding Dense or Conv2D layer.

Taught in chapter 5. This module imports only NumPy (and bnutils' own layers).
"""
from __future__ import annotations

import copy

import numpy as np

from ._validation import check_eps, check_momentum, to_2d
from .batchnorm import BatchNorm, ema_inplace
from .bn import batchnorm_forward
from .models import Sequential, bn_layers
from .nn import Conv2D, Dense

__all__ = [
    "ema_update", "ema_trace", "effective_window", "population_statistics", "exact_statistics",
    "fold_batchnorm", "fold_network",
]

_CONVENTIONS = ("keras", "pytorch")


def _keep_weight(momentum, convention):
    """The weight of the *old* running value, whatever the convention."""
    if convention not in _CONVENTIONS:
        raise ValueError(f"convention must be 'keras' or 'pytorch', got {convention!r}")
    momentum = check_momentum(momentum)
    return momentum if convention == "keras" else 1.0 - momentum


# --------------------------------------------------------------------------- moving averages
def ema_update(running, batch_stat, momentum, convention="keras"):
    """One step of the exponential moving average of a batch statistic.

    Args:
        running: (D,) the current moving value.
        batch_stat: (D,) this mini-batch's statistic (mean or variance).
        momentum: Keras convention: the weight of the old value (0.99);
            PyTorch convention: the weight of the new value (0.1).
        convention: "keras" or "pytorch".

    Returns:
        (D,) the new moving value ``keep * running + (1 - keep) * batch_stat``.
    """
    keep = _keep_weight(momentum, convention)
    running = np.asarray(running)
    batch_stat = np.asarray(batch_stat)
    if running.shape != batch_stat.shape:
        raise ValueError(f"running has shape {running.shape} but batch_stat has shape {batch_stat.shape}")
    out = np.array(running, dtype=np.result_type(running, batch_stat, np.float32))
    ema_inplace(out, batch_stat, keep)
    return out


def ema_trace(values, momentum, init=0.0, convention="keras", debias=False):
    """The moving average after every step of a sequence of batch statistics.

    Args:
        values: (T, ...) the batch statistic at steps 1..T.
        momentum, convention: as in :func:`ema_update`.
        init: the starting value (Keras and PyTorch start the mean at 0 and the variance at 1).
        debias: divide out the start-up bias as Adam does, ``(ema - keep**t * init) / (1 - keep**t)``,
            which leaves a weighted average of the observed values only.

    Returns:
        (T, ...) float64 array, row t-1 the moving value after step t.
    """
    keep = _keep_weight(momentum, convention)
    values = np.asarray(values, dtype=np.float64)
    if values.ndim < 1 or len(values) == 0:
        raise ValueError(f"values must have shape (T, ...) with T >= 1, got shape {values.shape}")
    out = np.empty_like(values)
    run = np.broadcast_to(np.asarray(init, dtype=np.float64), values.shape[1:]).copy()
    for t in range(len(values)):
        ema_inplace(run, values[t], keep)
        out[t] = run
    if debias:
        if keep >= 1.0:
            raise ValueError("debias needs a momentum that gives the new value a non-zero weight")
        kt = keep ** np.arange(1, len(values) + 1, dtype=np.float64)
        kt = kt.reshape((-1,) + (1,) * (values.ndim - 1))
        out = (out - kt * np.asarray(init, dtype=np.float64)) / (1.0 - kt)
    return out


def effective_window(momentum, convention="keras"):
    """About how many recent batches the moving average remembers: ``1 / (1 - keep)``."""
    keep = _keep_weight(momentum, convention)
    if keep >= 1.0:
        return np.inf
    return 1.0 / (1.0 - keep)


# --------------------------------------------------------------------------- estimating the statistics
def population_statistics(net, X, batch_size=64, unbiased=True, seed=0, num_batches=None):
    """Inference statistics as in Ioffe and Szegedy's Algorithm 2, without changing the network.

    The network is run in training mode on mini-batches of the training data (each BN layer
    normalizes with its batch's statistics, as during training); for every BN layer the batch means
    and the batch variances are averaged over the batches:
    ``mean = E_B[mu_B]``, ``var = m / (m - 1) * E_B[sigma_B^2]`` (the unbiased correction, with m the
    number of values per feature in a batch; ``unbiased=False`` leaves it out). Dropout is off.
    Wu and Johnson's PreciseBN (2021) estimates the statistics the same way, over many batches.

    Args:
        net: a ``Sequential`` with BN layers.
        X: (N, ...) training inputs.
        batch_size: m (for images, m = batch_size * H * W values per channel).
        seed: seeds the shuffle that forms the batches.
        num_batches: how many batches to average (default: every full batch of one epoch).

    Returns:
        ``[(mean, var), ...]`` one pair of float32 (D,) arrays per BN layer; pass it to
        :func:`set_statistics`.
    """
    n = len(X)
    if not 2 <= batch_size <= n:
        raise ValueError(f"batch_size must be in [2, {n}], got {batch_size}")
    order = np.random.default_rng(seed).permutation(n)
    total = n // batch_size if num_batches is None else int(num_batches)
    if not 1 <= total <= n // batch_size:
        raise ValueError(f"num_batches must be in [1, {n // batch_size}], got {num_batches}")
    layers = bn_layers(net)
    if not layers:
        raise ValueError("the network has no BatchNorm layers")
    sums = [[np.zeros(layer.num_features), np.zeros(layer.num_features), 0] for layer in layers]
    for b in range(total):
        x = X[order[b * batch_size:(b + 1) * batch_size]]
        k = 0
        for layer in net.layers:
            if isinstance(layer, BatchNorm):
                x, cache = batchnorm_forward(x, layer.gamma, layer.beta, eps=layer.epsilon, axis=layer.axis)
                sums[k][0] += cache.mu
                sums[k][1] += cache.var
                sums[k][2] = cache.m
                k += 1
            else:
                x = layer.forward(x, training=False)
    out = []
    for (s_mu, s_var, m), layer in zip(sums, layers):
        var = s_var / total
        if unbiased:
            var = var * (m / (m - 1))
        dt = layer.moving_mean.dtype
        out.append(((s_mu / total).astype(dt), var.astype(dt)))
    return out


def exact_statistics(net, X, batch_size=1000):
    """Re-estimate every BN layer's statistics from one pass over X in inference mode, layer by layer.

    BN layer 1 gets the mean and (biased) variance of its input over all of X; then, with layer 1
    using those, layer 2 gets the statistics of *its* inference-mode input, and so on. The result is
    what each BN layer sees at test time on data distributed like X. It is not Wu and Johnson's
    PreciseBN, which averages *training-mode* batch statistics of the frozen model over many batches:
    that is :func:`population_statistics`. The network is not changed; pass the result to
    :func:`set_statistics`.

    Args:
        net: a ``Sequential`` with BN layers.
        X: (N, ...) inputs (the training set, or any set that represents the data).
        batch_size: chunk size of the passes (does not change the result).

    Returns:
        ``[(mean, var), ...]`` one pair of (D,) arrays per BN layer.
    """
    layers = bn_layers(net)
    if not layers:
        raise ValueError("the network has no BatchNorm layers")
    work = copy.deepcopy(net)
    work_bn = bn_layers(work)
    out = []
    for target in work_bn:
        s1 = np.zeros(target.num_features)
        s2 = np.zeros(target.num_features)
        count = 0
        for i in range(0, len(X), batch_size):
            x = X[i:i + batch_size]
            for layer in work.layers:
                if layer is target:
                    break
                x = layer.forward(x, training=False)
            x2 = to_2d(np.asarray(x, dtype=np.float64), target.axis % x.ndim)
            s1 += x2.sum(axis=0)
            s2 += (x2 * x2).sum(axis=0)
            count += x2.shape[0]
        mean = s1 / count
        # float64 sums: E[x^2] - E[x]^2 is accurate enough for activations of order 1-100
        var = np.maximum(s2 / count - mean ** 2, 0.0)
        dt = target.moving_mean.dtype
        target.moving_mean[...] = mean.astype(dt)
        target.moving_variance[...] = var.astype(dt)
        out.append((mean.astype(dt), var.astype(dt)))
    return out


# --------------------------------------------------------------------------- folding
def fold_batchnorm(W, b, gamma, beta, mean, var, eps):
    """Fold an inference-mode BN layer into the Dense or Conv2D layer before it.

    With ``a = gamma / sqrt(var + eps)``, BN(x @ W + b) = x @ (W * a) + (b - mean) * a + beta.

    Args:
        W: weights whose *last* axis is the D output features: (D_in, D) for Dense,
            (kh, kw, C_in, D) for Conv2D (Keras layout).
        b: (D,) bias, or None if the layer has none (treated as 0).
        gamma, beta, mean, var: (D,) the BN layer's scale, shift and inference statistics.
        eps: the BN layer's epsilon.

    Returns:
        (W', b'): W' with the shape of W, b' of shape (D,), in W's floating dtype (float64 for integer W).
    """
    W = np.asarray(W)
    if not (np.issubdtype(W.dtype, np.floating) or np.issubdtype(W.dtype, np.integer)):
        raise TypeError(f"W has dtype {W.dtype} but a numeric array is expected")
    out_dtype = np.result_type(W.dtype, np.float32)   # integer weights give floats, never truncated ones
    d = W.shape[-1] if W.ndim else None
    if W.ndim < 2:
        raise ValueError(f"W has shape {W.shape} but at least 2 dimensions (..., D) are expected")
    b = np.zeros(d, dtype=W.dtype) if b is None else np.asarray(b)
    for name, p in (("b", b), ("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var)):
        if np.shape(p) != (d,):
            raise ValueError(f"W has shape {W.shape} with {d} output features, but {name} has shape "
                             f"{np.shape(p)}; expected ({d},)")
    eps = check_eps(eps)
    if np.any(np.asarray(var) < 0):
        raise ValueError(f"var must be >= 0, got minimum {np.min(var)}")
    a = np.asarray(gamma) / np.sqrt(np.asarray(var) + eps)
    W_new = (W * a).astype(out_dtype, copy=False)
    b_new = ((b - np.asarray(mean)) * a + np.asarray(beta)).astype(out_dtype, copy=False)
    return W_new, b_new


def fold_network(net):
    """A copy of ``net`` in which every BN layer that directly follows a Dense or Conv2D layer
    is folded into it (the BN layer disappears, the layer gains a bias). For inference only.

    Returns:
        a new ``Sequential``; ``net`` is unchanged.
    """
    layers = [copy.deepcopy(layer) for layer in net.layers]
    out = []
    for layer in layers:
        prev = out[-1] if out else None
        out_ndim = 2 if isinstance(prev, Dense) else 4
        if (isinstance(layer, BatchNorm) and isinstance(prev, (Dense, Conv2D))
                and layer.axis % out_ndim == out_ndim - 1):
            W, b = fold_batchnorm(prev.params["W"], prev.params.get("b"), layer.gamma, layer.beta,
                                  layer.moving_mean, layer.moving_variance, layer.epsilon)
            prev.params["W"] = W
            prev.params["b"] = b
            prev.use_bias = True
            continue
        out.append(layer)
    return Sequential(out)
