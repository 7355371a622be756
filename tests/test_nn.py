"""Gradient checks of every layer and of whole networks; model construction."""
import numpy as np
import pytest

from bnutils import numerical_gradient, rel_error
from bnutils.batchnorm import BatchNorm
from bnutils.nn import (ELU, Conv2D, Dense, Dropout, LeakyReLU, MaxPool2D, ReLU, Sigmoid, Tanh, softmax,
                        softmax_cross_entropy)
from bnutils.models import mlp, small_cnn


def _check_layer(layer, x, training=True, tol=1e-7):
    rng = np.random.default_rng(0)
    y = layer.forward(x, training=training)
    dy = rng.normal(size=y.shape)
    dx = layer.backward(dy)
    num = numerical_gradient(lambda z: layer.forward(z, training=training), x, dy)
    errs = {"x": rel_error(dx, num)}
    for name, p in layer.params.items():
        layer.forward(x, training=training)
        layer.backward(dy)
        g = layer.grads[name].copy()
        errs[name] = rel_error(g, numerical_gradient(lambda _: layer.forward(x, training=training), p, dy))
    print(type(layer).__name__, errs)
    assert max(errs.values()) < tol, errs


@pytest.mark.parametrize("layer", [Dense(5, 4, rng=0, dtype=np.float64), ReLU(), LeakyReLU(0.1), Sigmoid(), Tanh(),
                                   ELU(), BatchNorm(5, dtype=np.float64)])
def test_dense_and_activations(layer):
    x = np.random.default_rng(1).normal(size=(6, 5))
    x[np.abs(x) < 1e-3] = 0.1   # keep away from the kinks
    _check_layer(layer, x)


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv2d(padding):
    layer = Conv2D(2, 3, 3, padding=padding, rng=0, dtype=np.float64)
    x = np.random.default_rng(2).normal(size=(2, 5, 6, 2))
    _check_layer(layer, x)


def test_maxpool():
    x = np.random.default_rng(3).permutation(2 * 4 * 4 * 3).reshape(2, 4, 4, 3).astype(np.float64)
    _check_layer(MaxPool2D(), x)
    # ties (all zeros after a ReLU) route the gradient to one position only
    y = MaxPool2D()
    y.forward(np.zeros((1, 2, 2, 1)))
    assert y.backward(np.ones((1, 1, 1, 1))).sum() == 1.0


def test_softmax_cross_entropy():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(5, 3)) * 10
    y = np.array([0, 2, 1, 1, 0])
    loss, d = softmax_cross_entropy(logits, y)
    num = numerical_gradient(lambda z: softmax_cross_entropy(z, y)[0], logits, 1.0)
    assert rel_error(d, num) < 1e-7
    assert np.allclose(softmax(logits).sum(1), 1.0)
    assert np.isfinite(softmax_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([1]))[0])
    with pytest.raises(ValueError, match="y has shape"):
        softmax_cross_entropy(logits, y[:3])


def test_dropout_masks_activations_and_is_identity_at_inference():
    d = Dropout(0.5, rng=0)
    x = np.ones((1000, 10), np.float32)
    y = d.forward(x, training=True)
    assert set(np.unique(y)) == {0.0, 2.0} and abs(y.mean() - 1.0) < 0.05
    assert np.array_equal(d.forward(x, training=False), x)


@pytest.mark.parametrize("bn", [None, "before", "after"])
def test_mlp_gradients_and_structure(bn):
    net = mlp([6, 5, 4, 3], activation="tanh", bn=bn, seed=0)
    for layer, name in net.parameters():
        layer.params[name] = layer.params[name].astype(np.float64)
    dense = [l for l in net.layers if isinstance(l, Dense)]
    assert [("b" in l.params) for l in dense[:-1]] == [bn != "before"] * 2   # bias dropped before BN
    assert sum(isinstance(l, BatchNorm) for l in net.layers) == (0 if bn is None else 2)
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(8, 6)), rng.integers(0, 3, 8)
    net.loss_and_grads(X, y)
    for layer, name in net.parameters():
        g = layer.grads[name].copy()
        num = numerical_gradient(lambda _: net.forward(X, training=True), layer.params[name],
                                 softmax_cross_entropy(net.forward(X, training=True), y)[1])
        # the loss is linear in the logits only locally: compare with the chain rule through dlogits
        assert rel_error(g, num) < 1e-6, (name, rel_error(g, num))


def test_small_cnn_runs_and_backprops():
    net = small_cnn(bn=True, seed=0)
    X = np.random.default_rng(6).random((4, 28, 28), dtype=np.float32)
    loss, logits = net.loss_and_grads(X, np.array([0, 1, 2, 3]))
    assert logits.shape == (4, 10) and np.isfinite(loss)
    assert all(np.all(np.isfinite(l.grads[n])) for l, n in net.parameters())


def test_mlp_rejects_bad_arguments():
    with pytest.raises(ValueError, match="bn must be"):
        mlp([4, 3], bn="middle")
    with pytest.raises(ValueError, match="activation"):
        mlp([4, 3, 2], activation="swish")
    with pytest.raises(ValueError, match="x has shape"):
        Dense(3, 2, rng=0).forward(np.ones((2, 4), np.float32))
