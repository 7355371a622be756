"""The mini-batch training loop and evaluation, and grids of training runs (chapter 4).

``train`` returns a :class:`History`. In a live Jupyter or Colab kernel (and in a terminal), runs longer
than a couple of seconds show a tqdm progress bar (if tqdm is installed); in tests, logs and the website
build (``BNUTILS_STATIC=1``) nothing is printed.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from ._runtime import live_kernel, static_build
from .nn import softmax_cross_entropy

__all__ = ["train", "evaluate", "History", "run_grid", "final_val_acc", "largest_that_trains"]


class History(dict):
    """What happened during training, as lists keyed by name (also readable as attributes):

    ``step`` and ``loss`` per training step (mini-batch loss); ``eval_step``, ``train_acc``,
    ``val_acc``, ``val_loss`` at each evaluation; ``diverged`` (bool), ``steps_run``, ``seconds``.
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    def steps_to(self, acc, key="val_acc"):
        """The first evaluation step at which ``key`` reached ``acc``, or None if it never did."""
        for s, a in zip(self["eval_step"], self[key]):
            if a >= acc:
                return s
        return None


def evaluate(net, X, y, batch_size=1000):
    """Loss and accuracy of ``net`` in inference mode. Returns (loss, accuracy)."""
    losses, correct = 0.0, 0
    for i in range(0, len(X), batch_size):
        logits = net.forward(X[i:i + batch_size], training=False)
        loss, _ = softmax_cross_entropy(logits, y[i:i + batch_size])
        losses += loss * len(logits)
        correct += int((logits.argmax(axis=1) == y[i:i + batch_size]).sum())
    return losses / len(X), correct / len(X)


def _progress_bar(total, progress):
    """A tqdm bar (a widget in Jupyter and Colab, text in a terminal), or None: with ``progress=False``,
    in the website build (it must not write to stderr), when ``"auto"`` runs outside a live kernel and
    a terminal, or when tqdm is not installed (bnutils itself needs only NumPy)."""
    if progress not in (True, False, "auto"):
        raise ValueError(f"progress must be True, False or 'auto', got {progress!r}")
    if progress is False or static_build():
        return None
    if progress == "auto" and not (live_kernel() or sys.stderr.isatty()):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    # delay: runs shorter than 2 s never show a bar
    return tqdm(total=total, unit="step", delay=0.0 if progress is True else 2.0, leave=True,
                mininterval=0.25)


def train(net, X, y, optimizer, num_epochs=None, num_steps=None, batch_size=64, X_val=None, y_val=None,
          seed=0, eval_every=None, eval_train_size=1000, progress="auto", callback=None):
    """Mini-batch training with shuffling, stopping early if the loss becomes non-finite.

    Args:
        net: a :class:`bnutils.models.Sequential`.
        X, y: training images/features (N, ...) and integer labels (N,).
        optimizer: :class:`bnutils.optim.SGD`, ``Momentum`` or ``Adam``.
        num_epochs or num_steps: how long to train (give one).
        batch_size: examples per step.
        X_val, y_val: evaluated in inference mode every ``eval_every`` steps (default once per epoch).
        seed: seeds the shuffling.
        eval_train_size: training accuracy is measured on this many training examples.
        progress: "auto" (a tqdm bar in a live kernel or a terminal for runs over 2 s), True or False.
        callback: called as ``callback(step, net, loss)`` after each update (for diagnostics).

    Returns:
        A :class:`History`.
    """
    total, steps_per_epoch = _check_train_args(X, y, num_epochs, num_steps, batch_size)
    eval_every = eval_every or steps_per_epoch
    hist = History(step=[], loss=[], eval_step=[], train_acc=[], val_acc=[], val_loss=[], diverged=False)
    bar = _progress_bar(total, progress)
    t0 = time.perf_counter()
    Xtr_eval, ytr_eval = X[:eval_train_size], y[:eval_train_size]

    def record(step):
        hist["eval_step"].append(step)
        hist["train_acc"].append(evaluate(net, Xtr_eval, ytr_eval)[1])
        if X_val is not None:
            vl, va = evaluate(net, X_val, y_val)
            hist["val_loss"].append(vl)
            hist["val_acc"].append(va)

    step = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for step, idx in enumerate(_batch_indices(len(X), batch_size, total, seed), 1):
            try:
                loss, _ = net.loss_and_grads(X[idx], y[idx])
            except FloatingPointError:   # a BN layer met a non-finite batch: the run has diverged
                loss = float("nan")
            hist["step"].append(step)
            hist["loss"].append(loss)
            if not np.isfinite(loss):
                hist["diverged"] = True
                break
            optimizer.step(net)
            if callback is not None:
                callback(step, net, loss)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
            if step % eval_every == 0 or step == total:
                record(step)
    hist["steps_run"] = step
    hist["seconds"] = time.perf_counter() - t0
    if bar is not None:
        if hist["val_acc"]:
            bar.set_postfix(val_acc=f"{hist['val_acc'][-1]:.3f}", diverged=hist["diverged"])
        bar.close()
    return hist


def _check_train_args(X, y, num_epochs, num_steps, batch_size):
    """(total steps, steps per epoch); ValueError for inconsistent arguments."""
    if (num_epochs is None) == (num_steps is None):
        raise ValueError("give exactly one of num_epochs and num_steps")
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X has {n} examples but y has {len(y)}")
    if batch_size < 1 or batch_size > n:
        raise ValueError(f"batch_size must be in [1, {n}], got {batch_size}")
    steps_per_epoch = n // batch_size
    total = num_steps if num_steps is not None else num_epochs * steps_per_epoch
    return total, steps_per_epoch


def _batch_indices(n, batch_size, total, seed):
    """The example indices of ``total`` mini-batches: a new shuffle every epoch, the last partial
    batch of an epoch dropped (the random draws are those of every earlier version of ``train``)."""
    rng = np.random.default_rng(seed)
    step = 0
    while step < total:
        order = rng.permutation(n)
        for b in range(n // batch_size):
            yield order[b * batch_size:(b + 1) * batch_size]
            step += 1
            if step >= total:
                return


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
