"""Data for the course: the MNIST-5k subset, found in a checkout or downloaded and verified.

``load_mnist5k`` looks for ``data/mnist5k.npz`` next to the package (a checkout or an editable
install), then in the cache directory, and only then downloads it from the repository, checking
its sha256 before it is kept. A corrupted or truncated download raises an error and leaves
nothing in the cache. Used from chapter 4 on.
"""
from __future__ import annotations

import hashlib
import os
import pathlib
import tempfile
import urllib.request

import numpy as np

from ._repo import RAW_URL

__all__ = ["load_mnist5k", "mnist5k_path", "MNIST5K_SHA256", "DataIntegrityError"]

MNIST5K_FILE = "mnist5k.npz"
MNIST5K_SHA256 = "a726012be374a1b1dfa0280e806b75e5e07d3ec17e08273236c3730ab36dbd13"
MNIST5K_URL = f"{RAW_URL}/data/{MNIST5K_FILE}"


class DataIntegrityError(OSError):
    """A data file whose sha256 is not the expected one."""


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _cache_dir():
    return pathlib.Path(os.environ.get("BNUTILS_CACHE", pathlib.Path.home() / ".cache" / "bnutils"))


def _checkout_file():
    """data/mnist5k.npz in the repository that holds this package, if there is one."""
    here = pathlib.Path(__file__).resolve().parent
    for parent in (here.parent, pathlib.Path.cwd(), pathlib.Path.cwd().parent):
        p = parent / "data" / MNIST5K_FILE
        if p.is_file():
            return p
    return None


def _download(url, dest, sha256, timeout=60):
    """Download url to dest via a temporary file; keep it only if its sha256 matches."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            for block in iter(lambda: resp.read(1 << 20), b""):
                out.write(block)
        got = _sha256(tmp)
        if got != sha256:
            raise DataIntegrityError(
                f"downloaded {url} has sha256 {got} but {sha256} was expected; "
                "the file was not kept (a partial or corrupted download?)"
            )
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dest


def mnist5k_path(url=None, cache_dir=None):
    """Path to a verified copy of mnist5k.npz: the checkout's, a cached one, or a fresh download.

    Args:
        url: where to download from if no local copy exists (default: the course repository).
        cache_dir: where downloads are kept (default ``$BNUTILS_CACHE`` or ``~/.cache/bnutils``).
    """
    if url is None:
        local = _checkout_file()
        if local is not None:
            got = _sha256(local)
            if got != MNIST5K_SHA256:
                raise DataIntegrityError(f"{local} has sha256 {got} but {MNIST5K_SHA256} was expected")
            return local
    cache = pathlib.Path(cache_dir) if cache_dir is not None else _cache_dir()
    cached = cache / MNIST5K_FILE
    if cached.is_file():
        if _sha256(cached) == MNIST5K_SHA256:
            return cached
        cached.unlink()  # a stale or damaged copy: fetch it again
    return _download(url or MNIST5K_URL, cached, MNIST5K_SHA256)


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
    p = pathlib.Path(path) if path is not None else mnist5k_path()
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
