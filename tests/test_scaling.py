"""Tests for bnutils.scaling (input scalers, the gradient-descent demo) and bnutils.checkers.inputs."""
import numpy as np
import pytest

from bnutils.checkers.inputs import check_minmax, check_standardize
from bnutils.scaling import (MinMaxScaler, RobustScaler, StandardScaler, best_learning_rate, gradient_descent,
                             least_squares_problem, minmax_scale, robust_scale, standardize, steps_to_converge)


@pytest.fixture
def X():
    return np.random.default_rng(0).normal([10.0, -3.0, 0.0], [5.0, 0.01, 1.0], size=(200, 3))


# ---------------------------------------------------------------- scalers
def test_standardize_gives_zero_mean_unit_biased_variance(X):
    Z = standardize(X)
    print(f"max |mean| {np.abs(Z.mean(0)).max():.1e}, max |var - 1| {np.abs(Z.var(0) - 1).max():.1e}")
    assert np.allclose(Z.mean(0), 0, atol=1e-12)
    assert np.allclose(Z.var(0), 1, atol=1e-12)          # biased variance (ddof=0) is exactly 1


def test_standardize_matches_the_formula_with_eps(X):
    eps = 1e-3
    mu = X.mean(0)
    want = (X - mu) / np.sqrt(((X - mu) ** 2).mean(0) + eps)
    err = np.abs(StandardScaler(eps=eps).fit_transform(X) - want).max()
    print(f"max abs error {err:.1e} (should be below 1e-12)")
    assert err < 1e-12


def test_minmax_maps_training_features_to_unit_interval(X):
    A = minmax_scale(X)
    assert np.allclose(A.min(0), 0) and np.allclose(A.max(0), 1)


def test_robust_scaler_uses_median_and_iqr(X):
    R = robust_scale(X)
    q25, med, q75 = np.percentile(R, [25, 50, 75], axis=0)
    assert np.allclose(med, 0, atol=1e-12) and np.allclose(q75 - q25, 1, atol=1e-12)


def test_robust_scaler_ignores_one_outlier_but_the_others_do_not():
    x = np.random.default_rng(1).normal(50, 10, 999)
    with_out = np.append(x, 5000.0)[:, None]
    kept = {f.__name__: f(with_out)[:999, 0].std() / f(x[:, None])[:, 0].std()
            for f in (minmax_scale, standardize, robust_scale)}
    print(kept)
    assert kept["minmax_scale"] < kept["standardize"] < 0.2
    assert kept["robust_scale"] > 0.95


def test_transform_reuses_training_statistics(X):
    sc = StandardScaler().fit(X[:100])
    Zte = sc.transform(X[100:])
    assert np.allclose(Zte, (X[100:] - X[:100].mean(0)) / X[:100].std(0))
    assert not np.allclose(Zte.mean(0), 0, atol=1e-6)     # the test set's own mean is not removed
    assert np.allclose(sc.inverse_transform(Zte), X[100:])


def test_constant_feature_is_only_centred():
    X = np.column_stack([np.full(5, 3.0), np.arange(5.0)])
    for cls in (StandardScaler, MinMaxScaler, RobustScaler):
        Z = cls().fit_transform(X)
        assert np.all(np.isfinite(Z)) and np.all(Z[:, 0] == 0), cls.__name__


def test_axis_none_and_tuple():
    imgs = np.random.default_rng(2).normal(size=(4, 5, 6)) * 3 + 7
    assert np.isclose(standardize(imgs, axis=None).std(), 1)
    per_image = minmax_scale(imgs, axis=(1, 2))
    assert np.allclose(per_image.min(axis=(1, 2)), 0) and np.allclose(per_image.max(axis=(1, 2)), 1)
    # the column layout (examples in columns) gives the transpose of the row layout
    Xr = imgs[:, :, 0]
    assert np.allclose(StandardScaler(axis=1).fit_transform(Xr.T).T, standardize(Xr))


def test_bad_input_raises_clear_errors_and_changes_nothing(X):
    sc = StandardScaler()
    with pytest.raises(RuntimeError, match="not fitted"):
        sc.transform(X)
    sc.fit(X)
    center = sc.center_.copy()
    with pytest.raises(ValueError, match="shape"):
        sc.transform(X[:, :2])
    with pytest.raises(ValueError, match="axis"):
        StandardScaler(axis=3).fit(X)
    with pytest.raises(ValueError, match="eps"):
        StandardScaler(eps=-1.0)
    with pytest.raises(TypeError, match="numeric"):
        StandardScaler().fit(np.array(["a", "b"]))
    assert np.array_equal(sc.center_, center)


# ---------------------------------------------------------------- gradient descent
def _problem(r):
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(100, 2))
    y = Z @ np.array([1.0, -2.0]) + 0.1 * rng.normal(size=100)
    return least_squares_problem(Z * np.array([1.0, 1.0 / r]), y)


def test_least_squares_problem_gradient_and_minimum():
    loss, grad, w_star, H = _problem(5)
    w = np.array([0.3, -0.7])
    h = 1e-6
    num = np.array([(loss(w + h * e) - loss(w - h * e)) / (2 * h) for e in np.eye(2)])
    assert np.allclose(num, grad(w), rtol=1e-6, atol=1e-8)
    assert np.allclose(grad(w_star), 0, atol=1e-10)
    assert np.allclose(grad(np.stack([w, w])), grad(w))     # stacks of points work too


def test_gradient_descent_path_and_divergence():
    loss, grad, w_star, H = _problem(1)
    L = np.linalg.eigvalsh(H)[-1]
    path = gradient_descent(grad, np.zeros(2), 1.0 / L, 200)
    assert path.shape == (201, 2) and np.allclose(path[-1], w_star, atol=1e-6)
    assert np.all(np.diff(loss(path)) <= 1e-12)              # lr < 2/L: the loss never increases
    assert steps_to_converge(loss, grad, np.zeros(2), w_star, 2.5 / L) is None   # lr > 2/L diverges


def test_best_learning_rate_agrees_with_steps_to_converge_and_grows_with_scale_ratio():
    counts = []
    for r in (1, 10):
        loss, grad, w_star, H = _problem(r)
        lrs = np.geomspace(0.05, 1.99, 15) / np.linalg.eigvalsh(H)[-1]
        lr, k = best_learning_rate(loss, grad, np.zeros(2), w_star, lrs)
        single = [steps_to_converge(loss, grad, np.zeros(2), w_star, a) for a in lrs]
        assert k == min(s for s in single if s is not None)
        assert lr == lrs[single.index(k)]
        counts.append(k)
    print(f"steps with a tuned learning rate: r=1 {counts[0]}, r=10 {counts[1]}")
    assert counts[1] > 10 * counts[0]


# ---------------------------------------------------------------- checkers
def _std_ok(a, b, eps):
    mu = a.mean(0)
    sd = np.sqrt(a.var(0) + eps)
    return (a - mu) / sd, (b - mu) / sd


def test_check_standardize_passes_a_correct_solution_and_names_mistakes():
    assert check_standardize(_std_ok)
    own = check_standardize(lambda a, b, e: (standardize(a, eps=e), standardize(b, eps=e)))
    assert not own and any("its own statistics" in s for s in own.lines)
    ddof1 = check_standardize(lambda a, b, e: tuple((x - a.mean(0)) / np.sqrt(a.var(0, ddof=1) + e) for x in (a, b)))
    assert not ddof1 and any("N - 1" in s for s in ddof1.lines)
    glob = check_standardize(lambda a, b, e: tuple((x - a.mean()) / np.sqrt(a.var() + e) for x in (a, b)))
    assert not glob and any("global" in s or "whole array" in s for s in glob.lines)


def test_check_minmax_passes_a_correct_solution_and_names_mistakes():
    def ok(a, b):
        lo, hi = a.min(0), a.max(0)
        return (a - lo) / (hi - lo), (b - lo) / (hi - lo)
    assert check_minmax(ok)
    glob = check_minmax(lambda a, b: tuple((x - a.min()) / (a.max() - a.min()) for x in (a, b)))
    assert not glob and any("whole array" in s for s in glob.lines)
    own = check_minmax(lambda a, b: (minmax_scale(a), minmax_scale(b)))
    assert not own and any("its own min and max" in s for s in own.lines)
