"""Data for the course: the MNIST-5k subset, shipped inside the package.

``data/mnist5k.npz`` (0.8 MB) is the one copy in the repository; ``bnutils/mnist5k.npz`` is a
symbolic link to it, and ``pyproject.toml`` lists it as package data, so a wheel or a
``pip install git+...`` carries the file and ``load_mnist5k`` never needs the network (Colab,
Binder, a plain ``pip install`` from anywhere). Every load checks the sha256. Used from chapter 4 on.
"""
from __future__ import annotations

import hashlib
import importlib.resources
import pathlib

import numpy as np

__all__ = ["load_mnist5k", "mnist5k_path", "MNIST5K_SHA256", "DataIntegrityError", "DataNotFoundError"]

MNIST5K_FILE = "mnist5k.npz"
MNIST5K_SHA256 = "a726012be374a1b1dfa0280e806b75e5e07d3ec17e08273236c3730ab36dbd13"


class DataIntegrityError(OSError):
    """A data file whose sha256 is not the expected one."""


class DataNotFoundError(FileNotFoundError):
    """The data file is in none of the places bnutils looks."""


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _candidates():
    """Where the file may be, in order: inside the installed package, then a checkout's data/."""
    here = pathlib.Path(__file__).resolve().parent
    out = [pathlib.Path(str(importlib.resources.files("bnutils") / MNIST5K_FILE))]
    for parent in (here.parent, pathlib.Path.cwd(), pathlib.Path.cwd().parent):
        out.append(parent / "data" / MNIST5K_FILE)
    return list(dict.fromkeys(out))


def mnist5k_path():
    """Path to a verified copy of mnist5k.npz (the package's own, or a checkout's ``data/``).

    Raises:
        DataNotFoundError: no copy anywhere; the message lists where it looked and what to do.
        DataIntegrityError: a copy whose sha256 is wrong.
    """
    looked = _candidates()
    for p in looked:
        if p.is_file():
            got = _sha256(p)
            if got != MNIST5K_SHA256:
                raise DataIntegrityError(
                    f"{p} has sha256 {got} but {MNIST5K_SHA256} was expected: the file is damaged; "
                    "reinstall bnutils (pip install --force-reinstall) or restore data/mnist5k.npz from git")
            return p
    where = "\n  ".join(str(p) for p in looked)
    raise DataNotFoundError(
        f"{MNIST5K_FILE} (MNIST-5k, 0.8 MB, sha256 {MNIST5K_SHA256[:12]}...) was not found. Looked in:\n  {where}\n"
        "It ships inside the bnutils package: reinstall it (pip install --force-reinstall "
        "'bnutils @ git+https://github.com/bn-interactively/batchnorm-interactively'), or pass "
        "load_mnist5k(path=...) to a copy of data/mnist5k.npz from the course repository.")


def load_mnist5k(seed=0, n_test_per_class=100, path=None):
    """Load MNIST-5k as float32 images in [0, 1], split into train and test sets.

    Args:
        seed: seeds the shuffle, so the split and order are reproducible.
        n_test_per_class: test images per digit (100 gives the 4000/1000 split).
        path: an explicit .npz file (default: :func:`mnist5k_path`).

    Returns:
        X_train (4000, 28, 28) float32, y_train (4000,) int64,
        X_test (1000, 28, 28) float32, y_test (1000,) int64.
        Both sets hold every digit in equal numbers (stratified) and are shuffled.
    """
    if not 0 < n_test_per_class < 500:
        raise ValueError(f"n_test_per_class must be between 1 and 499, got {n_test_per_class}")
    if path is not None:
        p = pathlib.Path(path)
        if not p.is_file():
            raise DataNotFoundError(f"load_mnist5k(path={str(path)!r}): no such file; expected a copy of "
                                    f"{MNIST5K_FILE}, or leave path=None to use the copy inside bnutils")
    else:
        p = mnist5k_path()
    with np.load(p) as f:
        images, labels = f["images"], f["labels"].astype(np.int64)
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        test_idx.append(idx[:n_test_per_class])
        train_idx.append(idx[n_test_per_class:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    X = images.astype(np.float32) / np.float32(255.0)
    return X[train_idx], labels[train_idx], X[test_idx], labels[test_idx]
