"""Tests for chapter 6: Conv2D and MaxPool2D gradients (numerical, float64), spatial batch norm
against TensorFlow/Keras (NHWC) and across layouts (NCHW), and the chapter's exercise checker."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np
import pytest

from bnutils import BatchNorm, batchnorm_backward, batchnorm_forward, numerical_gradient, rel_error
from bnutils.checkers.conv import check_spatial_batchnorm_forward
from bnutils.nn import Conv2D, MaxPool2D


# --------------------------------------------------------------------------- Conv2D
@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_conv2d_gradients_match_numerical(padding, use_bias):
    rng = np.random.default_rng(10)
    conv = Conv2D(2, 3, kernel_size=3, padding=padding, use_bias=use_bias, rng=rng, dtype=np.float64)
    if use_bias:
        conv.params["b"][:] = rng.normal(size=3)
    x = rng.normal(size=(2, 5, 4, 2))
    y = conv.forward(x)
    dy = rng.normal(size=y.shape)
    dx = conv.backward(dy)
    dx_num = numerical_gradient(lambda v: conv.forward(v), x, dy)
    errs = {"x": rel_error(dx, dx_num)}
    for name in conv.params:
        p = conv.params[name]
        analytic = conv.grads[name].copy()
        errs[name] = rel_error(analytic, numerical_gradient(lambda v: conv.forward(x), p, dy))
    print(f"Conv2D({padding}, bias={use_bias}) relative errors: {errs} (should be below 1e-8)")
    assert max(errs.values()) < 1e-8
    expected_hw = (5, 4) if padding == "same" else (3, 2)
    assert y.shape == (2, *expected_hw, 3)


def test_conv2d_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(11)
    conv = Conv2D(3, 4, kernel_size=3, padding="same", rng=rng, dtype=np.float64)
    conv.params["b"][:] = rng.normal(size=4)
    x = rng.normal(size=(2, 6, 7, 3))
    y_tf = tf.nn.conv2d(x, conv.params["W"], strides=1, padding="SAME").numpy() + conv.params["b"]
    err = float(np.max(np.abs(conv.forward(x) - y_tf)))
    print(f"Conv2D vs tf.nn.conv2d: max abs difference {err:.1e} (should be below 1e-10)")
    assert err < 1e-10


# --------------------------------------------------------------------------- MaxPool2D
def test_maxpool_gradient_matches_numerical():
    rng = np.random.default_rng(12)
    # distinct values, well separated, so no tie flips within +-h
    x = rng.permutation(2 * 4 * 6 * 3).reshape(2, 4, 6, 3).astype(np.float64) * 0.1
    pool = MaxPool2D()
    y = pool.forward(x)
    dy = rng.normal(size=y.shape)
    dx = pool.backward(dy)
    dx_num = numerical_gradient(lambda v: MaxPool2D().forward(v), x, dy)
    err = rel_error(dx, dx_num)
    print(f"MaxPool2D: relative error {err:.1e} (should be below 1e-8)")
    assert y.shape == (2, 2, 3, 3)
    assert err < 1e-8
    assert np.count_nonzero(dx) == y.size          # one winner per window


def test_maxpool_rejects_odd_size():
    with pytest.raises(ValueError, match="even"):
        MaxPool2D().forward(np.zeros((1, 3, 4, 1)))


# --------------------------------------------------------------------------- spatial BN
def _nhwc(rng, shape=(4, 5, 6, 3)):
    n, h, w, c = shape
    x = rng.normal(size=shape) * rng.uniform(0.5, 3, c) + rng.normal(0, 4, c)
    return x.astype(np.float32), rng.normal(1, 0.3, c).astype(np.float32), rng.normal(0, 0.5, c).astype(np.float32)


def test_spatial_bn_matches_tf_nn():
    tf = pytest.importorskip("tensorflow")
    x, g, b = _nhwc(np.random.default_rng(13))
    y, cache = batchnorm_forward(x, g, b, eps=1e-3)
    mean, var = tf.nn.moments(tf.constant(x), axes=[0, 1, 2])
    y_tf = tf.nn.batch_normalization(tf.constant(x), mean, var, b, g, 1e-3).numpy()
    err = float(np.max(np.abs(y - y_tf)))
    print(f"spatial BN vs tf.nn.batch_normalization: {err:.1e} (should be below 1e-5)")
    assert err < 1e-5
    assert cache.mu.shape == (3,) and cache.m == 4 * 5 * 6


def test_spatial_bn_layer_matches_keras():
    keras = pytest.importorskip("keras")
    x, g, b = _nhwc(np.random.default_rng(14))
    kl = keras.layers.BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3)
    kl.build(x.shape)
    kl.gamma.assign(g)
    kl.beta.assign(b)
    ours = BatchNorm(3)
    ours.gamma, ours.beta = g, b
    errs = []
    for _ in range(3):                              # three training steps, then inference
        errs.append(np.max(np.abs(ours.forward(x, training=True) - kl(x, training=True).numpy())))
    errs.append(np.max(np.abs(ours.moving_variance - kl.moving_variance.numpy())))
    errs.append(np.max(np.abs(ours.moving_mean - kl.moving_mean.numpy())))
    errs.append(np.max(np.abs(ours.forward(x) - kl(x, training=False).numpy())))
    print(f"BatchNorm vs keras BatchNormalization (NHWC): max error {max(errs):.1e} (should be below 1e-5)")
    assert max(errs) < 1e-5


def test_spatial_bn_nchw_axis1_equals_nhwc():
    x, g, b = _nhwc(np.random.default_rng(15))
    y, _ = batchnorm_forward(x, g, b)
    y1, _ = batchnorm_forward(x.transpose(0, 3, 1, 2), g, b, axis=1)
    assert np.max(np.abs(y1.transpose(0, 2, 3, 1) - y)) < 1e-6


def test_pytorch_convention_running_var_is_unbiased():
    rng = np.random.default_rng(16)
    x = rng.normal(0, 2, size=(2, 3, 3, 3)).astype(np.float32)   # NCHW, m = 18
    layer = BatchNorm.from_pytorch(3)
    y = layer.forward(x, training=True)
    v = x.astype(np.float64).var(axis=(0, 2, 3))
    assert np.max(np.abs(layer.running_var - (0.9 + 0.1 * v * 18 / 17))) < 1e-6
    assert np.max(np.abs(y.var(axis=(0, 2, 3)) - v / (v + 1e-5))) < 1e-5   # normalized with the biased one


def test_spatial_bn_backward_matches_numerical():
    rng = np.random.default_rng(17)
    x = rng.normal(1, 2, size=(3, 3, 4, 2))
    g, b = rng.normal(1, 0.5, 2), rng.normal(0, 0.5, 2)
    dy = rng.normal(size=x.shape)
    _, cache = batchnorm_forward(x, g, b)
    dx, dg, db = batchnorm_backward(dy, cache)
    errs = [rel_error(dx, numerical_gradient(lambda v: batchnorm_forward(v, g, b)[0], x, dy)),
            rel_error(dg, numerical_gradient(lambda v: batchnorm_forward(x, v, b)[0], g.copy(), dy)),
            rel_error(db, numerical_gradient(lambda v: batchnorm_forward(x, g, v)[0], b.copy(), dy))]
    print(f"spatial BN backward relative errors {errs} (should be below 1e-7)")
    assert max(errs) < 1e-7


# --------------------------------------------------------------------------- checker
def _spatial_bn(x, gamma, beta, eps):
    n, h, w, c = x.shape
    x2 = x.reshape(-1, c)
    mu = x2.mean(0)
    return (gamma * (x2 - mu) / np.sqrt(x2.var(0) + eps) + beta).reshape(x.shape)


def _over(axes, ddof=0):
    def f(x, gamma, beta, eps):
        mu = x.mean(axis=axes, keepdims=True)
        return gamma * (x - mu) / np.sqrt(x.var(axis=axes, keepdims=True, ddof=ddof) + eps) + beta
    return f


def test_checker_passes_correct_solution():
    result = check_spatial_batchnorm_forward(_spatial_bn)
    assert result, result.report()


@pytest.mark.parametrize("wrong, phrase", [
    (_over((0,)), "over N only"),
    (_over((1, 2)), "instance norm"),
    (_over((3,)), "channel axis"),
    (_over((0, 1, 2, 3)), "whole tensor"),
    (_over((0, 1, 2), ddof=1), "unbiased"),
])
def test_checker_diagnoses_classic_mistakes(wrong, phrase):
    result = check_spatial_batchnorm_forward(wrong)
    assert not result
    assert any(phrase in line for line in result.lines), result.report()
