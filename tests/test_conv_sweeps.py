"""The stored CNN runs of chapter 6 (bnutils/conv_sweeps.json) against a fresh re-run of part of one."""
import numpy as np
import pytest

from bnutils import conv_sweeps as cs


@pytest.fixture(scope="module")
def stored():
    return cs.load_results()


def test_stored_sweep_is_complete(stored):
    runs = stored["runs"]
    assert stored["meta"]["num_steps"] == cs.NUM_STEPS and stored["meta"]["seeds"] == list(cs.SEEDS)
    assert len(runs) == len(cs.SETTINGS) * 2 * len(cs.SEEDS)
    for r in runs:
        assert len(r["loss"]) == cs.NUM_STEPS and np.all(np.isfinite(r["loss"]))
        assert r["eval_step"][-1] == cs.NUM_STEPS and r["final_acc"] == r["val_acc"][-1]
    for setting in cs.SETTINGS:
        for bn in (False, True):
            assert cs.arm(stored, setting, bn).shape == (len(cs.SEEDS),)


@pytest.mark.parametrize("setting,bn,seed", [("Adam, lr 0.001", True, 1), ("SGD, lr 0.3", False, 3)])
def test_rerun_matches_the_stored_start(stored, setting, bn, seed):
    """The first 50 steps of a stored run, re-run: same losses, same test accuracy at steps 25 and 50."""
    ref = next(r for r in stored["runs"] if r["setting"] == setting and r["bn"] == bn and r["seed"] == seed)
    fresh = cs.cnn_run(setting, bn, seed, num_steps=50)
    np.testing.assert_allclose(fresh["loss"], ref["loss"][:50], rtol=2e-3, atol=2e-4)
    assert fresh["eval_step"] == ref["eval_step"][:2]
    np.testing.assert_allclose(fresh["val_acc"], ref["val_acc"][:2], atol=0.006)


def test_bad_input_is_named(stored):
    with pytest.raises(ValueError, match="setting must be one of"):
        cs.cnn_run("Adam", True, 0)
    with pytest.raises(KeyError, match="no stored runs"):
        cs.arm(stored, "RMSprop", True)
    with pytest.raises(FileNotFoundError, match="ch6_cnn_sweep"):
        cs.load_results("/nonexistent/conv_sweeps.json")
