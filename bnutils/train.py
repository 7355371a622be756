"""The mini-batch training loop and evaluation (chapter 4).

``train`` returns a :class:`History`. In a live Jupyter kernel, runs longer than a couple of seconds
show a one-line progress bar that is replaced by a summary when they finish; in scripts, tests and
the website build (``BNUTILS_STATIC=1``) nothing is printed.
"""
from __future__ import annotations

import os
import time

import numpy as np

from .layers import softmax_cross_entropy

__all__ = ["train", "evaluate", "History"]


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


class _Progress:
    """One-line progress display in a live IPython kernel; silent elsewhere."""

    def __init__(self, total, enabled):
        self.total, self.handle, self.t0 = total, None, time.perf_counter()
        self.enabled = enabled
        self.last = self.t0

    def update(self, step, loss):
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.t0 < 2.0 or now - self.last < 0.25:
            return
        self.last = now
        n = 30
        done = int(n * step / self.total)
        text = f"[{'#' * done}{'.' * (n - done)}] step {step}/{self.total}  loss {loss:.3f}  {now - self.t0:.1f} s"
        self._show(text)

    def _show(self, text):
        from IPython.display import display

        if self.handle is None:
            self.handle = display({"text/plain": text}, raw=True, display_id=True)
        else:
            self.handle.update({"text/plain": text}, raw=True)

    def close(self, summary):
        if self.enabled and self.handle is not None:
            self.handle.update({"text/plain": summary}, raw=True)


def _progress_enabled(progress):
    if progress in (True, False):
        return progress
    if os.environ.get("BNUTILS_STATIC", "") not in ("", "0"):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


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
        progress: "auto" (a progress line in a live kernel for runs over 2 s), True or False.
        callback: called as ``callback(step, net, loss)`` after each update (for diagnostics).

    Returns:
        A :class:`History`.
    """
    if (num_epochs is None) == (num_steps is None):
        raise ValueError("give exactly one of num_epochs and num_steps")
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X has {n} examples but y has {len(y)}")
    if batch_size < 1 or batch_size > n:
        raise ValueError(f"batch_size must be in [1, {n}], got {batch_size}")
    steps_per_epoch = n // batch_size
    total = num_steps if num_steps is not None else num_epochs * steps_per_epoch
    eval_every = eval_every or steps_per_epoch
    rng = np.random.default_rng(seed)
    hist = History(step=[], loss=[], eval_step=[], train_acc=[], val_acc=[], val_loss=[], diverged=False)
    bar = _Progress(total, _progress_enabled(progress))
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
        while step < total:
            order = rng.permutation(n)
            for b in range(steps_per_epoch):
                idx = order[b * batch_size:(b + 1) * batch_size]
                try:
                    loss, _ = net.loss_and_grads(X[idx], y[idx])
                except FloatingPointError:
                    loss = float("nan")
                step += 1
                hist["step"].append(step)
                hist["loss"].append(loss)
                if not np.isfinite(loss):
                    hist["diverged"] = True
                    break
                optimizer.step(net)
                if callback is not None:
                    callback(step, net, loss)
                bar.update(step, loss)
                if step % eval_every == 0 or step == total:
                    record(step)
                if step >= total:
                    break
            if hist["diverged"]:
                break
    hist["steps_run"] = step
    hist["seconds"] = time.perf_counter() - t0
    summary = f"{step} steps in {hist['seconds']:.1f} s" + (" (diverged)" if hist["diverged"] else "")
    if hist["val_acc"]:
        summary += f", validation accuracy {hist['val_acc'][-1]:.3f}"
    bar.close(summary)
    return hist
