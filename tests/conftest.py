"""Shared test set-up: quiet TensorFlow before anything imports it, one BLAS thread."""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ.setdefault("MPLBACKEND", "Agg")

import pathlib  # noqa: E402

import pytest  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tf():
    """TensorFlow, imported once (and only by the tests that need it)."""
    import tensorflow

    return tensorflow


@pytest.fixture(scope="session")
def keras(tf):
    import keras

    return keras
