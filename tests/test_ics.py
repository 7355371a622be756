"""Tests for bnutils.ics (chapter 7): i.i.d. noisy batch norm and the gradient-based measure of
internal covariate shift."""
import numpy as np
import pytest

from bnutils.ics import IIDNoise, gradient_ics, iid_noisy_bn_mlp
from bnutils.models import mlp


def _data(n=48, d=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, (n, d)).astype(np.float32), rng.integers(0, 3, n)


def _params(net):
    return [lay.params[k].copy() for lay, k in net.parameters()]


def test_iid_noise_statistics_change_every_step_and_differ_per_example():
    layer = IIDNoise(4, mean_max=2.0, std_min=1.0, std_max=2.0, rng=0)
    x = np.zeros((20000, 4), np.float32)
    y1 = layer.forward(x, training=True)
    mu1, tau1 = layer.last_mean.copy(), layer.last_std.copy()
    y2 = layer.forward(x, training=True)
    # the noise has the drawn mean and standard deviation, per unit
    print("mean error", np.abs(y1.mean(0) - mu1).max(), "std error", np.abs(y1.std(0) - tau1).max())
    assert np.allclose(y1.mean(0), mu1, atol=0.05) and np.allclose(y1.std(0), tau1, rtol=0.03)
    assert np.all(np.abs(mu1) <= 2.0) and np.all((tau1 >= 1.0) & (tau1 <= 2.0))
    # a new distribution at the next step, and no two examples share their noise
    assert not np.allclose(layer.last_mean, mu1) and not np.allclose(y1.mean(0), y2.mean(0), atol=0.1)
    assert np.all(np.abs(y1[0] - y1[1]) > 0)
    assert y1.dtype == np.float32


def test_iid_noise_is_identity_in_inference_and_passes_gradients():
    layer = IIDNoise(3, rng=1)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(layer.forward(x, training=False), x)
    layer.forward(x, training=True)
    dy = np.ones((2, 3), np.float32)
    assert np.array_equal(layer.backward(dy), dy)


@pytest.mark.parametrize("kwargs, match", [
    ({"mean_max": -1.0}, "mean_max"),
    ({"std_min": 2.0, "std_max": 1.0}, "std_min <= std_max"),
    ({"std_max": float("nan")}, "std_min <= std_max"),
])
def test_iid_noise_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        IIDNoise(3, **kwargs)


def test_iid_noise_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"\(N, 3\) is expected"):
        IIDNoise(3, rng=0).forward(np.zeros((2, 4)), training=True)


def test_iid_noisy_bn_mlp_places_noise_after_every_bn():
    net = iid_noisy_bn_mlp([12, 8, 8, 3], seed=0)
    names = [type(lay).__name__ for lay in net.layers]
    print(names)
    after_bn = [names[i + 1] for i, n in enumerate(names) if n == "BatchNorm"]
    assert after_bn == ["IIDNoise", "IIDNoise"]


def test_gradient_ics_matches_a_manual_computation_and_restores_the_network():
    X, y = _data()
    net = mlp([12, 16, 16, 3], bn="before", seed=3)
    dense = [i for i, lay in enumerate(net.layers) if type(lay).__name__ == "Dense"]
    target = dense[1]
    before = _params(net)
    moving = [lay.moving_mean.copy() for lay in net.layers if hasattr(lay, "moving_mean")]
    res = gradient_ics(net, X, y, target, lr=0.5)
    # restored
    assert all(np.array_equal(a, b) for a, b in zip(before, _params(net)))
    assert all(np.array_equal(a, lay.moving_mean) for a, lay in zip(moving, [l for l in net.layers
                                                                            if hasattr(l, "moving_mean")]))
    # manual: gradient, update only the layers before the target, gradient again
    net.loss_and_grads(X, y)
    G = net.layers[target].grads["W"].astype(np.float64).copy()
    grads = {(id(lay), k): lay.grads[k].copy() for lay, k in net.parameters()}
    for lay in net.layers[:target]:
        for k in lay.params:
            lay.params[k] -= 0.5 * grads[(id(lay), k)]
    net.loss_and_grads(X, y)
    G1 = net.layers[target].grads["W"].astype(np.float64)
    print(res, np.linalg.norm(G - G1))
    assert res["l2"] > 0
    assert np.isclose(res["l2"], np.linalg.norm(G - G1), rtol=1e-4)
    assert np.isclose(res["rel"], res["l2"] / np.linalg.norm(G), rtol=1e-6)
    assert -1 <= res["cosine"] <= 1


def test_gradient_ics_is_zero_for_the_first_layer():
    X, y = _data()
    net = mlp([12, 16, 3], seed=0)
    first = [i for i, lay in enumerate(net.layers) if type(lay).__name__ == "Dense"][0]
    res = gradient_ics(net, X, y, first, lr=1.0)
    assert res["l2"] == 0.0 and np.isclose(res["cosine"], 1.0)


def test_gradient_ics_rejects_bad_arguments():
    X, y = _data()
    net = mlp([12, 16, 3], bn="before", seed=0)
    before = _params(net)
    with pytest.raises(ValueError, match="Dense layer is expected"):
        gradient_ics(net, X, y, 0 if type(net.layers[0]).__name__ != "Dense" else 1, lr=0.1)
    with pytest.raises(IndexError, match="out of range"):
        gradient_ics(net, X, y, 99, lr=0.1)
    with pytest.raises(ValueError, match="lr must be"):
        gradient_ics(net, X, y, [i for i, lay in enumerate(net.layers) if type(lay).__name__ == "Dense"][-1], lr=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, _params(net)))
