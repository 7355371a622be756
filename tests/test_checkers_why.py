"""Tests for the chapter 7 checker check_variance_shift (bnutils.checkers.why)."""
import numpy as np

from bnutils.checkers.why import check_variance_shift


def _correct(a, p):
    a = np.asarray(a, dtype=np.float64)
    return (np.mean(a ** 2) / (1 - p) - np.mean(a) ** 2) / np.var(a)


def test_passes_the_formula_and_agrees_with_sampled_masks():
    assert check_variance_shift(_correct)
    rng = np.random.default_rng(0)
    a = np.maximum(rng.normal(0.3, 1.0, 200), 0)
    masks = (rng.random((20000, a.size)) >= 0.5) / 0.5
    sampled = np.var(masks * a) / np.var(a)
    print(f"formula {_correct(a, 0.5):.4f}, sampled {sampled:.4f}")
    assert abs(sampled / _correct(a, 0.5) - 1) < 0.01


def test_diagnoses_the_classic_mistakes():
    res = check_variance_shift(lambda a, p: 1 / (1 - p))
    assert not res and "mean is zero" in res.report()
    res = check_variance_shift(lambda a, p: 1 / _correct(a, p))
    assert not res and "upside down" in res.report()
    res = check_variance_shift(lambda a, p: np.mean(np.square(a)) / (1 - p) / np.var(a))
    assert not res and "squared mean" in res.report()


def test_a_stub_is_reported_not_raised():
    res = check_variance_shift(lambda a, p: None)
    print(res.report())
    assert not res and "expected one number" in res.report()
