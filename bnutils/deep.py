"""Deep and residual networks (chapter 9): a :class:`Residual` layer, a builder for deep plain and
residual MLPs with batch-norm options, and :func:`signal_profile`, the per-layer forward and backward
signal statistics of a network at its current weights.

A residual block computes ``y = x + branch(x)``; the branch is a :class:`~bnutils.models.Sequential`.
The block's ``params`` and ``grads`` are live views of the branch's parameters under the names
``"<layer index>.<name>"``, so the optimizers of :mod:`bnutils.optim`, ``Sequential.parameters()``,
:func:`~bnutils.models.get_params` and :func:`~bnutils.models.set_params` see them.
Note: :func:`bnutils.models.all_layers` and :func:`bnutils.models.frozen_statistics` walk residual
branches too; ``bnutils.models.bn_layers`` (used for statistics estimation) looks only at the top level.
"""
from __future__ import annotations

import json
import pathlib
from collections.abc import MutableMapping

import numpy as np

from .batchnorm import BatchNorm
from .models import Sequential, all_layers, frozen_statistics
from .nn import ACTIVATIONS, Dense, Flatten, Layer, softmax_cross_entropy

__all__ = ["Residual", "deep_mlp", "signal_profile", "load_sweeps", "batch_stat_accuracy",
           "deep_run", "steps_to"]


class _BranchView(MutableMapping):
    """``"i.name" -> branch.layers[i].<store>[name]``, read and written through (no copies)."""

    def __init__(self, branch, store):
        self._branch, self._store = branch, store

    def _split(self, key):
        i, _, name = str(key).partition(".")
        try:
            layer = self._branch.layers[int(i)]
        except (ValueError, IndexError):
            raise KeyError(key) from None
        d = getattr(layer, self._store)
        if name not in d:
            raise KeyError(key)
        return d, name

    def __getitem__(self, key):
        d, name = self._split(key)
        return d[name]

    def __setitem__(self, key, value):
        i, _, name = str(key).partition(".")
        getattr(self._branch.layers[int(i)], self._store)[name] = value

    def __delitem__(self, key):
        d, name = self._split(key)
        del d[name]

    def __iter__(self):
        for i, layer in enumerate(self._branch.layers):
            for name in getattr(layer, self._store):
                yield f"{i}.{name}"

    def __len__(self):
        return sum(len(getattr(layer, self._store)) for layer in self._branch.layers)


class Residual(Layer):
    """Residual block ``y = x + branch(x)`` (He et al. 2016).

    Args:
        branch: a :class:`~bnutils.models.Sequential` or a list of layers; its output must have the
            shape of its input.

    Backward: ``dx = dy + branch.backward(dy)`` (the identity path passes the gradient unchanged).
    """

    def __init__(self, branch):
        if isinstance(branch, (list, tuple)):
            branch = Sequential(branch)
        if not isinstance(branch, Sequential):
            raise TypeError(f"branch must be a Sequential or a list of layers, got {type(branch).__name__}")
        self.branch = branch
        self.params = _BranchView(branch, "params")
        self.grads = _BranchView(branch, "grads")

    def forward(self, x, training=False):
        out = self.branch.forward(x, training=training)
        if out.shape != x.shape:
            raise ValueError(f"the residual branch maps shape {x.shape} to {out.shape}; "
                             "it must keep the shape of its input")
        return x + out

    def backward(self, dy):
        return dy + self.branch.backward(dy)

    def __repr__(self):
        inner = ", ".join(repr(layer) for layer in self.branch.layers)
        return f"Residual([{inner}])"


_PLAIN_BN = (None, "before")
_RES_BN = (None, "start", "both")


def deep_mlp(depth, width=64, in_features=784, num_classes=10, residual=False, bn=None, zero_gamma=False,
             activation="relu", init="auto", init_gain=1.0, bn_momentum=0.9, seed=0):
    """A deep fully connected network: Flatten -> Dense(in_features, width) -> ``depth`` hidden units
    -> Dense(width, num_classes) logits.

    Plain (``residual=False``): each unit is Dense -> [BN] -> activation; ``bn`` is None or "before".
    Residual (``residual=True``): each unit is a :class:`Residual` block whose branch is
    ``[BN] -> act -> Dense -> act -> Dense [-> BN]`` (pre-activation order, He et al. 2016b):
    ``bn=None`` no BN, ``"start"`` BN at the start of the branch (Prince 2023, section 11.4),
    ``"both"`` also a BN at the end of the branch. ``zero_gamma=True`` (needs ``bn="both"``) sets
    that last BN's gamma to 0, so every block is the identity at initialization (Goyal et al. 2017).

    Args:
        init: "he", "glorot", or "auto" (He for ReLU-like, Xavier/Glorot for tanh and sigmoid).
        init_gain: multiplies the initial standard deviation of every hidden weight matrix
            (2.0 = "off by 2x" too large, 0.5 too small).
        bn_momentum: Keras convention (weight of the old moving average).
        seed: seeds every weight.
    """
    if not (isinstance(depth, (int, np.integer)) and depth >= 1):
        raise ValueError(f"depth must be an integer >= 1, got {depth!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    allowed = _RES_BN if residual else _PLAIN_BN
    if bn not in allowed:
        kind = "residual" if residual else "plain"
        raise ValueError(f"bn for a {kind} network must be one of {allowed}, got {bn!r}")
    if zero_gamma and bn != "both":
        raise ValueError(f"zero_gamma=True needs bn='both' (a BN at the end of each branch), got bn={bn!r}")
    if init == "auto":
        init = "glorot" if activation in ("tanh", "sigmoid") else "he"
    if init not in ("he", "glorot", "xavier"):
        raise ValueError(f"init must be 'he', 'glorot' or 'auto', got {init!r}")
    if not init_gain > 0:
        raise ValueError(f"init_gain must be > 0, got {init_gain!r}")
    rng = np.random.default_rng(seed)
    std = np.sqrt(2.0 / width) if init == "he" else np.sqrt(1.0 / width)  # fan_in = fan_out = width

    def hidden(use_bias):
        return Dense(width, width, use_bias=use_bias, init=float(std * init_gain), rng=rng)

    def act():
        return ACTIVATIONS[activation]()

    def norm():
        return BatchNorm(width, momentum=bn_momentum)

    layers = [Flatten(), Dense(in_features, width, init=init, rng=rng)]
    for _ in range(depth):
        if not residual:
            layers += [hidden(bn is None)] + ([norm()] if bn else []) + [act()]
        else:
            branch = ([norm()] if bn in ("start", "both") else []) + [act(), hidden(True), act(), hidden(True)]
            if bn == "both":
                last = norm()
                if zero_gamma:
                    last.params["gamma"][...] = 0.0
                branch.append(last)
            layers.append(Residual(branch))
    layers.append(Dense(width, num_classes, init=init, rng=rng))
    return Sequential(layers)


def _weight_keys(layer):
    return [k for k in layer.params if k == "W" or k.endswith(".W")]


def signal_profile(net, X, y, lr=None):
    """Forward and backward signal statistics of ``net`` at its current weights, per top-level layer.

    One training-mode forward pass on the batch ``X`` (batch statistics in BN layers; the moving
    statistics are left unchanged) and one backward pass of the mean softmax cross-entropy with
    labels ``y``. Nothing in the network changes.

    Args:
        net: a :class:`~bnutils.models.Sequential` (Residual blocks allowed).
        X: an input batch, (N, ...) as the network expects. y: (N,) integer labels.
        lr: if given, also the update:data ratio of one plain SGD step with this learning rate
            (Karpathy's rule of thumb: about 1e-3 is healthy).

    Returns:
        dict of arrays with one entry per layer of ``net.layers``:
        ``"layer"`` (names), ``"act_mean"``, ``"act_std"`` (of the layer's output over batch and
        features), ``"grad_std"`` (std of dLoss/d(layer output)), ``"has_weights"`` (bool) and, with
        ``lr``, ``"update_ratio"``: ``||lr * dW|| / ||W||`` over the layer's weight matrices (nan for
        layers without weights). Also ``"loss"`` (a float).
    """
    if not isinstance(net, Sequential):
        raise TypeError(f"net must be a bnutils Sequential, got {type(net).__name__}")
    X = np.asarray(X)
    y = np.asarray(y)
    if X.shape[0] != y.shape[0] or y.ndim != 1:
        raise ValueError(f"X has {X.shape[0]} examples and y has shape {y.shape}; expected y of shape ({X.shape[0]},)")
    if lr is not None and not lr > 0:
        raise ValueError(f"lr must be > 0 or None, got {lr!r}")
    n = len(net.layers)
    act_mean, act_std, grad_std = np.zeros(n), np.zeros(n), np.zeros(n)
    with frozen_statistics(net):
        h = X
        for i, layer in enumerate(net.layers):
            h = layer.forward(h, training=True)
            act_mean[i], act_std[i] = float(np.mean(h)), float(np.std(h))
        loss, dy = softmax_cross_entropy(h, y)
        for i in range(n - 1, -1, -1):
            grad_std[i] = float(np.std(dy))
            dy = net.layers[i].backward(dy)
    out = {
        "layer": np.array([type(layer).__name__ for layer in net.layers]),
        "act_mean": act_mean, "act_std": act_std, "grad_std": grad_std,
        "has_weights": np.array([bool(_weight_keys(layer)) for layer in net.layers]),
        "loss": float(loss),
    }
    if lr is not None:
        ratio = np.full(n, np.nan)
        for i, layer in enumerate(net.layers):
            keys = _weight_keys(layer)
            if keys:
                g = np.sqrt(sum(np.sum(np.asarray(layer.grads[k], np.float64) ** 2) for k in keys))
                w = np.sqrt(sum(np.sum(np.asarray(layer.params[k], np.float64) ** 2) for k in keys))
                ratio[i] = lr * g / max(w, 1e-300)
        out["update_ratio"] = ratio
    return out


# --------------------------------------------------------------------------- chapter 9 training runs
def batch_stat_accuracy(net, X, y, chunk=500):
    """Accuracy with training-mode BN (statistics of each chunk of ``chunk`` examples), moving statistics
    untouched, dropout off. Used for "steps to accuracy" so BN's moving averages, still close to their initial values
    early in training, do not make the BN network look slow (the confound of chapter 4)."""
    correct = 0
    dropouts = [(lay, lay.rate) for lay in all_layers(net) if type(lay).__name__ == "Dropout"]
    try:
        for lay, _ in dropouts:
            lay.rate = 0.0  # dropout off: evaluation, not training
        with frozen_statistics(net), np.errstate(all="ignore"):
            for i in range(0, len(X), chunk):
                logits = net.forward(X[i:i + chunk], training=True)
                correct += int(np.sum(logits.argmax(axis=1) == y[i:i + chunk]))
    finally:
        for lay, rate in dropouts:
            lay.rate = rate
    return correct / len(X)


def deep_run(X_tr, y_tr, X_val, y_val, *, depth=20, width=64, residual=False, bn=None, zero_gamma=False,
             lr=0.1, steps=250, batch_size=64, eval_every=25, dropout=0.0, weight_decay=0.0, decay_at=None,
             activation="relu", seed=0):
    """Train a :func:`deep_mlp` with plain SGD and record validation accuracy every ``eval_every`` steps
    (:func:`batch_stat_accuracy`). Recipe knobs (Ioffe & Szegedy 2015, section 4.2): ``dropout`` (rate after
    every hidden unit of a plain network), ``weight_decay`` (decoupled: ``W *= 1 - lr * wd`` after each
    step, weight matrices only), ``decay_at`` (a step after which the learning rate is divided by 10).
    Returns a dict: ``eval_step``, ``val_acc`` (list), ``final_acc``, ``diverged``."""
    from .nn import Dropout
    from .optim import SGD
    from .train import train

    net = deep_mlp(depth, width=width, in_features=int(np.prod(X_tr.shape[1:])), residual=residual, bn=bn,
                   zero_gamma=zero_gamma, activation=activation, seed=seed)
    if dropout:
        if residual:
            raise ValueError("dropout is only wired for plain networks here")
        rng = np.random.default_rng(seed + 10_000)
        layers = []
        for layer in net.layers[:-1]:
            layers.append(layer)
            if type(layer).__name__ == ACTIVATIONS[activation].__name__:
                layers.append(Dropout(dropout, rng=rng))
        net.layers = layers + [net.layers[-1]]
    opt = SGD(lr)
    rec = {"eval_step": [], "val_acc": []}

    def callback(step, net_, loss):
        if weight_decay:
            for layer, name in net_.parameters():
                if name == "W" or name.endswith(".W"):
                    layer.params[name] *= (1.0 - opt.lr * weight_decay)
        if decay_at is not None and step == decay_at:
            opt.lr = lr / 10
        if step % eval_every == 0:
            rec["eval_step"].append(step)
            rec["val_acc"].append(batch_stat_accuracy(net_, X_val, y_val))

    hist = train(net, X_tr, y_tr, opt, num_steps=steps, batch_size=batch_size, seed=seed, eval_every=10 ** 9,
                 progress=False, callback=callback)
    diverged = bool(hist["diverged"])
    return {"eval_step": rec["eval_step"], "val_acc": [float(a) for a in rec["val_acc"]],
            "final_acc": 0.0 if diverged or not rec["val_acc"] else float(rec["val_acc"][-1]),
            "diverged": diverged}


def steps_to(run, acc, cap):
    """First evaluation step at which ``run`` reached ``acc`` validation accuracy; ``cap`` if never."""
    for s, a in zip(run["eval_step"], run["val_acc"]):
        if a >= acc:
            return s
    return cap


SWEEPS_FILE = pathlib.Path(__file__).with_name("deep_sweeps.json")


def load_sweeps(path=None):
    """The five-seed training sweeps of chapter 9, stored by ``tools/ch9_sweeps.py`` (shipped with the
    package, so the chapter runs in Binder and Colab too). Returns the dict written there."""
    p = SWEEPS_FILE if path is None else pathlib.Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no stored chapter-9 sweeps at {p}: run `python tools/ch9_sweeps.py` to make them")
    return json.loads(p.read_text())

