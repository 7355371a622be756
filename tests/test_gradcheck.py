import numpy as np
import pytest

from bnutils import numerical_gradient, rel_error


def test_numerical_gradient_of_known_function():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    dy = rng.normal(size=(3, 4))
    g = numerical_gradient(lambda z: np.sin(z) * z, x.copy(), dy)
    exact = (np.cos(x) * x + np.sin(x)) * dy
    err = rel_error(g, exact)
    print(f"rel error {err:.1e} (should be < 1e-9)")
    assert err < 1e-9


def test_numerical_gradient_restores_x_and_scalar_f():
    x = np.array([1.0, 2.0, 3.0])
    g = numerical_gradient(lambda z: float(np.sum(z ** 2)), x, 1.0)
    assert np.array_equal(x, [1.0, 2.0, 3.0])
    assert np.allclose(g, 2 * x)


def test_rel_error():
    a = np.array([1.0, 2.0])
    assert rel_error(a, a) == 0.0
    assert np.isclose(rel_error(a, -a), 1.0)
    assert rel_error(np.zeros(2), np.zeros(2)) == 0.0
    with pytest.raises(ValueError, match="shape"):
        rel_error(np.zeros(2), np.zeros(3))
    with pytest.raises(TypeError, match="int"):
        numerical_gradient(lambda z: z, np.arange(3), np.ones(3))
