"""The multi-seed training sweeps of chapter 4, and their stored results.

Chapter 4 tests claims C1, C2, C3, C7 and C10 (and where BN goes) over five seeds. Those ~250 short
runs take minutes, more than a chapter may spend, so ``tools/ch4_sweeps.py`` runs them once with
the functions below and stores what the chapter needs in ``training_sweeps.json`` next to this
module; the chapter loads it with :func:`load_results` and runs only seed 0 of some settings live.
``tests/test_training_sweeps.py`` re-runs a few of the stored runs and compares.

Every run uses MNIST-5k split as in chapter 4: the first 3000 training images to train, the next
1000 to validate (C10: all 4000 training images, and the 1000 test images).
"""
from __future__ import annotations

import json
import pathlib

import numpy as np

from .data import load_mnist5k
from .inference import population_statistics
from .models import get_statistics, mlp, set_statistics
from .optim import SGD, Adam
from .train import evaluate, train

__all__ = ["SEEDS", "LRS", "SCALES", "C3_GRID", "RESULTS_FILE", "split", "c1_run", "c2_run", "c3_run",
           "c7_run", "place_run", "c10_run", "population_accuracy", "load_results", "mean_sd"]

SEEDS = (0, 1, 2, 3, 4)
LRS = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)                      # C1: SGD learning rates
SCALES = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)                       # C2: initial weight standard deviations
C3_GRID = {"SGD": (0.03, 0.1, 0.3), "Adam": (3e-4, 1e-3, 3e-3)}  # C3: learning rates tried per arm
RESULTS_FILE = pathlib.Path(__file__).with_name("training_sweeps.json")
MLP3 = [784, 100, 100, 100, 10]
DEEP6 = [784] + [100] * 6 + [10]


def split():
    """(X_tr, y_tr, X_val, y_val, X_train_all, y_train_all, X_test, y_test) as chapter 4 uses them."""
    X_all, y_all, X_test, y_test = load_mnist5k(seed=0)
    return X_all[:3000], y_all[:3000], X_all[3000:], y_all[3000:], X_all, y_all, X_test, y_test


def _finite(values):
    return [float(v) if np.isfinite(v) else None for v in values]


def _summary(hist, curve=False, block=5):
    out = {"final_acc": 0.0 if hist["diverged"] or not hist["val_acc"] else float(hist["val_acc"][-1]),
           "diverged": bool(hist["diverged"]), "steps_run": int(hist["steps_run"])}
    if curve:
        loss = np.asarray(hist["loss"], dtype=float)
        n = len(loss) // block * block
        out["loss_step"] = list(range(block, n + 1, block))
        out["loss"] = _finite(loss[:n].reshape(-1, block).mean(axis=1)) if n else []
        out["eval_step"] = [int(s) for s in hist["eval_step"]]
        out["val_acc"] = _finite(hist["val_acc"])
    return out


def population_accuracy(net, X_tr, X_val, y_val, num_batches=10, seed=0):
    """Validation accuracy with every BN layer using population statistics (batch means and variances
    averaged over ``num_batches`` training batches of 64), the network's own moving averages left as
    they were. A network without BN is evaluated as it is."""
    saved = get_statistics(net)
    if not saved:
        return evaluate(net, X_val, y_val)[1]
    try:
        set_statistics(net, population_statistics(net, X_tr, batch_size=64, num_batches=num_batches, seed=seed))
        return evaluate(net, X_val, y_val)[1]
    finally:
        set_statistics(net, saved)


def c1_run(data, lr, bn, seed, curve=False):
    """C1: 784-100-100-100-10 ReLU MLP, SGD(lr), 300 steps of batch 64."""
    X_tr, y_tr, X_val, y_val = data[:4]
    h = train(mlp(MLP3, bn=bn, seed=seed), X_tr, y_tr, SGD(lr), num_steps=300, X_val=X_val, y_val=y_val,
              eval_every=25, eval_train_size=1, seed=seed)
    return _summary(h, curve)


def c2_run(data, scale, bn, seed, curve=False):
    """C2: six hidden ReLU layers of 100, weights N(0, scale^2), Adam 1e-3, 300 steps."""
    X_tr, y_tr, X_val, y_val = data[:4]
    h = train(mlp(DEEP6, bn=bn, init=scale, seed=seed), X_tr, y_tr, Adam(1e-3), num_steps=300, X_val=X_val,
              y_val=y_val, eval_every=25, eval_train_size=1, seed=seed)
    return _summary(h, curve)


def c3_run(data, opt, lr, bn, seed, bn_momentum=0.99, max_steps=300, every=25, target=0.90):
    """C3: 784-100-100-100-10, ``opt`` ("SGD" or "Adam") at ``lr``; validation accuracy every ``every``
    steps measured two ways: in inference mode with the moving averages (``acc_moving``) and with
    population statistics (``acc_population``, what the network has learned, free of the moving
    averages' lag). Returns both curves and the first step each reaches ``target`` (None: never)."""
    X_tr, y_tr, X_val, y_val = data[:4]
    net = mlp(MLP3, bn=bn, seed=seed, bn_momentum=bn_momentum)
    pop = []

    def callback(step, net_, loss):
        if step % every == 0:
            pop.append(population_accuracy(net_, X_tr, X_val, y_val, seed=step))

    make = SGD if opt == "SGD" else Adam
    h = train(net, X_tr, y_tr, make(lr), num_steps=max_steps, X_val=X_val, y_val=y_val, eval_every=every,
              eval_train_size=1, seed=seed, callback=callback)
    pop = pop + [0.0] * (len(h["eval_step"]) - len(pop))    # a diverged run stops early

    def first(accs):
        return next((int(s) for s, a in zip(h["eval_step"], accs) if a >= target), None)

    return {"eval_step": [int(s) for s in h["eval_step"]], "acc_moving": _finite(h["val_acc"]),
            "acc_population": _finite(pop), "steps_moving": first(h["val_acc"]), "steps_population": first(pop),
            "diverged": bool(h["diverged"])}


def c7_run(data, bn, seed):
    """C7: six hidden sigmoid layers of 100 (Glorot), SGD 0.5, 400 steps."""
    X_tr, y_tr, X_val, y_val = data[:4]
    h = train(mlp(DEEP6, activation="sigmoid", bn=bn, seed=seed), X_tr, y_tr, SGD(0.5), num_steps=400,
              X_val=X_val, y_val=y_val, eval_every=400, eval_train_size=1, seed=seed)
    return _summary(h)


def place_run(data, place, seed):
    """BN before or after the activation: 784-100-100-100-10 ReLU, Adam 1e-3, 400 steps."""
    X_tr, y_tr, X_val, y_val = data[:4]
    h = train(mlp(MLP3, bn=place, seed=seed), X_tr, y_tr, Adam(1e-3), num_steps=400, X_val=X_val, y_val=y_val,
              eval_every=400, eval_train_size=1, seed=seed)
    return _summary(h)


def c10_run(data, bn, seed):
    """C10: 784-100-100-10, Adam 1e-3, all 4000 training images, 1500 steps; test accuracy every 50."""
    X_all, y_all, X_test, y_test = data[4:]
    h = train(mlp([784, 100, 100, 10], bn=bn, seed=seed), X_all, y_all, Adam(1e-3), num_steps=1500,
              X_val=X_test, y_val=y_test, eval_every=50, eval_train_size=1, seed=seed)
    return {"steps_to_90": h.steps_to(0.90), "final_acc": float(h["val_acc"][-1]), "diverged": bool(h["diverged"])}


def load_results(path=None):
    """The stored sweep results (a dict; see ``tools/ch4_sweeps.py`` for its layout)."""
    p = pathlib.Path(path) if path is not None else RESULTS_FILE
    if not p.is_file():
        raise FileNotFoundError(f"{p} not found: run `python tools/ch4_sweeps.py` to create it")
    return json.loads(p.read_text())


def mean_sd(values):
    """Mean and sample standard deviation (ddof=1; 0 for a single value) of a list of numbers."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise ValueError("mean_sd needs at least one value, got none")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0
