"""Tests for bnutils.inference and bnutils.checkers.inference (chapter 5)."""
import numpy as np
import pytest

from bnutils import BatchNorm, batchnorm_inference
from bnutils import inference as inf
from bnutils.checkers.inference import check_fold_batchnorm, check_running_update
from bnutils.nn import Conv2D, Dense
from bnutils.models import Sequential, bn_layers, get_statistics, mlp, set_statistics, small_cnn


def test_ema_update_conventions_agree():
    rng = np.random.default_rng(0)
    run, new = rng.normal(size=5), rng.normal(size=5)
    k = inf.ema_update(run, new, 0.99, "keras")
    t = inf.ema_update(run, new, 0.01, "pytorch")
    np.testing.assert_allclose(k, 0.99 * run + 0.01 * new)
    np.testing.assert_allclose(k, t)


def test_ema_update_bad_input():
    with pytest.raises(ValueError, match="convention"):
        inf.ema_update(np.zeros(2), np.zeros(2), 0.9, "tf1")
    with pytest.raises(ValueError, match="momentum"):
        inf.ema_update(np.zeros(2), np.zeros(2), 1.5)
    with pytest.raises(ValueError, match="shape"):
        inf.ema_update(np.zeros(2), np.zeros(3), 0.9)


def test_ema_trace_matches_layer():
    rng = np.random.default_rng(1)
    layer = BatchNorm(3)
    mus, vars_ = [], []
    for _ in range(20):
        x = rng.normal(2.0, 3.0, (8, 3)).astype(np.float32)
        mus.append(x.mean(0))
        vars_.append(x.var(0))
        layer.forward(x, training=True)
    err_m = np.abs(inf.ema_trace(np.array(mus), 0.99)[-1] - layer.moving_mean).max()
    err_v = np.abs(inf.ema_trace(np.array(vars_), 0.99, init=1.0)[-1] - layer.moving_variance).max()
    print(f"ema_trace vs BatchNorm: {err_m:.1e}, {err_v:.1e} (should be below 1e-5)")
    assert err_m < 1e-5 and err_v < 1e-5


def test_ema_trace_debias_and_properties():
    const = inf.ema_trace(np.full(50, 3.0), 0.9, init=0.0, debias=True)
    np.testing.assert_allclose(const, 3.0)              # debiased: no start-up bias at all
    biased = inf.ema_trace(np.full(50, 3.0), 0.9, init=0.0)
    np.testing.assert_allclose(biased, 3.0 * (1 - 0.9 ** np.arange(1, 51)))
    ramp = np.arange(1, 2001, dtype=float)
    assert abs(ramp[-1] - inf.ema_trace(ramp, 0.99)[-1] - 99.0) < 1e-6
    assert inf.effective_window(0.99) == pytest.approx(100)
    assert inf.effective_window(0.1, "pytorch") == pytest.approx(10)


def _bn_net(seed=0):
    net = mlp([6, 5, 4, 3], bn="before", seed=seed)
    rng = np.random.default_rng(seed)
    for layer in bn_layers(net):
        layer.gamma = rng.normal(1, 0.3, layer.num_features).astype(np.float32)
        layer.beta = rng.normal(0, 0.5, layer.num_features).astype(np.float32)
    return net


def test_population_statistics_single_layer_is_algorithm_2():
    rng = np.random.default_rng(2)
    X = rng.normal(1.0, 2.0, (64, 4)).astype(np.float32)
    net = Sequential([BatchNorm(4)])
    before = get_statistics(net)
    stats = inf.population_statistics(net, X, batch_size=16, seed=3)
    order = np.random.default_rng(3).permutation(64)
    bs = X[order].reshape(4, 16, 4)
    np.testing.assert_allclose(stats[0][0], bs.mean(1).mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats[0][1], bs.var(1).mean(0) * 16 / 15, rtol=1e-5)
    biased = inf.population_statistics(net, X, batch_size=16, seed=3, unbiased=False)
    np.testing.assert_allclose(biased[0][1], bs.var(1).mean(0), rtol=1e-5)
    for (m0, v0), (m1, v1) in zip(before, get_statistics(net)):   # the network is unchanged
        assert np.array_equal(m0, m1) and np.array_equal(v0, v1)


def test_exact_statistics_normalizes_every_layer():
    rng = np.random.default_rng(4)
    X = rng.normal(0.5, 1.0, (300, 6)).astype(np.float32)
    net = _bn_net()
    stats = inf.exact_statistics(net, X)
    set_statistics(net, stats)
    x = X
    for layer in net.layers:            # with these statistics, each BN layer's input is standardized
        if isinstance(layer, BatchNorm):
            z = (x - layer.moving_mean) / np.sqrt(layer.moving_variance)
            assert np.abs(z.mean(0)).max() < 1e-4 and np.abs(z.var(0) - 1).max() < 1e-3
        x = layer.forward(x, training=False)


def test_set_statistics_validates_and_changes_nothing_on_error():
    net = _bn_net()
    before = get_statistics(net)
    with pytest.raises(ValueError, match="BN layers"):
        set_statistics(net, before[:1])
    bad = [before[0], (np.zeros(4), -np.ones(4))]
    with pytest.raises(ValueError, match="var"):
        set_statistics(net, bad)
    bad = [(np.zeros(5) + 7, np.ones(5) * 7), (np.zeros(3), np.ones(3))]
    with pytest.raises(ValueError, match="features"):
        set_statistics(net, bad)
    for (m0, v0), (m1, v1) in zip(before, get_statistics(net)):
        assert np.array_equal(m0, m1) and np.array_equal(v0, v1)


@pytest.mark.parametrize("shape", [(7, 5), (3, 3, 2, 5)])
def test_fold_batchnorm_matches_inference(shape):
    rng = np.random.default_rng(5)
    W, b = rng.normal(size=shape), rng.normal(size=5)
    gamma, beta = rng.normal(1, 0.3, 5), rng.normal(size=5)
    mean, var = rng.normal(size=5), rng.uniform(0.1, 2, 5)
    x = rng.normal(size=(4, int(np.prod(shape[:-1]))))
    W2, b2 = inf.fold_batchnorm(W, b, gamma, beta, mean, var, 1e-3)
    assert W2.shape == W.shape
    z = x @ W.reshape(-1, 5) + b
    ref = batchnorm_inference(z, mean, var, gamma, beta, eps=1e-3)
    err = np.abs(x @ W2.reshape(-1, 5) + b2 - ref).max()
    print(f"folded vs BN(x W + b): {err:.1e} (should be below 1e-12)")
    assert err < 1e-12


def test_fold_batchnorm_bad_shapes():
    with pytest.raises(ValueError, match="gamma has shape"):
        inf.fold_batchnorm(np.ones((3, 4)), None, np.ones(5), np.zeros(4), np.zeros(4), np.ones(4), 1e-3)


def test_fold_network_mlp_and_cnn():
    rng = np.random.default_rng(6)
    net = _bn_net()
    X = rng.normal(size=(50, 6)).astype(np.float32)
    set_statistics(net, inf.exact_statistics(net, X))
    folded = inf.fold_network(net)
    assert not bn_layers(folded) and len(bn_layers(net)) == 2
    assert np.abs(folded.forward(X) - net.forward(X)).max() < 1e-4
    cnn = small_cnn(channels=(4,), bn=True, seed=1, size=8)
    Xi = rng.uniform(size=(10, 8, 8)).astype(np.float32)
    set_statistics(cnn, inf.exact_statistics(cnn, Xi))
    folded = inf.fold_network(cnn)
    assert any(isinstance(layer, Conv2D) and layer.use_bias for layer in folded.layers)
    assert np.abs(folded.forward(Xi) - cnn.forward(Xi)).max() < 1e-4
    # a Dense with its own bias, followed by BN
    net2 = Sequential([Dense(6, 3, use_bias=True, rng=0), BatchNorm(3)])
    net2.layers[0].params["b"][:] = [1.0, -2.0, 0.5]
    set_statistics(net2, [(np.array([0.3, -1, 2], np.float32), np.array([2, 0.5, 1], np.float32))])
    assert np.abs(inf.fold_network(net2).forward(X) - net2.forward(X)).max() < 1e-5


def test_check_fold_batchnorm_passes_and_diagnoses():
    assert check_fold_batchnorm(inf.fold_batchnorm)

    def forgot_bias(W, b, gamma, beta, mean, var, eps):
        a = gamma / np.sqrt(var + eps)
        return W * a, beta - mean * a

    def var_as_std(W, b, gamma, beta, mean, var, eps):
        a = gamma / (var + eps)
        return W * a, (b - mean) * a + beta

    r = check_fold_batchnorm(forgot_bias)
    assert not r and any("bias b is forgotten" in line for line in r.lines)
    r = check_fold_batchnorm(var_as_std)
    assert not r and any("standard deviation" in line for line in r.lines)


def test_check_running_update_passes_and_diagnoses():
    def good(rm, rv, x, mom):
        layer = BatchNorm.from_pytorch(x.shape[1], momentum=mom, axis=-1, dtype=np.float64)
        layer.running_mean[...] = rm
        layer.running_var[...] = rv
        layer.forward(x, training=True)
        return layer.running_mean.copy(), layer.running_var.copy()

    def keras_style(rm, rv, x, mom):
        return mom * rm + (1 - mom) * x.mean(0), mom * rv + (1 - mom) * x.var(0) * len(x) / (len(x) - 1)

    def biased(rm, rv, x, mom):
        return (1 - mom) * rm + mom * x.mean(0), (1 - mom) * rv + mom * x.var(0)

    assert check_running_update(good)
    r = check_running_update(keras_style)
    assert not r and any("Keras convention" in line for line in r.lines)
    r = check_running_update(biased)
    assert not r and any("biased batch variance" in line for line in r.lines)
