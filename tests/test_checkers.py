"""Tests for the exercise checkers of chapters 2 and 3 and for bnutils.graph: a correct solution passes,
each classic mistake fails and is named, and the report says which case failed."""
import numpy as np
import pytest

from bnutils.checkers.backprop import check_batchnorm_backward
from bnutils.checkers.transform import check_batchnorm_forward


# ----------------------------------------------------------------------------- forward (chapter 2)
def bn_forward_ok(x, gamma, beta, eps):
    mu = x.mean(0)
    return gamma * (x - mu) / np.sqrt(((x - mu) ** 2).mean(0) + eps) + beta


def test_forward_correct_passes():
    res = check_batchnorm_forward(bn_forward_ok)
    print(res.report())
    assert res.passed and bool(res)
    assert res.max_error < 1e-6


def test_forward_returning_cache_tuple_passes():
    res = check_batchnorm_forward(lambda x, g, b, e: (bn_forward_ok(x, g, b, e), "cache"))
    assert res.passed


@pytest.mark.parametrize("wrong, phrase", [
    (lambda x, g, b, e: g * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + e) + b, "unbiased"),
    (lambda x, g, b, e: g * (x - x.mean(0)) / (np.sqrt(x.var(0)) + e) + b, "inside the square root"),
    (lambda x, g, b, e: g * (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + e) + b, "axis 1"),
    (lambda x, g, b, e: (x - x.mean(0)) / np.sqrt(x.var(0) + e), "not applied"),
])
def test_forward_mistakes_fail_and_are_named(wrong, phrase):
    res = check_batchnorm_forward(wrong)
    print(res.report())
    assert not res.passed
    assert any(phrase in line for line in res.lines), res.report()


def test_forward_times_two_typo_is_named():
    def typo(x, g, b, e):
        mu = x.mean(0)
        with np.errstate(invalid="ignore"):
            return g * (x - mu) / np.sqrt(np.mean((x - mu) * 2, 0) + e) + b
    res = check_batchnorm_forward(typo)
    assert not res.passed and any("** 2" in line for line in res.lines)


def test_forward_no_eps_fails_on_constant_feature():
    def no_eps(x, g, b, e):
        with np.errstate(invalid="ignore", divide="ignore"):
            return g * (x - x.mean(0)) / np.sqrt(x.var(0)) + b
    res = check_batchnorm_forward(no_eps)
    assert not res.passed
    assert any("case 4" in line for line in res.lines)   # the case with a zero-variance feature


def test_forward_exception_and_in_place_are_reported():
    def raises(x, g, b, e):
        raise RuntimeError("boom")

    def in_place(x, g, b, e):
        x -= x.mean(0)
        return g * x / np.sqrt((x ** 2).mean(0) + e) + b
    r1 = check_batchnorm_forward(raises)
    assert not r1.passed and any("RuntimeError: boom" in line for line in r1.lines)
    r2 = check_batchnorm_forward(in_place)
    assert not r2.passed and any("in place" in line for line in r2.lines)


# ----------------------------------------------------------------------------- backward (chapter 3)
def bn_backward_ok(dy, x, gamma, eps):
    mu = x.mean(0)
    s = np.sqrt(((x - mu) ** 2).mean(0) + eps)
    xhat = (x - mu) / s
    dx = gamma / s * (dy - dy.mean(0) - xhat * (dy * xhat).mean(0))
    return dx, (dy * xhat).sum(0), dy.sum(0)


def test_backward_correct_passes():
    res = check_batchnorm_backward(bn_backward_ok)
    print(res.report())
    assert res.passed and res.max_error < 1e-8


def _stats(x, eps):
    mu = x.mean(0)
    s = np.sqrt(((x - mu) ** 2).mean(0) + eps)
    return (x - mu) / s, s


def test_backward_naive_formula_is_named():
    def naive(dy, x, gamma, eps):
        xhat, s = _stats(x, eps)
        return dy * gamma / s, (dy * xhat).sum(0), dy.sum(0)
    res = check_batchnorm_backward(naive)
    print(res.report())
    assert not res.passed and any("mu and sigma as constants" in line for line in res.lines)


def test_backward_missing_variance_term_is_named():
    def mean_only(dy, x, gamma, eps):
        xhat, s = _stats(x, eps)
        return gamma / s * (dy - dy.mean(0)), (dy * xhat).sum(0), dy.sum(0)
    res = check_batchnorm_backward(mean_only)
    assert not res.passed and any("variance is missing" in line for line in res.lines)


def test_backward_dgamma_without_sum_fails():
    def no_sum(dy, x, gamma, eps):
        dx, _, db = bn_backward_ok(dy, x, gamma, eps)
        xhat, _ = _stats(x, eps)
        return dx, dy * xhat, db
    res = check_batchnorm_backward(no_sum)
    assert not res.passed and any("dgamma: shape" in line for line in res.lines)


def test_backward_wrong_dbeta_fails():
    def bad_dbeta(dy, x, gamma, eps):
        dx, dg, _ = bn_backward_ok(dy, x, gamma, eps)
        return dx, dg, dy.mean(0)
    res = check_batchnorm_backward(bad_dbeta)
    assert not res.passed and any("dbeta" in line for line in res.lines)


# ----------------------------------------------------------------------------- graph figure (chapter 3)
def test_graph_draws_every_node_and_edge():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from bnutils.graph import BN_GRAPH_EDGES, BN_GRAPH_NODES, draw_bn_graph

    ax = Figure().subplots()
    draw_bn_graph(ax, highlight=["xc"], backward=True)
    assert len(ax.texts) == len(BN_GRAPH_NODES)
    assert len(ax.patches) == len(BN_GRAPH_NODES) + len(BN_GRAPH_EDGES)
    assert all(a in BN_GRAPH_NODES and b in BN_GRAPH_NODES for a, b in BN_GRAPH_EDGES)
    with pytest.raises(ValueError, match="unknown nodes"):
        draw_bn_graph(Figure().subplots(), highlight=["nope"])
