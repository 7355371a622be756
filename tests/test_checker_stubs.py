"""Every exercise checker, against a correct answer, each typical wrong answer it claims to recognize,
answers with a constant typed in (Keras' epsilon, PyTorch's momentum), and learners' stubs: a checker
reports, it never raises."""
import functools

import numpy as np
import pytest

from bnutils.checkers import (backprop, beyond, conv, inference, inputs, keras, training, transform, why)
from bnutils.checkers._core import CheckResult


def _sgd_step(net, X, y, lr, **kw):
    return training._reference_step(net, X, y, lr, **kw)


# checker, a correct answer, the wrong answers it names (each must fail with "it matches a known mistake")
CHECKERS = {
    "standardize": (inputs.check_standardize, inputs._std_ref,
                    [inputs._std_ddof1, inputs._std_global, inputs._std_own_test_stats, inputs._std_per_example,
                     inputs._std_times_two, inputs._std_eps_outside]),
    "minmax": (inputs.check_minmax, inputs._mm_ref,
               [inputs._mm_global, inputs._mm_own_test_stats, inputs._mm_per_example, inputs._mm_no_shift]),
    "batchnorm_forward": (transform.check_batchnorm_forward, transform._ref,
                          [transform._unbiased, transform._times_two, transform._eps_outside,
                           transform._wrong_axis, transform._no_affine]),
    "batchnorm_backward": (backprop.check_batchnorm_backward, backprop._ref,
                           [backprop._naive, backprop._no_sum_dgamma, backprop._mean_only]),
    "sgd_train_step": (training.check_sgd_train_step, _sgd_step,
                       [functools.partial(_sgd_step, update_bn=False), functools.partial(_sgd_step, sign=1.0)]),
    "fold_batchnorm": (inference.check_fold_batchnorm, inference._fold_ref,
                       [inference._fold_no_bias, inference._fold_bias_unscaled, inference._fold_beta_only,
                        inference._fold_var_as_std, inference._fold_no_eps, inference._fold_mean_unscaled]),
    "running_update": (inference.check_running_update, inference._run_ref,
                       [inference._run_swapped, inference._run_biased, inference._run_std,
                        inference._run_swapped_biased]),
    "spatial_batchnorm": (conv.check_spatial_batchnorm_forward, conv._ref,
                          [conv._per_position, conv._per_example, conv._per_pixel, conv._whole_tensor,
                           conv._unbiased]),
    "bn_jacobian": (why.check_bn_jacobian, why._ref,
                    [why._diagonal, why._no_var_term, why._no_mean_term, why._unbiased]),
    "variance_shift": (why.check_variance_shift, why._variance_shift_ref,
                       [why._vs_mean_ignored, why._vs_mean_not_subtracted, why._vs_inverted,
                        why._vs_not_inverted_dropout]),
    "bn_param_counts": (keras.check_bn_param_counts, keras.bn_param_counts_reference,
                        [keras._all_trainable, keras._flags_ignored, keras._last_axis, keras._all_dims]),
    "layer_norm": (beyond.check_layer_norm, beyond._ref,
                   [beyond._batch_axis, beyond._unbiased, beyond._eps_outside, beyond._no_affine]),
}
NAMES = sorted(CHECKERS)


@pytest.mark.parametrize("name", NAMES)
def test_correct_answer_passes(name):
    check, ref, _ = CHECKERS[name]
    res = check(ref)
    assert isinstance(res, CheckResult) and res.passed, res.report()


WRONG = [(name, k) for name in NAMES for k in range(len(CHECKERS[name][2]))]


@pytest.mark.parametrize("name, k", WRONG, ids=[f"{n}-{k}" for n, k in WRONG])
def test_each_typical_mistake_fails_and_is_named(name, k):
    check, _, wrongs = CHECKERS[name]
    res = check(wrongs[k])
    assert not res.passed
    assert any("it matches a known mistake" in line for line in res.lines), res.report()


def _fixed(ref, position, value):
    """The reference with one argument replaced by a constant, as if typed into the learner's code."""
    def fn(*args):
        args = list(args)
        args[position] = value
        return ref(*args)
    return fn


# (checker name, position of the argument, the constant a learner might type in)
CONSTANTS = [("standardize", 2, 1e-8), ("standardize", 2, 1e-5), ("batchnorm_forward", 3, 1e-3),
             ("batchnorm_forward", 3, 1e-5), ("batchnorm_backward", 3, 1e-3), ("batchnorm_backward", 3, 1e-5),
             ("fold_batchnorm", 6, 1e-3), ("fold_batchnorm", 6, 1e-5), ("running_update", 3, 0.1),
             ("spatial_batchnorm", 3, 1e-3), ("spatial_batchnorm", 3, 1e-5), ("bn_jacobian", 2, 1e-3),
             ("bn_jacobian", 2, 1e-5), ("layer_norm", 3, 1e-3), ("layer_norm", 3, 1e-5)]


@pytest.mark.parametrize("name, position, value", CONSTANTS)
def test_a_constant_typed_in_fails(name, position, value):
    check, ref, _ = CHECKERS[name]
    assert not check(_fixed(ref, position, value)).passed


def _raises(*args):
    raise NotImplementedError("your code here")


STUBS = {
    "returns None": lambda *a: None,
    "returns (None, None)": lambda *a: (None, None),
    "raises": _raises,
    "returns a list of numbers": lambda *a: [0.0, 1.0, 2.0],
    "returns a ragged list": lambda *a: [[1.0, 2.0], [3.0]],
    "returns a list of lists": lambda *a: [[0.0], [0.0]],
    "returns a string": lambda *a: "todo",
    "returns a dict": lambda *a: {"y": 1},
    "returns nan": lambda *a: np.nan,
    "is not a function": None,
}


@pytest.mark.parametrize("stub", sorted(STUBS))
@pytest.mark.parametrize("name", NAMES)
def test_a_stub_is_reported_not_raised(name, stub):
    check, _, _ = CHECKERS[name]
    res = check(STUBS[stub])
    assert isinstance(res, CheckResult) and not res.passed
    text = res.report()
    assert text.startswith("[FAIL]") and len(res.lines) >= 1
    assert "<li>" in res._repr_html_()
