"""bnutils: the small NumPy library behind "Batch Normalization, Interactively".

Modules, one job each, and the chapter that teaches them:

- :mod:`bnutils.scaling`     input scaling: min-max, standardization, robust (ch. 1)
- :mod:`bnutils.bn`          the batch-norm math: forward (ch. 2), backward compact and staged (ch. 3),
  inference (ch. 5), ``bn_jacobian`` (ch. 7)
- :mod:`bnutils.graph`       the computational-graph figure of the backward pass (ch. 3)
- :mod:`bnutils.gradcheck`   numerical gradients and relative errors (ch. 3)
- :mod:`bnutils.nn`          ``Layer``, dense, activations, convolution, pooling, dropout, the loss (ch. 4, 6)
- :mod:`bnutils.batchnorm`   the ``BatchNorm`` layer (Keras conventions; PyTorch's via ``from_pytorch``)
  (ch. 4, 5), ``GhostBatchNorm`` (ch. 7), the one moving-average update ``ema_inplace`` (ch. 5)
- :mod:`bnutils.models`      ``Sequential``, ``mlp``, ``small_cnn``; saving and restoring parameters and
  statistics, ``frozen_statistics``, ``layer_output`` (ch. 4, 5, 6)
- :mod:`bnutils.optim`       SGD, momentum, Adam (ch. 4)
- :mod:`bnutils.train`       the training loop, evaluation, grids of runs (ch. 4)
- :mod:`bnutils.diagnostics` activation statistics, saturation, gradient norms, ``smooth`` (ch. 4, 6)
- :mod:`bnutils.training_sweeps` the stored multi-seed training sweeps (ch. 4)
- :mod:`bnutils.conv_sweeps` the stored multi-seed CNN runs (ch. 6)
- :mod:`bnutils.inference`   moving averages, population and exact statistics, folding (ch. 5)
- :mod:`bnutils.probes`      noisy and ghost BN networks, smoothness, gradient accumulation (ch. 7)
- :mod:`bnutils.ics`         internal covariate shift measured as Santurkar et al. do (ch. 7)
- :mod:`bnutils.deep`        residual blocks, deep plain and residual MLPs, signal profiles (ch. 9)
- :mod:`bnutils.norms`       layer, instance, group norm and batch renorm (ch. 9 deep and residual
  networks, ch. 10 beyond)
- :mod:`bnutils.after_bn`    RMSNorm and weight standardization (ch. 10 beyond)
- :mod:`bnutils.data`        MNIST-5k, from the checkout or downloaded and verified (ch. 1, 4-10)
- :mod:`bnutils.checkers`    checkers for the exercises (one module per chapter)
- :mod:`bnutils.interactive` sliders that work live and on the static website (ch. 1-10)
- :mod:`bnutils.glue`        glue computed numbers into the prose (ch. 1-10)

Chapter 8 (Keras) uses Keras itself and checks it against :mod:`bnutils.bn` and :mod:`bnutils.batchnorm`.
Internal: ``_validation`` (shared argument checks), ``_runtime`` (live kernel or static build), ``_repo``.

Only NumPy is needed for the math; matplotlib and ipywidgets are imported by the interactive
module when a figure is drawn, tqdm (optional) by the training loop for its progress bar.
Nothing runs or draws random numbers at import time.
"""
from .batchnorm import BatchNorm
from .bn import batchnorm_backward, batchnorm_backward_staged, batchnorm_forward, batchnorm_inference
from .gradcheck import numerical_gradient, rel_error

__version__ = "0.1.0"

__all__ = [
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_staged", "batchnorm_inference",
    "BatchNorm", "numerical_gradient", "rel_error",
]
