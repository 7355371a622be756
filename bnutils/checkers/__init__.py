"""Exercise checkers: each takes a learner's function, runs it on test cases against bnutils'
reference, and returns a :class:`CheckResult` that explains what is wrong (and which common mistake
the output looks like). One module per chapter; the chapter's exercises say which checker to call."""
from ._core import CheckResult, check_function
from .backprop import check_batchnorm_backward
from .transform import check_batchnorm_forward

__all__ = ["CheckResult", "check_function", "check_batchnorm_forward", "check_batchnorm_backward"]
