"""The stored sweeps of chapter 4 (bnutils/training_sweeps.json) against fresh re-runs of a few of them."""
import numpy as np
import pytest

from bnutils import training_sweeps as ts


@pytest.fixture(scope="module")
def stored():
    return ts.load_results()


@pytest.fixture(scope="module")
def data():
    return ts.split()


def _find(records, **setting):
    hits = [r for r in records if all(r[k] == v for k, v in setting.items())]
    assert len(hits) == 1, f"expected one stored run for {setting}, found {len(hits)}"
    return hits[0]


def test_layout_complete(stored):
    n = len(ts.SEEDS)
    assert len(stored["c1"]) == 2 * len(ts.LRS) * n
    assert len(stored["c2"]) == 2 * len(ts.SCALES) * n
    assert len(stored["c3"]) == 2 * sum(len(g) for g in ts.C3_GRID.values()) * n
    assert len(stored["c7"]) == len(stored["place"]) == len(stored["c10"]) == 2 * n


@pytest.mark.parametrize("lr,bn,seed", [(1.0, None, 3), (3.0, "before", 2)])
def test_c1_rerun_matches(stored, data, lr, bn, seed):
    got = ts.c1_run(data, lr, bn, seed)
    want = _find(stored["c1"], lr=lr, bn=bn, seed=seed)
    print(f"C1 lr {lr} bn {bn} seed {seed}: stored {want['final_acc']:.3f}, re-run {got['final_acc']:.3f}")
    assert got["diverged"] == want["diverged"]
    assert abs(got["final_acc"] - want["final_acc"]) <= 0.01


def test_c3_rerun_matches(stored, data):
    got = ts.c3_run(data, "SGD", 0.3, "before", 1)
    want = _find(stored["c3"], opt="SGD", lr=0.3, bn="before", seed=1)
    print(f"C3 steps to 90%: stored {want['steps_population']} / {want['steps_moving']}, "
          f"re-run {got['steps_population']} / {got['steps_moving']}")
    assert np.allclose(got["acc_population"], want["acc_population"], atol=0.01)
    assert np.allclose(got["acc_moving"], want["acc_moving"], atol=0.01)


def test_population_accuracy_leaves_moving_statistics(data):
    from bnutils.models import mlp
    X_tr, y_tr, X_val, y_val = data[:4]
    net = mlp([784, 20, 10], bn="before", seed=0)
    net.forward(X_tr[:64], training=True)
    before = [l.moving_mean.copy() for l in net.layers if hasattr(l, "moving_mean")]
    acc = ts.population_accuracy(net, X_tr, X_val[:200], y_val[:200])
    after = [l.moving_mean for l in net.layers if hasattr(l, "moving_mean")]
    assert 0.0 <= acc <= 1.0
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


def test_mean_sd_and_bad_input(tmp_path):
    assert ts.mean_sd([1.0, 3.0]) == (2.0, pytest.approx(np.sqrt(2.0)))
    assert ts.mean_sd([5.0]) == (5.0, 0.0)
    with pytest.raises(ValueError, match="at least one"):
        ts.mean_sd([])
    with pytest.raises(FileNotFoundError, match="ch4_sweeps"):
        ts.load_results(tmp_path / "missing.json")
