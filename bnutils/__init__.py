"""bnutils: the small NumPy library behind "Batch Normalization, Interactively".

Modules, one job each:

- :mod:`bnutils.bn`          the batch-norm math: forward, backward (compact and staged), inference
- :mod:`bnutils.layer`       the ``BatchNorm`` layer (Keras conventions; PyTorch's via ``from_pytorch``)
- :mod:`bnutils.layers`      dense, activations, convolution, pooling, dropout, the loss
- :mod:`bnutils.models`      ``Sequential``, ``mlp`` and ``small_cnn``
- :mod:`bnutils.optim`       SGD, momentum, Adam
- :mod:`bnutils.train`       the training loop and evaluation
- :mod:`bnutils.gradcheck`   numerical gradients and relative errors
- :mod:`bnutils.data`        MNIST-5k, from the checkout or downloaded and verified
- :mod:`bnutils.checkers`    checkers for the exercises
- :mod:`bnutils.interactive` sliders that work live and on the static website

Only NumPy is needed for the math; matplotlib and ipywidgets are imported by the interactive
module when a figure is drawn. Nothing runs or draws random numbers at import time.
"""
from .bn import batchnorm_backward, batchnorm_backward_staged, batchnorm_forward, batchnorm_inference
from .gradcheck import numerical_gradient, rel_error
from .layer import BatchNorm

__version__ = "0.1.0"

__all__ = [
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_staged", "batchnorm_inference",
    "BatchNorm", "numerical_gradient", "rel_error",
]
