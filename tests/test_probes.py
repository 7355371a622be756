"""Tests for bnutils.probes, GhostBatchNorm, bn_jacobian, the state helpers of bnutils.models and
bnutils.checkers.why (chapter 7)."""
import numpy as np
import pytest

from bnutils import batchnorm_forward, numerical_gradient, rel_error
from bnutils import probes as ex
from bnutils.batchnorm import GhostBatchNorm
from bnutils.bn import bn_jacobian
from bnutils.models import get_params, layer_output, set_params
from bnutils.checkers.why import check_bn_jacobian
from bnutils.batchnorm import BatchNorm
from bnutils.models import mlp


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, (n, 12)).astype(np.float32), rng.integers(0, 3, n)


def test_bn_jacobian_matches_numerical():
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 1.5, (6, 1))
    J = np.zeros((6, 6))
    for i in range(6):
        dy = np.zeros((6, 1))
        dy[i] = 1.0
        J[i] = numerical_gradient(lambda v: batchnorm_forward(v, np.array([1.3]), np.array([0.2]), eps=1e-5)[0],
                                  x.copy(), dy, h=1e-6)[:, 0]
    err = rel_error(J, bn_jacobian(x[:, 0], 1.3, 1e-5))
    print(f"relative error {err:.1e}")
    assert err < 1e-7
    # each row sums to zero: shifting every input by the same amount changes nothing
    assert np.allclose(bn_jacobian(x[:, 0], 1.3).sum(axis=1), 0, atol=1e-10)


def test_bn_jacobian_rejects_bad_input():
    with pytest.raises(ValueError, match="1-D batch"):
        bn_jacobian(np.ones((3, 2)))


def test_check_bn_jacobian_passes_reference_and_diagnoses_naive():
    assert check_bn_jacobian(bn_jacobian)
    res = check_bn_jacobian(lambda x, g, eps: g / np.sqrt(x.var() + eps) * np.eye(x.size))
    assert not res
    assert any("constants" in line for line in res.lines)


def test_noisy_shift_changes_distribution_and_backward():
    layer = ex.NoisyShift(5, shift_max=2.0, scale_max=3.0, rng=0)
    x = np.ones((4, 5), np.float32)
    y1, y2 = layer.forward(x, training=True), layer.forward(x, training=True)
    assert not np.allclose(y1, y2)                       # new noise every step
    assert np.allclose(y2, layer.last_scale * x + layer.last_shift)
    assert np.all((layer.last_scale >= 1) & (layer.last_scale <= 3))
    assert np.allclose(layer.backward(np.ones_like(x)), layer.last_scale)
    assert np.allclose(layer.forward(x), 2.0)           # inference: mean scale, no shift
    with pytest.raises(ValueError):
        ex.NoisyShift(5, scale_max=0.5)


def test_noisy_bn_mlp_structure():
    net = ex.noisy_bn_mlp([12, 8, 8, 3], seed=0)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds.count("NoisyShift") == kinds.count("BatchNorm") == 2
    assert kinds[kinds.index("BatchNorm") + 1] == "NoisyShift"


def test_ghost_bn_equals_bn_when_ghost_is_whole_batch_and_differs_otherwise():
    X, _ = _data()
    bn, gbn, g16 = BatchNorm(12), GhostBatchNorm(12, 64), GhostBatchNorm(12, 16)
    y, yg, y16 = bn.forward(X, True), gbn.forward(X, True), g16.forward(X, True)
    assert np.allclose(y, yg, atol=1e-6) and not np.allclose(y, y16, atol=1e-3)
    dy = np.random.default_rng(2).normal(size=X.shape).astype(np.float32)
    assert np.allclose(bn.backward(dy), gbn.backward(dy), atol=1e-5)
    assert np.allclose(bn.dgamma, gbn.dgamma, atol=1e-4)
    # each ghost batch is normalized on its own
    assert np.allclose(y16[:16], bn.forward(X[:16], True), atol=1e-6)
    with pytest.raises(ValueError, match="multiple"):
        g16.forward(X[:20], True)


def test_ghost_bn_gradient_is_correct():
    X, _ = _data(32)
    layer = GhostBatchNorm(12, 8)
    layer.gamma = np.linspace(0.5, 1.5, 12).astype(np.float32)
    Xd = X.astype(np.float64)
    dy = np.random.default_rng(3).normal(size=X.shape)
    layer.forward(Xd.astype(np.float32), True)
    dx = layer.backward(dy.astype(np.float32))
    num = numerical_gradient(lambda v: GhostBatchNorm(12, 8).forward(v, True) * layer.gamma.astype(np.float64),
                             Xd.copy(), dy, h=1e-5)
    err = rel_error(dx, num)
    print(f"relative error {err:.1e}")
    assert err < 1e-4


def test_layer_output_leaves_moving_statistics_alone():
    X, _ = _data()
    net = mlp([12, 8, 3], bn="before", seed=0)
    bn = net.layers[2]
    before = bn.moving_mean.copy()
    out = layer_output(net, X, 2)
    assert out.shape == (64, 8)
    assert np.allclose(out.mean(axis=0), 0, atol=1e-5)   # batch statistics were used
    assert np.array_equal(bn.moving_mean, before)
    with pytest.raises(IndexError):
        layer_output(net, X, 10)


def test_gradient_direction_probe_restores_and_is_consistent():
    X, y = _data()
    net = mlp([12, 16, 3], seed=1)
    w0 = get_params(net)
    out = ex.gradient_direction_probe(net, X, y, [1e-4, 0.5])
    assert all(np.array_equal(a, b) for a, b in zip(w0, get_params(net)))
    # a tiny step along -g lowers the loss by about eta * ||g||^2
    drop = out["loss0"] - out["losses"][0]
    print(f"drop {drop:.3e}, predicted {1e-4 * out['grad_norm'] ** 2:.3e}")
    assert drop == pytest.approx(1e-4 * out["grad_norm"] ** 2, rel=0.05)
    assert out["grad_change"][1] > out["grad_change"][0]


def test_accumulated_gradient_equals_full_without_bn_only():
    X, y = _data()
    plain, bn = mlp([12, 16, 3], seed=2), mlp([12, 16, 3], bn="before", seed=2)
    e_plain = rel_error(ex.accumulated_gradient(plain, X, y, 4), ex.accumulated_gradient(plain, X, y, 1))
    e_bn = rel_error(ex.accumulated_gradient(bn, X, y, 4), ex.accumulated_gradient(bn, X, y, 1))
    print(f"plain {e_plain:.1e}, BN {e_bn:.1e}")
    assert e_plain < 1e-5 and e_bn > 1e-2
    with pytest.raises(ValueError, match="equal micro-batches"):
        ex.accumulated_gradient(plain, X, y, 5)


def test_batch_statistics_noise_follows_inverse_sqrt():
    x = np.random.default_rng(4).normal(0, 2.0, 5000)
    res = ex.batch_statistics_noise(x, [16, 256], 300, np.random.default_rng(5))
    ratio = res["std_mean"][0] / res["std_mean"][1]
    print(f"ratio {ratio:.2f} (expected 4)")
    assert 3.2 < ratio < 4.8
    assert res["std_mean"][0] == pytest.approx(2.0 / 4, rel=0.15)
    with pytest.raises(ValueError):
        ex.batch_statistics_noise(x, [1], 10, np.random.default_rng(0))


def test_set_params_checks_shapes():
    net = mlp([12, 4, 3], seed=0)
    with pytest.raises(ValueError):
        set_params(net, [np.zeros(1)])


def test_frozen_statistics_restores_nested_and_renorm_layers_and_params():
    from bnutils.models import Sequential, frozen_statistics
    from bnutils.norms import BatchRenorm

    class Block:                                   # a container as bnutils.deep.Residual: layers in .branch
        def __init__(self, layers):
            self.branch, self.params, self.grads = Sequential(layers), {}, {}

        def forward(self, x, training=False):
            return x + self.branch.forward(x, training)

    inner, renorm = BatchNorm(4), BatchRenorm(4)
    net = Sequential([Block([inner]), renorm])
    x = np.random.default_rng(0).normal(3.0, 2.0, (16, 4)).astype(np.float32)
    before = [a.copy() for a in (inner.moving_mean, inner.moving_variance, renorm.moving_mean, renorm.moving_variance)]
    g0 = get_params(net)
    with frozen_statistics(net, params=True):
        net.forward(x, training=True)
        renorm.params["gamma"][...] = 5.0
        assert not np.array_equal(inner.moving_mean, before[0])
    after = (inner.moving_mean, inner.moving_variance, renorm.moving_mean, renorm.moving_variance)
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert all(np.array_equal(a, b) for a, b in zip(g0, get_params(net)))
