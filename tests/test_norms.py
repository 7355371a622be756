"""Tests for bnutils.norms (chapter 9): layer/group/instance norm against Keras, gradients against
numerical ones, batch renorm's two limits, the layers, and the chapter-9 checker."""
import numpy as np
import pytest

from bnutils import batchnorm_forward, numerical_gradient, rel_error
from bnutils.checkers.beyond import check_layer_norm
from bnutils.norms import (BatchRenorm, GroupNorm, LayerNorm, batch_renorm_backward, batch_renorm_forward,
                           group_norm, group_norm_backward, instance_norm, layer_norm)


def _params(rng, c, dtype=np.float32):
    return rng.normal(1.0, 0.5, c).astype(dtype), rng.normal(0.0, 1.0, c).astype(dtype)


@pytest.mark.parametrize("shape", [(16, 10), (4, 5, 5, 8)])
def test_layer_norm_matches_keras(keras, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, shape).astype(np.float32)
    gamma, beta = _params(rng, shape[-1])
    axis = -1 if len(shape) == 2 else [1, 2, 3]
    ref = keras.layers.LayerNormalization(axis=axis, epsilon=1e-3)
    ref.build(x.shape)
    # Keras gives layer norm over (H, W, C) a (H, W, C) gamma; ours is per channel, so broadcast it
    ref.set_weights([np.broadcast_to(gamma, shape[1:]), np.broadcast_to(beta, shape[1:])])
    err = float(np.max(np.abs(layer_norm(x, gamma, beta, eps=1e-3)[0] - ref(x).numpy())))
    print(f"layer norm {shape} vs keras: max abs difference {err:.2e} (should be below 1e-5)")
    assert err < 1e-5


@pytest.mark.parametrize("groups", [1, 2, 4, 8])
def test_group_norm_matches_keras(keras, groups):
    rng = np.random.default_rng(groups)
    x = rng.normal(-1.0, 2.0, (3, 6, 4, 8)).astype(np.float32)
    gamma, beta = _params(rng, 8)
    ref = keras.layers.GroupNormalization(groups=groups, epsilon=1e-3)
    ref.build(x.shape)
    ref.set_weights([gamma, beta])
    err = float(np.max(np.abs(group_norm(x, gamma, beta, groups, eps=1e-3)[0] - ref(x).numpy())))
    print(f"group norm G={groups} vs keras: max abs difference {err:.2e} (should be below 1e-5)")
    assert err < 1e-5


def test_instance_norm_is_group_norm_with_c_groups_and_per_channel_stats():
    rng = np.random.default_rng(3)
    x = rng.normal(5.0, 2.0, (2, 4, 3, 6))
    gamma, beta = _params(rng, 6, np.float64)
    y = instance_norm(x, gamma, beta)[0]
    assert np.array_equal(y, group_norm(x, gamma, beta, 6)[0])
    mu = x.mean(axis=(1, 2), keepdims=True)
    by_hand = gamma * (x - mu) / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-5) + beta
    err = float(np.max(np.abs(y - by_hand)))
    print(f"instance norm vs per-(example, channel) statistics: {err:.2e} (should be below 1e-12)")
    assert err < 1e-12


@pytest.mark.parametrize("shape,groups", [((4, 6), 1), ((4, 6), 2), ((3, 4, 3, 6), 1), ((3, 4, 3, 6), 3),
                                          ((3, 4, 3, 6), 6)])
def test_group_norm_gradients(shape, groups):
    rng = np.random.default_rng(7)
    x = rng.normal(1.0, 2.0, shape)
    gamma, beta = _params(rng, shape[-1], np.float64)
    dy = rng.normal(size=shape)
    _, cache = group_norm(x, gamma, beta, groups)
    dx, dgamma, dbeta = group_norm_backward(dy, cache)
    errs = [rel_error(dx, numerical_gradient(lambda v: group_norm(v, gamma, beta, groups)[0], x.copy(), dy)),
            rel_error(dgamma, numerical_gradient(lambda v: group_norm(x, v, beta, groups)[0], gamma.copy(), dy)),
            rel_error(dbeta, numerical_gradient(lambda v: group_norm(x, gamma, v, groups)[0], beta.copy(), dy))]
    print(f"group norm {shape} G={groups}: relative errors {errs} (should be below 1e-6)")
    assert max(errs) < 1e-6


def test_layer_norm_does_not_depend_on_the_batch():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(10, 7))
    gamma, beta = _params(rng, 7, np.float64)
    alone = layer_norm(x[:1], gamma, beta)[0]
    in_batch = layer_norm(x, gamma, beta)[0][:1]
    assert np.allclose(alone, in_batch, rtol=0, atol=1e-14)


def test_batch_renorm_limits_and_gradient():
    rng = np.random.default_rng(2)
    x = rng.normal(2.0, 3.0, (8, 5))
    gamma, beta = _params(rng, 5, np.float64)
    mm, mv = rng.normal(size=5), rng.uniform(0.5, 2.0, 5)
    y, r, d, _ = batch_renorm_forward(x, gamma, beta, mm, mv, rmax=1.0, dmax=0.0)
    assert np.array_equal(r, np.ones(5)) and np.array_equal(d, np.zeros(5))
    err_bn = float(np.max(np.abs(y - batchnorm_forward(x, gamma, beta, eps=1e-3)[0])))
    y, r, d, _ = batch_renorm_forward(x, gamma, beta, mm, mv, rmax=1e9, dmax=1e9)
    err_inf = float(np.max(np.abs(y - (gamma * (x - mm) / np.sqrt(mv + 1e-3) + beta))))
    print(f"rmax=1, dmax=0 vs BN: {err_bn:.1e}; unclipped vs inference formula: {err_inf:.1e} (below 1e-12)")
    assert err_bn < 1e-12 and err_inf < 1e-12
    dy = rng.normal(size=x.shape)
    y, r, d, cache = batch_renorm_forward(x, gamma, beta, mm, mv, rmax=1.5, dmax=0.5)
    assert np.all(r <= 1.5) and np.all(np.abs(d) <= 0.5)
    dx, dgamma, _ = batch_renorm_backward(dy, cache)

    def fixed_rd(v):  # r and d held constant, as in the paper
        xhat = batchnorm_forward(v, np.ones(5), np.zeros(5), eps=1e-3)[0]
        return gamma * (xhat * r + d) + beta

    e_dx = rel_error(dx, numerical_gradient(fixed_rd, x.copy(), dy))
    e_dg = rel_error(dgamma, numerical_gradient(
        lambda v: batch_renorm_forward(x, v, beta, mm, mv, 1.5, 0.5)[0], gamma.copy(), dy))
    print(f"batch renorm gradients: relative errors {e_dx:.1e}, {e_dg:.1e} (should be below 1e-6)")
    assert e_dx < 1e-6 and e_dg < 1e-6


def test_layers_train_and_infer():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 8)).astype(np.float32)
    for layer in (LayerNorm(8), GroupNorm(8, 4), BatchRenorm(8)):
        y = layer.forward(x, training=True)
        dx = layer.backward(np.ones_like(y))
        assert y.shape == x.shape == dx.shape and set(layer.grads) == {"gamma", "beta"}
    ln = LayerNorm(8)
    assert np.array_equal(ln.forward(x, training=True), ln.forward(x, training=False))
    brn = BatchRenorm(8, momentum=0.5)
    brn.forward(x + 3.0, training=True)
    assert np.allclose(brn.moving_mean, 0.5 * (x + 3.0).mean(0))


def test_bad_input_raises_clear_errors():
    x = np.zeros((4, 6))
    with pytest.raises(ValueError, match="4 groups do not divide"):
        group_norm(x, np.ones(6), np.zeros(6), 4)
    with pytest.raises(ValueError, match="gamma has shape"):
        layer_norm(x, np.ones(5), np.zeros(6))
    with pytest.raises(ValueError, match="instance norm needs images"):
        instance_norm(x, np.ones(6), np.zeros(6))
    with pytest.raises(ValueError, match="rmax must be >= 1"):
        batch_renorm_forward(x, np.ones(6), np.zeros(6), np.zeros(6), np.ones(6), rmax=0.5)


def test_checker_passes_reference_and_diagnoses_batch_axis():
    assert check_layer_norm(lambda x, g, b, eps: layer_norm(x, g, b, eps)[0])

    def batch_norm_instead(x, g, b, eps):
        return g * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + b

    res = check_layer_norm(batch_norm_instead)
    print(res.report())
    assert not res and "batch norm" in res.report()
