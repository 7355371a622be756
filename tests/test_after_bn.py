"""RMSNorm and weight standardization (bnutils.after_bn) against PyTorch and a numerical gradient."""
import numpy as np
import pytest

from bnutils.after_bn import RMSNorm, rms_norm, rms_norm_backward, weight_standardize
from bnutils.gradcheck import numerical_gradient, rel_error
from bnutils.norms import layer_norm


def test_rms_norm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 2.0, (4, 3, 8))
    gamma = rng.normal(1.0, 0.5, 8)
    ref = torch.nn.functional.rms_norm(torch.tensor(x), (8,), torch.tensor(gamma), eps=1e-6).numpy()
    assert np.allclose(rms_norm(x, gamma, 1e-6)[0], ref, atol=1e-12, rtol=1e-10)


def test_rms_norm_gradients():
    rng = np.random.default_rng(1)
    x, gamma, dy = rng.normal(0.5, 1.5, (5, 7)), rng.normal(1.0, 0.5, 7), rng.normal(size=(5, 7))
    dx, dgamma = rms_norm_backward(dy, rms_norm(x, gamma, 1e-6)[1])
    assert rel_error(dx, numerical_gradient(lambda v: rms_norm(v, gamma, 1e-6)[0], x.copy(), dy)) < 1e-7
    assert rel_error(dgamma, numerical_gradient(lambda g: rms_norm(x, g, 1e-6)[0], gamma.copy(), dy)) < 1e-7


def test_rms_norm_is_layer_norm_on_centered_input_and_not_shift_invariant():
    rng = np.random.default_rng(2)
    x = rng.normal(0.0, 2.0, (6, 10))
    x -= x.mean(axis=1, keepdims=True)
    ones = np.ones(10)
    assert np.allclose(rms_norm(x, ones, 1e-6)[0], layer_norm(x, ones, np.zeros(10), 1e-6)[0], atol=1e-10)
    assert np.abs(rms_norm(x + 3.0, ones, 1e-6)[0] - rms_norm(x, ones, 1e-6)[0]).max() > 0.5


def test_rms_norm_layer_trains_gamma_and_validates():
    layer = RMSNorm(4)
    x = np.random.default_rng(3).normal(size=(2, 4)).astype(np.float32)
    layer.backward(np.ones_like(layer.forward(x)))
    assert layer.grads["gamma"].shape == (4,)
    with pytest.raises(ValueError, match="gamma must have shape"):
        rms_norm(np.ones((2, 3)), np.ones(4))
    with pytest.raises(ValueError, match="eps"):
        rms_norm(np.ones((2, 3)), np.ones(3), eps=-1.0)
    with pytest.raises(RuntimeError):
        RMSNorm(3).backward(np.ones((1, 3)))


def test_weight_standardize_matches_torch_recipe_and_is_scale_invariant():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    W = rng.normal(0.3, 0.1, (3, 3, 4, 6))                       # (kh, kw, C_in, C_out)
    Wt = torch.tensor(W).permute(3, 2, 0, 1)                      # PyTorch (C_out, C_in, kh, kw)
    mean = Wt.mean(dim=(1, 2, 3), keepdim=True)
    var = Wt.var(dim=(1, 2, 3), keepdim=True, unbiased=False)
    ref = ((Wt - mean) / torch.sqrt(var + 1e-5)).permute(2, 3, 1, 0).numpy()
    assert np.allclose(weight_standardize(W), ref, atol=1e-12)
    assert np.allclose(weight_standardize(5.0 * W + 2.0, eps=1e-12), weight_standardize(W, eps=1e-12), atol=1e-9)
    with pytest.raises(ValueError, match="ndim >= 2"):
        weight_standardize(np.ones(3))
