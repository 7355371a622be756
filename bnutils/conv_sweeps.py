"""The multi-seed CNN runs of chapter 6 (claim C3 for a small convolutional network), and their stored results.

Twenty runs of ``small_cnn`` (with and without BN, Adam and SGD, five seeds, 200 steps of 32) take
minutes on one core, more than a chapter may spend, so ``tools/ch6_cnn_sweep.py`` runs them once with
:func:`cnn_run` and stores what the chapter needs in ``conv_sweeps.json`` next to this module;
``tests/test_conv_sweeps.py`` re-runs one stored run and compares. Taught in chapter 6 (``06_conv``).
"""
from __future__ import annotations

import json
import pathlib

import numpy as np

from .data import load_mnist5k
from .models import small_cnn
from .optim import SGD, Adam
from .train import train

__all__ = ["SEEDS", "SETTINGS", "NUM_STEPS", "EVAL_EVERY", "RESULTS_FILE", "cnn_run", "load_results", "arm"]

SEEDS = (0, 1, 2, 3, 4)
SETTINGS = {"Adam, lr 0.001": ("adam", 1e-3), "SGD, lr 0.3": ("sgd", 0.3)}
NUM_STEPS = 200
EVAL_EVERY = 25
RESULTS_FILE = pathlib.Path(__file__).with_name("conv_sweeps.json")


def cnn_run(setting, bn, seed, num_steps=NUM_STEPS, eval_every=EVAL_EVERY, data=None):
    """Train ``small_cnn(bn=bn, seed=seed, bn_momentum=0.9)`` on the 4000 MNIST-5k training images.

    Args:
        setting: a key of :data:`SETTINGS` (optimizer and learning rate).
        bn: bool, spatial BN after each convolution.
        seed: initialization and batch order.
        num_steps, eval_every: steps of 32 images; test accuracy (1000 images, inference mode) every
            ``eval_every`` steps.
        data: ``load_mnist5k(seed=0)`` if None.

    Returns:
        dict with ``loss`` (per step), ``eval_step``, ``val_acc``, ``final_acc``, ``seconds``.
    """
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {list(SETTINGS)}, got {setting!r}")
    X_train, y_train, X_test, y_test = load_mnist5k(seed=0) if data is None else data
    kind, lr = SETTINGS[setting]
    opt = Adam(lr) if kind == "adam" else SGD(lr)
    net = small_cnn(bn=bool(bn), seed=seed, bn_momentum=0.9)
    hist = train(net, X_train, y_train, opt, num_steps=num_steps, batch_size=32, X_val=X_test, y_val=y_test,
                 eval_every=eval_every, eval_train_size=100, seed=seed, progress=False)
    return {"loss": [round(float(v), 5) for v in hist.loss], "eval_step": [int(s) for s in hist.eval_step],
            "val_acc": [float(a) for a in hist.val_acc], "final_acc": float(hist.val_acc[-1]),
            "seconds": float(hist.seconds)}


def load_results(path=None):
    """The stored sweep: ``{"meta": {...}, "runs": [{"setting", "bn", "seed", ...cnn_run fields}, ...]}``."""
    p = pathlib.Path(path) if path is not None else RESULTS_FILE
    if not p.exists():
        raise FileNotFoundError(f"{p} does not exist: run tools/ch6_cnn_sweep.py first")
    return json.loads(p.read_text())


def arm(results, setting, bn, key="final_acc"):
    """(seeds,) array of ``key`` over the seeds of one arm of the stored sweep."""
    vals = [r[key] for r in results["runs"] if r["setting"] == setting and r["bn"] == bool(bn)]
    if not vals:
        raise KeyError(f"no stored runs for setting {setting!r}, bn={bn!r}")
    return np.array(vals)
