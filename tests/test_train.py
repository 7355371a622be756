"""Optimizers and the training loop."""
import numpy as np
import pytest

from bnutils.data import load_mnist5k
from bnutils.nn import Dense
from bnutils.models import Sequential, mlp
from bnutils.optim import SGD, Adam, Momentum
from bnutils.train import evaluate, train


@pytest.fixture(scope="module")
def mnist():
    return load_mnist5k(seed=0)


@pytest.mark.parametrize("opt", [SGD(0.1), Momentum(0.05), Adam(1e-3)])
def test_training_learns_mnist(mnist, opt):
    Xtr, ytr, Xte, yte = mnist
    net = mlp([784, 64, 10], bn="before", seed=0)
    _, acc0 = evaluate(net, Xte, yte)
    h = train(net, Xtr, ytr, opt, num_steps=300, X_val=Xte, y_val=yte, eval_every=100)
    print(f"{opt}: accuracy {acc0:.2f} -> {h.val_acc[-1]:.3f}")
    assert h.val_acc[-1] > 0.85 and acc0 < 0.3
    assert h.eval_step == [100, 200, 300] and len(h.loss) == 300 and not h.diverged


def test_training_is_reproducible(mnist):
    Xtr, ytr, Xte, yte = mnist
    runs = [train(mlp([784, 32, 10], seed=1), Xtr, ytr, SGD(0.1), num_steps=50, seed=2).loss for _ in range(2)]
    assert runs[0] == runs[1]


def test_divergence_is_detected(mnist):
    Xtr, ytr, _, _ = mnist
    h = train(mlp([784, 64, 64, 10], seed=0), Xtr, ytr, SGD(1e3), num_steps=200)
    assert h.diverged and h.steps_run < 200 and not np.isfinite(h.loss[-1])


def test_steps_to(mnist):
    Xtr, ytr, Xte, yte = mnist
    h = train(mlp([784, 64, 10], bn="before", seed=0), Xtr, ytr, Adam(1e-3), num_steps=400, X_val=Xte, y_val=yte,
              eval_every=50)
    s = h.steps_to(0.8)
    assert s is not None and h.val_acc[h.eval_step.index(s)] >= 0.8
    assert h.steps_to(1.01) is None


def test_optimizer_updates():
    layer = Dense(1, 1, use_bias=False, rng=0, dtype=np.float64)
    net = Sequential([layer])
    layer.params["W"][...] = 1.0
    layer.grads["W"] = np.array([[2.0]])
    SGD(0.1).step(net)
    assert np.isclose(layer.params["W"][0, 0], 0.8)
    adam = Adam(0.01)
    adam.step(net)                      # bias-corrected first step moves by lr exactly
    assert np.isclose(layer.params["W"][0, 0], 0.79)
    with pytest.raises(ValueError, match="lr"):
        SGD(0.0)


def test_train_rejects_bad_arguments(mnist):
    Xtr, ytr, _, _ = mnist
    net = mlp([784, 10])
    with pytest.raises(ValueError, match="exactly one"):
        train(net, Xtr, ytr, SGD(0.1))
    with pytest.raises(ValueError, match="batch_size"):
        train(net, Xtr, ytr, SGD(0.1), num_steps=1, batch_size=0)
    with pytest.raises(ValueError, match="examples"):
        train(net, Xtr, ytr[:10], SGD(0.1), num_steps=1)


# ----------------------------------------------------------------------------- progress bar (tqdm)
def _tiny_run(**kw):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 5)).astype(np.float32), rng.integers(0, 3, 64)
    return train(mlp([5, 8, 3]), X, y, SGD(0.1), num_steps=6, batch_size=16, **kw)


def test_progress_true_shows_a_tqdm_bar_on_stderr(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.delenv("BNUTILS_STATIC", raising=False)
    _tiny_run(progress=True)
    err = capsys.readouterr().err
    assert "6/6" in err and "step" in err


@pytest.mark.parametrize("progress", ["auto", True])
def test_website_build_and_non_interactive_runs_print_nothing(capsys, monkeypatch, progress):
    monkeypatch.setenv("BNUTILS_STATIC", "1")        # the website build fails on any stderr
    _tiny_run(progress=progress)
    monkeypatch.delenv("BNUTILS_STATIC")
    _tiny_run(progress="auto")                       # pytest: no kernel, no terminal
    out = capsys.readouterr()
    assert out.err == "" and out.out == ""


def test_progress_must_be_a_known_value():
    with pytest.raises(ValueError, match="progress"):
        _tiny_run(progress="yes")
