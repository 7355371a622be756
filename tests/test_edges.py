"""Every normalization function and layer at its edges: a clear error or a correct result, never a silent
nan and never corrupted state (issue 12). Parametrized over the whole public surface, so a new function or
layer is added to a list here, not given a one-off test."""
import warnings

import numpy as np
import pytest

from bnutils.batchnorm import BatchNorm, GhostBatchNorm
from bnutils.bn import batchnorm_forward, batchnorm_inference, bn_jacobian
from bnutils.inference import ema_trace, ema_update, fold_batchnorm
from bnutils.optim import Adam
from bnutils.scaling import StandardScaler, standardize
from bnutils.norms import BatchRenorm, GroupNorm, LayerNorm, batch_renorm_forward, group_norm, instance_norm, layer_norm


def _p(c, dtype=np.float32):
    return np.ones(c, dtype), np.zeros(c, dtype)


# name -> f(x, eps) -> y ; every function works on (N, ..., C) with C on the last axis
FUNCTIONS = {
    "batchnorm_forward": lambda x, eps=1e-3: batchnorm_forward(x, *_p(x.shape[-1]), eps=eps)[0],
    "batchnorm_inference": lambda x, eps=1e-3: batchnorm_inference(
        x, np.full(x.shape[-1], 100.0, np.float32), np.full(x.shape[-1], 5000.0, np.float32), *_p(x.shape[-1]),
        eps=eps),
    "group_norm": lambda x, eps=1e-3: group_norm(x, *_p(x.shape[-1]), groups=1, eps=eps)[0],
    "layer_norm": lambda x, eps=1e-3: layer_norm(x, *_p(x.shape[-1]), eps=eps)[0],
    # instance norm needs images: the N rows become the N spatial positions of one 1 x N image
    "instance_norm": lambda x, eps=1e-3: instance_norm(x.reshape(1, 1, *x.shape), *_p(x.shape[-1]), eps=eps)[0][0, 0],
    "batch_renorm_forward": lambda x, eps=1e-3: batch_renorm_forward(
        x, *_p(x.shape[-1]), np.zeros(x.shape[-1]), np.ones(x.shape[-1]), eps=eps)[0],
}
# name -> factory(num_features, epsilon) of a layer
LAYERS = {
    "BatchNorm": lambda c, epsilon=1e-3: BatchNorm(c, epsilon=epsilon),
    "BatchNorm.from_pytorch": lambda c, epsilon=1e-3: BatchNorm.from_pytorch(c, eps=epsilon, axis=-1),
    "GhostBatchNorm": lambda c, epsilon=1e-3: GhostBatchNorm(c, 4, epsilon=epsilon),
    "BatchRenorm": lambda c, epsilon=1e-3: BatchRenorm(c, epsilon=epsilon),
    "GroupNorm": lambda c, epsilon=1e-3: GroupNorm(c, 1, epsilon=epsilon),
    "LayerNorm": lambda c, epsilon=1e-3: LayerNorm(c, epsilon=epsilon),
}
STATEFUL = ["BatchNorm", "BatchNorm.from_pytorch", "GhostBatchNorm", "BatchRenorm"]


def _state(layer):
    out = {k: v.copy() for k, v in layer.params.items()}
    for k in ("moving_mean", "moving_variance", "num_batches_tracked"):
        if hasattr(layer, k):
            out[k] = np.copy(getattr(layer, k))
    return out


def _same_state(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def _pixels(n=512, c=4, seed=0):
    """Pixel-range data: float16's sum of squares of 512 values around 127 overflows (max 65504)."""
    return np.random.default_rng(seed).uniform(0, 255, (n, c))


# --------------------------------------------------------------------------- float16
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_float16_is_computed_in_float32_and_returned_as_float16(name):
    x = _pixels()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y16 = FUNCTIONS[name](x.astype(np.float16))
    y64 = FUNCTIONS[name](x.astype(np.float64))
    assert y16.dtype == np.float16 and np.all(np.isfinite(y16))
    err = float(np.max(np.abs(y16.astype(np.float64) - y64)))
    print(name, "max abs error float16 vs float64:", err)
    assert err < 1e-2 * max(1.0, float(np.abs(y64).max()))


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_float16_training_batch_keeps_layers_finite(name):
    layer = LAYERS[name](4)
    x = _pixels().astype(np.float16)
    y = layer.forward(x, training=True)
    assert y.dtype == np.float16 and np.all(np.isfinite(y)) and np.abs(y).max() > 0.5   # not all zeros
    for k, v in _state(layer).items():
        assert np.all(np.isfinite(v)), f"{name}.{k} is not finite: {v}"
    y_inf = layer.forward(x, training=False)
    assert np.all(np.isfinite(y_inf))


# --------------------------------------------------------------------------- non-finite training batches
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("name", STATEFUL)
def test_non_finite_training_batch_raises_and_leaves_state_untouched(name, bad):
    layer = LAYERS[name](3)
    layer.forward(np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32), training=True)
    before = _state(layer)
    x = np.ones((8, 3), np.float32)
    x[2, 1] = bad
    with pytest.raises(FloatingPointError, match="non-finite"):
        layer.forward(x, training=True)
    assert _same_state(before, _state(layer))


# --------------------------------------------------------------------------- eps
BAD_EPS = [-1e-3, np.nan, np.inf, -np.inf, "0.001", None]


@pytest.mark.parametrize("eps", BAD_EPS, ids=repr)
@pytest.mark.parametrize("name", sorted(FUNCTIONS) + ["bn_jacobian", "fold_batchnorm"])
def test_every_function_taking_eps_rejects_a_bad_one(name, eps):
    x = np.random.default_rng(2).normal(size=(8, 3))
    calls = dict(FUNCTIONS, bn_jacobian=lambda x, eps: bn_jacobian(x[:, 0], 1.0, eps),
                 fold_batchnorm=lambda x, eps: fold_batchnorm(x, None, *_p(3), np.zeros(3), np.ones(3), eps))
    with pytest.raises(ValueError, match="eps"):
        calls[name](x, eps)


@pytest.mark.parametrize("eps", BAD_EPS, ids=repr)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_layer_rejects_a_bad_epsilon(name, eps):
    with pytest.raises(ValueError, match="eps"):
        LAYERS[name](3, epsilon=eps)


@pytest.mark.parametrize("eps", BAD_EPS, ids=repr)
@pytest.mark.parametrize("make", [lambda eps: Adam(eps=eps), lambda eps: StandardScaler(eps=eps),
                                  lambda eps: standardize(np.ones((3, 2)), eps=eps)], ids=["Adam", "StandardScaler",
                                                                                          "standardize"])
def test_optimizer_and_scaler_reject_a_bad_eps(make, eps):
    with pytest.raises(ValueError, match="eps"):
        make(eps)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_eps_zero_with_a_constant_feature_is_a_clear_error(name):
    x = np.random.default_rng(3).normal(size=(8, 3))
    x[:, :] = 2.0 if name in ("group_norm", "layer_norm", "instance_norm") else x  # per-example norms: a constant row
    x[:, 1] = 2.0
    if name == "batchnorm_inference":   # inference: a zero variance in the statistics
        call = lambda: batchnorm_inference(x, np.zeros(3), np.array([1.0, 0.0, 1.0]), *_p(3, np.float64), eps=0.0)  # noqa: E731
    else:
        call = lambda: FUNCTIONS[name](x, eps=0.0)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # no RuntimeWarning on the way
        with pytest.raises(ValueError, match="eps=0"):
            call()


@pytest.mark.parametrize("name", STATEFUL)
def test_eps_zero_constant_feature_in_a_layer_changes_no_state(name):
    layer = LAYERS[name](3, epsilon=0.0)
    before = _state(layer)
    x = np.random.default_rng(4).normal(size=(8, 3)).astype(np.float32)
    x[:, 0] = 1.0
    with pytest.raises(ValueError, match="eps=0"):
        layer.forward(x, training=True)
    assert _same_state(before, _state(layer))


# --------------------------------------------------------------------------- empty input
@pytest.mark.parametrize("shape", [(0, 3), (4, 0), (0, 0)])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_empty_input_gives_an_empty_result_or_names_the_shape(name, shape):
    x = np.zeros(shape)
    try:
        y = FUNCTIONS[name](x)
    except ValueError as e:   # bnutils' own message (names the shape and what was expected), not NumPy's
        assert "has shape" in str(e) and "expected" in str(e), str(e)
    else:
        assert y.size == 0


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_empty_batch_to_a_layer_changes_no_state(name, training):
    layer = LAYERS[name](3)
    before = _state(layer)
    try:
        y = layer.forward(np.zeros((0, 3), np.float32), training=training)
    except ValueError as e:
        assert "(0, 3)" in str(e), str(e)
    else:
        assert y.shape == (0, 3)
    assert _same_state(before, _state(layer))


# --------------------------------------------------------------------------- folding and momentum
def test_fold_batchnorm_with_integer_weights_returns_floats():
    W, b = np.array([[1, 2], [3, 4]]), np.array([1, -1])
    gamma, beta, mean, var = np.array([0.5, 2.0]), np.array([0.1, 0.2]), np.array([0.3, 0.4]), np.array([2.0, 3.0])
    W2, b2 = fold_batchnorm(W, b, gamma, beta, mean, var, 1e-3)
    a = gamma / np.sqrt(var + 1e-3)
    assert W2.dtype.kind == "f" and b2.dtype.kind == "f"
    assert np.allclose(W2, W * a) and np.allclose(b2, (b - mean) * a + beta)
    with pytest.raises(TypeError, match="dtype"):
        fold_batchnorm(np.array([["a", "b"]]), None, *[np.ones(2)] * 4, 1e-3)


@pytest.mark.parametrize("make", [lambda: BatchNorm(3, momentum=None), lambda: BatchRenorm(3, momentum=None),
                                  lambda: GhostBatchNorm(3, 4, momentum=None),
                                  lambda: ema_update(np.zeros(2), np.ones(2), None),
                                  lambda: ema_trace(np.ones((3, 2)), None)])
def test_momentum_none_gets_a_clear_message(make):
    with pytest.raises(ValueError, match="momentum=None"):
        make()


@pytest.mark.parametrize("momentum", [-0.1, 1.5, np.nan, "0.9", True])
def test_momentum_out_of_range_is_refused(momentum):
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(3, momentum=momentum)


def test_from_pytorch_momentum_none_is_the_cumulative_average():
    rng = np.random.default_rng(5)
    layer = BatchNorm.from_pytorch(3, momentum=None, axis=-1)
    batches = [rng.normal(i, 1.0 + i, (16, 3)).astype(np.float32) for i in range(5)]
    for xb in batches:
        layer.forward(xb, training=True)
    means = np.mean([xb.mean(0) for xb in batches], axis=0)
    variances = np.mean([xb.var(0, ddof=1) for xb in batches], axis=0)
    assert layer.num_batches_tracked == 5
    assert np.allclose(layer.running_mean, means, atol=1e-5) and np.allclose(layer.running_var, variances, rtol=1e-5)
    torch = pytest.importorskip("torch")
    tl = torch.nn.BatchNorm1d(3, momentum=None)
    tl.train()
    for xb in batches:
        tl(torch.from_numpy(xb))
    assert np.allclose(layer.running_mean, tl.running_mean.numpy(), atol=1e-5)
    assert np.allclose(layer.running_var, tl.running_var.numpy(), rtol=1e-5)
