"""Exercise checkers: each takes a learner's function, runs it on test cases against bnutils'
reference, and returns a :class:`CheckResult` that explains what is wrong (and which common mistake
the output looks like). One module per chapter; ``assert check_x(my_function)`` in a notebook.

=================================  =========  ========================================
checker                            chapter    checks
=================================  =========  ========================================
``check_standardize``              1          z-score scaling fitted on training data
``check_minmax``                   1          min-max scaling fitted on training data
``check_batchnorm_forward``        2          the BN transform, training mode
``check_batchnorm_backward``       3          dx, dgamma, dbeta
``check_sgd_train_step``           4          one SGD step of a network with BN
``check_fold_batchnorm``           5          folding BN into the preceding layer
``check_running_update``           5          PyTorch's running-statistics update
``check_spatial_batchnorm_forward`` 6         BN over (N, H, W) per channel
``check_bn_jacobian``              7          the Jacobian of BN over a batch
``check_variance_shift``           7          dropout's variance shift (Li et al. 2019)
``check_bn_param_counts``          8          parameter counts of a Keras BN layer
``check_residual_block``           9          residual block y = x + relu(x) W, forward and backward
``check_layer_norm``               10         layer norm forward
=================================  =========  ========================================
"""
from ._core import CheckResult, check_function
from .backprop import check_batchnorm_backward
from .beyond import check_layer_norm
from .conv import check_spatial_batchnorm_forward
from .deep import check_residual_block
from .inference import check_fold_batchnorm, check_running_update
from .inputs import check_minmax, check_standardize
from .keras import check_bn_param_counts
from .training import check_sgd_train_step
from .transform import check_batchnorm_forward
from .why import check_bn_jacobian, check_variance_shift

__all__ = [
    "CheckResult", "check_function", "check_standardize", "check_minmax", "check_batchnorm_forward",
    "check_batchnorm_backward", "check_sgd_train_step", "check_fold_batchnorm", "check_running_update",
    "check_spatial_batchnorm_forward", "check_bn_jacobian", "check_variance_shift", "check_bn_param_counts",
    "check_layer_norm", "check_residual_block",
]
