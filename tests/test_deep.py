"""bnutils.deep: the Residual layer (against PyTorch and numerical gradients), the deep MLP builder,
signal_profile."""
import numpy as np
import pytest

from bnutils.batchnorm import BatchNorm
from bnutils.deep import Residual, deep_mlp, signal_profile
from bnutils.models import all_layers
from bnutils.gradcheck import numerical_gradient, rel_error
from bnutils.models import Sequential, get_params, set_params
from bnutils.nn import Dense, Flatten, ReLU
from bnutils.optim import SGD


def _branch64(rng, d=5, bn=True):
    layers = [BatchNorm(d, dtype=np.float64)] if bn else []
    layers += [ReLU(), Dense(d, d, rng=rng, dtype=np.float64), ReLU(), Dense(d, d, rng=rng, dtype=np.float64)]
    return layers


@pytest.mark.parametrize("bn", [False, True])
def test_residual_gradients_numerically(bn):
    rng = np.random.default_rng(0)
    block = Residual(_branch64(rng, bn=bn))
    x = rng.standard_normal((6, 5))
    dy = rng.standard_normal((6, 5))
    block.forward(x, training=True)
    dx = block.backward(dy)
    assert rel_error(dx, numerical_gradient(lambda v: block.forward(v, training=True), x.copy(), dy)) < 1e-7
    grads = {k: block.grads[k].copy() for k in block.grads}
    assert set(grads) == set(block.params)
    for k in grads:
        p = block.params[k]
        num = numerical_gradient(lambda v: block.forward(x, training=True), p, dy)
        assert rel_error(grads[k], num) < 1e-6, k


def test_residual_against_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    block = Residual([BatchNorm(4, epsilon=1e-5, dtype=np.float64), ReLU(), Dense(4, 4, rng=rng, dtype=np.float64)])
    x = rng.standard_normal((8, 4))
    dy = rng.standard_normal((8, 4))
    y = block.forward(x, training=True)
    dx = block.backward(dy)
    bn = torch.nn.BatchNorm1d(4, eps=1e-5).double()
    lin = torch.nn.Linear(4, 4).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(block.branch.layers[2].params["W"].T))
        lin.bias.copy_(torch.tensor(block.branch.layers[2].params["b"]))
    xt = torch.tensor(x, requires_grad=True)
    yt = xt + lin(torch.relu(bn(xt)))
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(block.grads["2.W"], lin.weight.grad.numpy().T, atol=1e-10)
    np.testing.assert_allclose(block.grads["0.gamma"], bn.weight.grad.numpy(), atol=1e-10)


def test_residual_params_are_seen_by_optimizer_and_state_api():
    net = deep_mlp(2, width=8, in_features=6, num_classes=3, residual=True, bn="both", seed=0)
    names = [n for _, n in net.parameters()]
    assert "0.gamma" in names and "2.W" in names
    X = np.random.default_rng(0).standard_normal((16, 6)).astype(np.float32)
    y = np.arange(16) % 3
    before = get_params(net)
    net.loss_and_grads(X, y)
    SGD(0.1).step(net)
    after = get_params(net)
    assert len(before) == len(after) == len(names)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
    set_params(net, before)
    assert all(np.array_equal(a, b) for a, b in zip(before, get_params(net)))


def test_residual_rejects_bad_branch():
    with pytest.raises(TypeError, match="Sequential"):
        Residual(Dense(3, 3))
    block = Residual([Dense(3, 4, rng=0)])
    with pytest.raises(ValueError, match="keep the shape"):
        block.forward(np.ones((2, 3), np.float32))


def test_deep_mlp_options_and_errors():
    plain = deep_mlp(5, width=16, bn="before")
    assert sum(isinstance(layer, BatchNorm) for layer in plain.layers) == 5
    res = deep_mlp(3, width=16, residual=True, bn="both", zero_gamma=True)
    assert sum(isinstance(layer, Residual) for layer in res.layers) == 3
    lasts = [layer.branch.layers[-1] for layer in res.layers if isinstance(layer, Residual)]
    assert all(np.all(b.params["gamma"] == 0) for b in lasts)
    assert len([lay for lay in all_layers(res) if isinstance(lay, BatchNorm)]) == 6
    with pytest.raises(ValueError, match="bn for a plain"):
        deep_mlp(3, bn="start")
    with pytest.raises(ValueError, match="zero_gamma"):
        deep_mlp(3, residual=True, bn="start", zero_gamma=True)
    with pytest.raises(ValueError, match="depth"):
        deep_mlp(0)


def test_zero_gamma_blocks_are_identity_at_init():
    net = deep_mlp(6, width=32, residual=True, bn="both", zero_gamma=True, seed=3)
    X = np.random.default_rng(0).standard_normal((64, 784)).astype(np.float32)
    prof = signal_profile(net, X, np.zeros(64, int))
    stem = prof["act_std"][1]
    np.testing.assert_allclose(prof["act_std"][2:-1], stem, rtol=1e-6)


def test_signal_profile_identity_linear_net_keeps_std():
    d = 10
    layers = [Flatten()]
    for _ in range(4):
        lay = Dense(d, d, rng=0)
        lay.params["W"][...] = np.eye(d)
        lay.params["b"][...] = 0
        layers.append(lay)
    net = Sequential(layers)
    X = np.random.default_rng(0).standard_normal((50, d)).astype(np.float32) * 3.0
    prof = signal_profile(net, X, np.arange(50) % d, lr=0.1)
    np.testing.assert_allclose(prof["act_std"], X.std(), rtol=1e-5)
    np.testing.assert_allclose(prof["grad_std"], prof["grad_std"][-1], rtol=1e-5)  # identity backward too
    assert np.all(np.isnan(prof["update_ratio"][:1])) and np.all(prof["update_ratio"][1:] > 0)


def test_signal_profile_bn_layers_give_unit_std_and_change_nothing():
    net = deep_mlp(8, width=32, bn="before", init_gain=3.0, seed=1)
    X = np.random.default_rng(0).standard_normal((128, 784)).astype(np.float32)
    y = np.arange(128) % 10
    stats = [(b.moving_mean.copy(), b.moving_variance.copy()) for b in net.layers if isinstance(b, BatchNorm)]
    params = get_params(net)
    prof = signal_profile(net, X, y, lr=0.01)
    is_bn = prof["layer"] == "BatchNorm"
    assert is_bn.sum() == 8
    np.testing.assert_allclose(prof["act_std"][is_bn], 1.0, atol=1e-3)
    np.testing.assert_allclose(prof["act_mean"][is_bn], 0.0, atol=1e-5)
    after = [(b.moving_mean, b.moving_variance) for b in net.layers if isinstance(b, BatchNorm)]
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(stats, after))
    assert all(np.array_equal(a, b) for a, b in zip(params, get_params(net)))
    assert np.isfinite(prof["loss"]) and prof["update_ratio"][prof["has_weights"]].min() > 0


def test_signal_profile_plain_relu_off_by_2x_explodes():
    X = np.random.default_rng(0).standard_normal((128, 784)).astype(np.float32)
    big = signal_profile(deep_mlp(20, width=64, init_gain=2.0, seed=0), X, np.zeros(128, int))
    he = signal_profile(deep_mlp(20, width=64, init_gain=1.0, seed=0), X, np.zeros(128, int))
    assert big["act_std"][-2] / big["act_std"][1] > 1e4      # x2 per layer in std over 20 layers
    assert 0.1 < he["act_std"][-2] / he["act_std"][1] < 10


def test_signal_profile_bad_input():
    net = deep_mlp(2, width=8)
    with pytest.raises(ValueError, match="y of shape"):
        signal_profile(net, np.zeros((4, 784), np.float32), np.zeros(3, int))
    with pytest.raises(TypeError, match="Sequential"):
        signal_profile(Dense(3, 3), np.zeros((4, 3)), np.zeros(4, int))
    with pytest.raises(ValueError, match="lr"):
        signal_profile(net, np.zeros((4, 784), np.float32), np.zeros(4, int), lr=-1)


def test_check_residual_block_passes_reference_and_reports_stubs():
    from bnutils.checkers import check_residual_block
    from bnutils.checkers.deep import _no_identity_grad, _ref

    assert check_residual_block(_ref)
    assert not check_residual_block(lambda x, W, dy: None)

    def raises(x, W, dy):
        raise NotImplementedError("your code")

    res = check_residual_block(raises)
    assert not res and "NotImplementedError" in res.report()
    wrong = check_residual_block(_no_identity_grad)
    assert not wrong and "identity path" in wrong.report()


def test_check_residual_reference_matches_residual_layer():
    from bnutils.checkers.deep import _ref

    rng = np.random.default_rng(5)
    dense = Dense(4, 4, use_bias=False, rng=rng, dtype=np.float64)
    block = Residual([ReLU(), dense])
    x, dy = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    y, dx, dW = _ref(x, dense.params["W"], dy)
    np.testing.assert_allclose(block.forward(x, training=True), y)
    np.testing.assert_allclose(block.backward(dy), dx)
    np.testing.assert_allclose(block.grads["1.W"], dW)


def test_stored_ch9_sweeps_rederive():
    """tools/ch9_sweeps.py stored five seeds per setting; re-run one stored run and compare."""
    import json
    import pathlib

    from bnutils.data import load_mnist5k
    from bnutils.deep import deep_run

    path = pathlib.Path(__file__).resolve().parents[1] / "bnutils" / "deep_sweeps.json"
    data = json.loads(path.read_text())
    assert all(len(data["runs"][name]) == len(data["seeds"]) == 5 for name in data["settings"])
    X, y, _, _ = load_mnist5k(seed=0)
    name, k = "res_zero_lr0.1", 1
    run = deep_run(X[:3000], y[:3000], X[3000:], y[3000:], seed=data["seeds"][k], **data["settings"][name])
    stored = data["runs"][name][k]
    assert run["eval_step"] == stored["eval_step"]
    np.testing.assert_allclose(run["val_acc"], stored["val_acc"], atol=0.02)
