"""bnutils.bn against TensorFlow, numerical gradients, and its own invariants."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bnutils import (batchnorm_backward, batchnorm_backward_staged, batchnorm_forward, batchnorm_inference,
                     numerical_gradient, rel_error)


def _params(rng, d, dtype):
    return rng.normal(1.0, 0.5, d).astype(dtype), rng.normal(0.0, 1.0, d).astype(dtype)


# ---------------------------------------------------------------- forward vs TensorFlow
@pytest.mark.parametrize("shape,axis", [((32, 7), -1), ((4, 5, 6, 3), -1), ((4, 3, 5, 6), 1)])
def test_forward_matches_tf(tf, shape, axis):
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, shape).astype(np.float32)
    d = shape[axis]
    gamma, beta = _params(rng, d, np.float32)
    y, cache = batchnorm_forward(x, gamma, beta, eps=1e-3, axis=axis)
    ax = axis % len(shape)
    axes = [i for i in range(len(shape)) if i != ax]
    mean, var = tf.nn.moments(tf.constant(x), axes=axes, keepdims=True)
    bshape = [1] * len(shape)
    bshape[ax] = d
    y_tf = tf.nn.batch_normalization(tf.constant(x), mean, var, beta.reshape(bshape), gamma.reshape(bshape), 1e-3)
    err = np.max(np.abs(y - y_tf.numpy()))
    print(f"forward {shape} axis={axis}: max abs error vs TF {err:.2e} (should be < 1e-5)")
    assert y.dtype == np.float32 and y.shape == x.shape
    assert err < 1e-5
    assert np.allclose(cache.mu, np.squeeze(mean.numpy()), atol=1e-5)
    assert np.allclose(cache.var, np.squeeze(var.numpy()), rtol=1e-5)


@pytest.mark.parametrize("shape,axis", [((16, 5), -1), ((3, 4, 4, 2), -1)])
def test_backward_matches_gradient_tape(tf, shape, axis):
    rng = np.random.default_rng(1)
    x = rng.normal(0.5, 2.0, shape)
    d = shape[axis]
    gamma, beta = _params(rng, d, np.float64)
    dy = rng.normal(size=shape)
    y, cache = batchnorm_forward(x, gamma, beta, eps=1e-5, axis=axis)
    dx, dgamma, dbeta = batchnorm_backward(dy, cache)
    xt, gt, bt = (tf.Variable(a) for a in (x, gamma, beta))
    with tf.GradientTape() as tape:
        mean, var = tf.nn.moments(xt, axes=list(range(len(shape) - 1)))
        yt = tf.nn.batch_normalization(xt, mean, var, bt, gt, 1e-5)
        loss = tf.reduce_sum(yt * dy)
    gx, gg, gb = tape.gradient(loss, [xt, gt, bt])
    errs = [rel_error(dx, gx.numpy()), rel_error(dgamma, gg.numpy()), rel_error(dbeta, gb.numpy())]
    print(f"backward vs GradientTape, rel errors dx, dgamma, dbeta: {errs} (should be < 1e-9)")
    assert max(errs) < 1e-9


# ---------------------------------------------------------------- numerical gradients
@pytest.mark.parametrize("shape,axis", [((10, 4), -1), ((3, 4, 5, 2), -1), ((3, 2, 4, 5), 1)])
def test_backward_matches_numerical_gradient(shape, axis):
    rng = np.random.default_rng(2)
    x = rng.normal(1.0, 3.0, shape)
    d = shape[axis]
    gamma, beta = _params(rng, d, np.float64)
    dy = rng.normal(size=shape)
    _, cache = batchnorm_forward(x, gamma, beta, axis=axis)
    dx, dgamma, dbeta = batchnorm_backward(dy, cache)
    f = lambda x_: batchnorm_forward(x_, gamma, beta, axis=axis)[0]  # noqa: E731
    ndx = numerical_gradient(f, x, dy)
    ndg = numerical_gradient(lambda g_: batchnorm_forward(x, g_, beta, axis=axis)[0], gamma.copy(), dy)
    ndb = numerical_gradient(lambda b_: batchnorm_forward(x, gamma, b_, axis=axis)[0], beta.copy(), dy)
    errs = [rel_error(dx, ndx), rel_error(dgamma, ndg), rel_error(dbeta, ndb)]
    print(f"numerical gradient rel errors {errs} (should be < 1e-7)")
    assert max(errs) < 1e-7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", [((50, 6), -1), ((4, 3, 3, 5), -1), ((4, 5, 3, 3), 1), ((3000, 4), -1)])
def test_staged_equals_compact(shape, axis, dtype):
    rng = np.random.default_rng(3)
    x = rng.normal(-2.0, 0.5, shape).astype(dtype)
    gamma, beta = _params(rng, shape[axis], dtype)
    dy = rng.normal(size=shape).astype(dtype)
    _, cache = batchnorm_forward(x, gamma, beta, axis=axis)
    a = batchnorm_backward(dy, cache)
    b = batchnorm_backward_staged(dy, cache)
    errs = [rel_error(u, v) for u, v in zip(a, b)]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    print(f"staged vs compact rel errors {errs} (should be < {tol})")
    assert max(errs) < tol
    assert all(u.dtype == dtype for u in a)


# ---------------------------------------------------------------- dtypes and stability
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    x = np.random.default_rng(4).normal(size=(8, 3)).astype(dtype)
    y, c = batchnorm_forward(x, np.ones(3, dtype), np.zeros(3, dtype))
    assert y.dtype == dtype
    assert batchnorm_inference(x, c.mu, c.var, np.ones(3, dtype), np.zeros(3, dtype)).dtype == dtype


def test_two_pass_variance_is_stable_for_large_means():
    # float32 values around 1e4 with spread 1: E[x^2] - E[x]^2 cancels catastrophically.
    rng = np.random.default_rng(5)
    x = (1e4 + rng.normal(0, 1.0, (256, 4))).astype(np.float32)
    y, c = batchnorm_forward(x, np.ones(4, np.float32), np.zeros(4, np.float32), eps=0.0)
    true_var = x.astype(np.float64).var(axis=0)
    one_pass = (x * x).mean(0) - x.mean(0) ** 2
    err_two = np.max(np.abs(c.var - true_var) / true_var)
    err_one = np.max(np.abs(one_pass - true_var) / true_var)
    print(f"relative variance error: two-pass {err_two:.1e}, one-pass {err_one:.1e}")
    assert err_two < 1e-3
    assert err_one > 100 * err_two
    assert np.allclose(y.astype(np.float64).std(axis=0), 1.0, atol=1e-3)


def test_inference_matches_formula_and_tf(tf):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(5, 4, 4, 3)).astype(np.float32)
    mean, var = rng.normal(size=3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32)
    gamma, beta = _params(rng, 3, np.float32)
    y = batchnorm_inference(x, mean, var, gamma, beta, eps=1e-3)
    y_tf = tf.nn.batch_normalization(x, mean, var, beta, gamma, 1e-3).numpy()
    err = np.max(np.abs(y - y_tf))
    print(f"inference vs TF max abs error {err:.1e}")
    assert err < 1e-5
    y1 = batchnorm_inference(np.moveaxis(x, -1, 1), mean, var, gamma, beta, eps=1e-3, axis=1)
    assert np.allclose(np.moveaxis(y1, 1, -1), y, atol=1e-6)


# ---------------------------------------------------------------- properties (hypothesis)
finite = st.floats(-100, 100, allow_nan=False, width=64)


def _spread(x):
    return np.all(x.std(axis=0) > 1e-2 * (1 + np.abs(x).max(axis=0)))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 20), st.integers(1, 5)), elements=finite))
def test_normalized_output_has_zero_mean_unit_variance(x):
    if not _spread(x):
        return
    y, c = batchnorm_forward(x, np.ones(x.shape[1]), np.zeros(x.shape[1]), eps=0.0)
    assert np.allclose(y.mean(axis=0), 0.0, atol=1e-9)
    assert np.allclose(y.var(axis=0), 1.0, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 20), st.integers(1, 5)), elements=finite),
       st.floats(0.01, 100), st.floats(-1000, 1000))
def test_invariant_to_shift_and_positive_scale(x, a, b):
    if not _spread(x):
        return
    g = np.linspace(0.5, 2, x.shape[1])
    beta = np.linspace(-1, 1, x.shape[1])
    y1, _ = batchnorm_forward(x, g, beta, eps=0.0)
    y2, _ = batchnorm_forward(a * x + b, g, beta, eps=0.0)
    assert np.allclose(y1, y2, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 20), st.integers(1, 5)), elements=finite),
       st.integers(0, 2**32 - 1))
def test_dx_sums_to_zero_and_is_orthogonal_to_xhat(x, seed):
    if not _spread(x):
        return
    rng = np.random.default_rng(seed)
    dy = rng.normal(size=x.shape)
    # eps = 0: with eps > 0, sum(dx * xhat) = gamma/sigma * sum(dy * xhat) * eps / (var + eps), not 0
    _, c = batchnorm_forward(x, rng.normal(1, 0.3, x.shape[1]), np.zeros(x.shape[1]), eps=0.0)
    dx, _, _ = batchnorm_backward(dy, c)
    # the size of the terms that cancel: |gamma| / sigma * sum |dy| per feature
    scale = np.abs(c.gamma * c.inv_std) * np.abs(dy).sum(axis=0) * (1 + np.abs(c.xhat).max(axis=0))
    assert np.all(np.abs(dx.sum(axis=0)) <= 1e-9 * scale)
    assert np.all(np.abs((dx * c.xhat).sum(axis=0)) <= 1e-9 * scale * (1 + np.abs(c.xhat).max(axis=0)))


# ---------------------------------------------------------------- bad input
def test_integer_input_is_a_type_error_naming_the_dtype():
    with pytest.raises(TypeError, match="int64"):
        batchnorm_forward(np.ones((4, 3), dtype=np.int64), np.ones(3), np.zeros(3))
    with pytest.raises(TypeError, match="gamma has dtype int"):
        batchnorm_forward(np.ones((4, 3)), np.ones(3, dtype=int), np.zeros(3))


def test_shape_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match=r"x has shape \(4, 3\).*gamma has shape \(5,\)"):
        batchnorm_forward(np.ones((4, 3)), np.ones(5), np.zeros(3))
    with pytest.raises(ValueError, match=r"beta has shape \(2,\)"):
        batchnorm_inference(np.ones((4, 3)), np.zeros(3), np.ones(3), np.ones(3), np.zeros(2))


@pytest.mark.parametrize("axis", [2, -3, 1.0, None])
def test_bad_axis(axis):
    with pytest.raises(ValueError, match="axis"):
        batchnorm_forward(np.ones((4, 3)), np.ones(3), np.zeros(3), axis=axis)


def test_one_value_per_feature_is_rejected():
    with pytest.raises(ValueError, match="only 1 value per feature"):
        batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="only 1 value per feature"):
        batchnorm_forward(np.ones((1, 3, 1, 1)), np.ones(3), np.zeros(3), axis=1)


def test_backward_rejects_wrong_dy_shape():
    _, c = batchnorm_forward(np.random.default_rng(0).normal(size=(4, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"dy has shape \(3, 3\)"):
        batchnorm_backward(np.ones((3, 3)), c)
