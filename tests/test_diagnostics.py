"""Tests for bnutils.diagnostics and the chapter-4 checker (bnutils.checkers.training)."""
import numpy as np
import pytest

from bnutils.checkers.training import check_sgd_train_step
from bnutils.diagnostics import TrainingMonitor, activation_stats, dead_fraction, gradient_norms, saturation_fraction
from bnutils.nn import Dense, ReLU, Sigmoid, Tanh, softmax_cross_entropy
from bnutils.models import mlp
from bnutils.optim import SGD
from bnutils.train import History, final_val_acc, largest_that_trains, run_grid


def _data(n=64, d=12, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)
    return X, y[:n] % k


def test_saturation_fraction_known_values():
    a = np.array([[0.001, 0.5, 0.999, 0.3]])
    assert saturation_fraction(Sigmoid(), a) == pytest.approx(0.5)
    assert saturation_fraction(Tanh(), np.array([[-0.995, 0.0, 0.5, 0.999]])) == pytest.approx(0.5)
    assert saturation_fraction(ReLU(), np.array([[0.0, 0.0, 0.0, 2.0]])) == pytest.approx(0.75)


def test_dead_fraction_counts_units_off_for_the_whole_batch():
    a = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])   # unit 0 off for both examples
    assert dead_fraction(ReLU(), a) == pytest.approx(1 / 3)


def test_saturation_rejects_bad_input():
    with pytest.raises(TypeError, match="Dense"):
        saturation_fraction(Dense(2, 2, rng=0), np.ones((2, 2)))
    with pytest.raises(ValueError, match="tol"):
        saturation_fraction(Sigmoid(), np.ones((2, 2)), tol=0.7)
    with pytest.raises(ValueError, match="empty"):
        saturation_fraction(Sigmoid(), np.ones((0, 2)))


def test_activation_stats_matches_manual_forward_and_restores_flag():
    X, _ = _data()
    net = mlp([12, 8, 8, 3], activation="sigmoid", seed=1)
    stats = activation_stats(net, X, training=False)
    assert [s["index"] for s in stats] == [2, 4]
    assert net.keep_activations is False
    # layer 2 of [Flatten, Dense, Sigmoid, Dense, Sigmoid, Dense] is sigmoid(X W1 + b1)
    W, b = net.layers[1].params["W"], net.layers[1].params["b"]
    a = 1 / (1 + np.exp(-(X @ W + b)))
    assert stats[0]["mean"] == pytest.approx(float(a.mean()), rel=1e-5)
    assert stats[0]["std"] == pytest.approx(float(a.std()), rel=1e-4)
    assert 0.0 <= stats[0]["saturated"] <= 1.0 and stats[0]["values"].size == a.size


def test_large_init_saturates_sigmoids_and_bn_removes_it():
    X, _ = _data(n=128, d=50)
    plain = activation_stats(mlp([50, 40, 40, 3], activation="sigmoid", init=3.0, seed=0), X)
    bn = activation_stats(mlp([50, 40, 40, 3], activation="sigmoid", init=3.0, bn="before", seed=0), X)
    print("saturated, plain:", [s["saturated"] for s in plain], "with BN:", [s["saturated"] for s in bn])
    assert min(s["saturated"] for s in plain) > 0.5
    assert max(s["saturated"] for s in bn) < 0.05


def test_gradient_norms_match_grads_and_require_backward():
    X, y = _data()
    net = mlp([12, 8, 3], seed=2)
    with pytest.raises(RuntimeError, match="backward"):
        gradient_norms(net)
    net.loss_and_grads(X, y)
    g = gradient_norms(net)
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    np.testing.assert_allclose(g, [np.linalg.norm(layer.grads["W"]) for layer in dense], rtol=1e-6)


def test_monitor_records_sgd_update_ratio_exactly():
    X, y = _data()
    net = mlp([12, 8, 8, 3], bn="before", seed=3)
    mon = TrainingMonitor(net)
    W0 = [layer.params["W"].copy() for layer in net.layers if isinstance(layer, Dense)]
    lr = 0.05
    net.loss_and_grads(X, y)
    grads = [layer.grads["W"].copy() for layer in net.layers if isinstance(layer, Dense)]
    SGD(lr).step(net)
    mon(1, net, 0.0)
    expected = [np.linalg.norm(lr * g) / np.linalg.norm(w) for g, w in zip(grads, W0)]
    np.testing.assert_allclose(mon.update_ratio[0], expected, rtol=1e-4)
    np.testing.assert_allclose(mon.grad_norm[0], [np.linalg.norm(g) for g in grads], rtol=1e-6)
    assert mon.grad_norm.shape == (1, 3) and mon.bn_gamma_mean.shape == (1, 2)
    with pytest.raises(ValueError, match="different network"):
        mon(2, mlp([12, 3], seed=0), 0.0)


def test_run_grid_and_largest_that_trains():
    X, y = _data(n=128)
    runs = run_grid(lambda lr: (mlp([12, 16, 3], seed=0), SGD(lr)), [0.1, 1e6], X, y, num_steps=30,
                    X_val=X, y_val=y, eval_every=30, batch_size=32)
    assert list(runs) == [0.1, 1e6]
    assert runs[1e6]["diverged"] and final_val_acc(runs[1e6]) == 0.0
    assert final_val_acc(runs[0.1]) > 0.5
    assert largest_that_trains([0.1, 1e6], list(runs.values()), 0.5) == 0.1
    assert largest_that_trains([0.1, 1e6], list(runs.values()), 1.01) is None
    with pytest.raises(ValueError, match="distinct"):
        run_grid(lambda s: None, [1, 1], X, y)
    with pytest.raises(ValueError, match="histories"):
        largest_that_trains([1, 2], [History(diverged=False, val_acc=[1.0])], 0.5)


def _good_step(net, X, y, lr):
    logits = net.forward(X, training=True)
    loss, d = softmax_cross_entropy(logits, y)
    net.backward(d)
    for layer in net.layers:
        for name in layer.params:
            layer.params[name] -= lr * layer.grads[name]
    return loss


def test_checker_passes_correct_and_diagnoses_mistakes():
    assert check_sgd_train_step(_good_step)

    def no_bn_update(net, X, y, lr):
        logits = net.forward(X, training=True)
        loss, d = softmax_cross_entropy(logits, y)
        net.backward(d)
        for layer in net.layers:
            for name in layer.params:
                if name in ("W", "b"):
                    layer.params[name] -= lr * layer.grads[name]
        return loss

    res = check_sgd_train_step(no_bn_update)
    assert not res and "gamma and beta were not updated" in res.report()

    def ascent(net, X, y, lr):
        return _good_step(net, X, y, -lr)

    res = check_sgd_train_step(ascent)
    assert not res and "wrong sign" in res.report()

    def inference_mode(net, X, y, lr):
        loss, d = softmax_cross_entropy(net.forward(X, training=False), y)
        net.backward(d)
        return loss

    res = check_sgd_train_step(inference_mode)
    assert not res and "training=True" in res.report()
