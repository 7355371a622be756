"""Chapter 8: the parameter-count checker, and bnutils.BatchNorm against keras.layers.BatchNormalization."""
import numpy as np
import pytest

import bnutils
from bnutils.checkers.keras import bn_param_counts_reference, check_bn_param_counts


def test_reference_counts():
    assert bn_param_counts_reference((32, 784)) == (1568, 1568)          # the notes' model
    assert bn_param_counts_reference((8, 28, 28, 3)) == (6, 6)           # per channel, not per pixel
    assert bn_param_counts_reference((8, 16, 7, 7), axis=1) == (32, 32)
    assert bn_param_counts_reference((4, 10), center=False, scale=False) == (0, 20)
    with pytest.raises(ValueError, match="out of range"):
        bn_param_counts_reference((4, 10), axis=2)


def test_checker_passes_a_correct_answer_and_fails_classic_mistakes():
    assert check_bn_param_counts(lambda s, a, c, g: (s[a] * (c + g), 2 * s[a]))
    all_trainable = check_bn_param_counts(lambda s, a, c, g: (s[a] * (c + g) + 2 * s[a], 0))
    assert not all_trainable and "non-trainable" in all_trainable.report()
    per_element = check_bn_param_counts(lambda s, a, c, g: (int(np.prod(s[1:])) * (c + g), 2 * int(np.prod(s[1:]))))
    assert not per_element and "per feature" in per_element.report()
    last_axis = check_bn_param_counts(lambda s, a, c, g: (s[-1] * (c + g), 2 * s[-1]))
    assert not last_axis and "last one" in last_axis.report()
    flags = check_bn_param_counts(lambda s, a, c, g: (2 * s[a], 2 * s[a]))
    assert not flags and "center=False" in flags.report()


@pytest.mark.parametrize("momentum", [0.9, 0.99])
def test_bnutils_matches_keras_over_training_steps(keras, momentum):
    rng = np.random.default_rng(0)
    D = 5
    g0, b0 = rng.uniform(0.5, 2, D).astype(np.float32), rng.normal(0, 1, D).astype(np.float32)
    mm0, mv0 = rng.normal(0, 1, D).astype(np.float32), rng.uniform(0.5, 2, D).astype(np.float32)
    k = keras.layers.BatchNormalization(momentum=momentum)
    k.build((None, D))
    k.set_weights([g0, b0, mm0, mv0])
    b = bnutils.BatchNorm(D, momentum=momentum, epsilon=k.epsilon)
    b.gamma, b.beta = g0, b0
    b.moving_mean[...], b.moving_variance[...] = mm0, mv0
    for _ in range(3):
        x = rng.normal(2.0, 3.0, (16, D)).astype(np.float32)
        err = np.max(np.abs(k(x, training=True).numpy() - b.forward(x, training=True)))
        assert err < 1e-5, f"training output differs by {err:.2e}"
    err_mv = np.max(np.abs(k.moving_variance.numpy() - b.moving_variance))
    err_mm = np.max(np.abs(k.moving_mean.numpy() - b.moving_mean))
    assert err_mm < 1e-5 and err_mv < 1e-5, (err_mm, err_mv)
    x = rng.normal(2.0, 3.0, (16, D)).astype(np.float32)
    assert np.max(np.abs(k(x, training=False).numpy() - b.forward(x, training=False))) < 1e-5


def test_keras_counts_agree_with_reference(keras):
    for shape, axis, center, scale in [((4, 784), -1, True, True), ((2, 5, 5, 3), -1, False, True),
                                       ((2, 6, 4, 4), 1, True, False)]:
        layer = keras.layers.BatchNormalization(axis=axis, center=center, scale=scale)
        layer.build(shape)
        got = (sum(int(np.prod(v.shape)) for v in layer.trainable_weights),
               sum(int(np.prod(v.shape)) for v in layer.non_trainable_weights))
        assert got == bn_param_counts_reference(shape, axis, center, scale), (shape, got)
