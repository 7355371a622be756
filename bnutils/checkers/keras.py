"""Checkers for the exercises of chapter 8 (batch norm in Keras and TensorFlow).

Pure Python and NumPy: the reference counts follow the rules of ``keras.layers.BatchNormalization``
(one gamma and one beta per feature if ``scale`` / ``center``, always one moving mean and one moving
variance per feature), so the checker runs without TensorFlow. Chapter 8 checks them against Keras.
"""
from __future__ import annotations

import numpy as np

from ._core import check_function

__all__ = ["bn_param_counts_reference", "check_bn_param_counts"]


def _num_features(shape, axis):
    shape = tuple(int(s) for s in np.asarray(shape).ravel())
    if not -len(shape) <= int(axis) < len(shape):
        raise ValueError(f"axis {axis} is out of range for an input of shape {shape}")
    return shape[int(axis)]


def bn_param_counts_reference(shape, axis=-1, center=True, scale=True):
    """Parameter counts of a Keras BatchNormalization layer for an input of the given shape.

    Args:
        shape: the full input shape, batch first, e.g. (32, 784) or (32, 28, 28, 3).
        axis: the feature axis (Keras default -1).
        center, scale: whether the layer has beta / gamma (Keras defaults True).

    Returns:
        (trainable, non_trainable): C * (center + scale) and 2 * C, with C = shape[axis].
    """
    c = _num_features(shape, axis)
    return c * (int(bool(center)) + int(bool(scale))), 2 * c


def _all_trainable(shape, axis, center, scale):
    t, n = bn_param_counts_reference(shape, axis, center, scale)
    return t + n, 0


def _flags_ignored(shape, axis, center, scale):
    return bn_param_counts_reference(shape, axis, True, True)


def _last_axis(shape, axis, center, scale):
    return bn_param_counts_reference(shape, -1, center, scale)


def _all_dims(shape, axis, center, scale):
    shape = tuple(int(s) for s in np.asarray(shape).ravel())
    c = int(np.prod(shape[1:]))
    return c * (int(bool(center)) + int(bool(scale))), 2 * c


def _cases():
    return [
        ((32, 784), -1, True, True),        # the notes' model: 1568 trainable, 1568 non-trainable
        ((8, 28, 28, 3), -1, True, True),   # NHWC image batch: per channel
        ((8, 16, 7, 7), 1, True, True),     # NCHW, channel axis 1
        ((4, 10), -1, False, True),         # no beta
        ((4, 6, 5), 1, True, False),        # no gamma, features on axis 1 of a 3-D input
        ((2, 12), 1, False, False),         # neither: only the moving statistics remain
    ]


def check_bn_param_counts(fn):
    """Check a learner's ``fn(shape, axis, center, scale) -> (trainable, non_trainable)``.

    ``shape`` is the full input shape (batch first). Reports which case fails and, if the answer
    matches a classic mistake (moving statistics counted as trainable, statistics per element
    instead of per feature, the axis or the center/scale flags ignored), says so.
    """
    diagnoses = [
        ("the moving mean and variance are counted as trainable; they are updated by a moving "
         "average, not by gradients, so Keras lists them as non-trainable", _all_trainable),
        ("one parameter per element of the example, not per feature: BN keeps one statistic per "
         "feature (per channel for images), shared over the batch and spatial axes", _all_dims),
        ("the feature axis is taken to be the last one whatever axis is", _last_axis),
        ("center=False drops beta and scale=False drops gamma; the moving statistics stay", _flags_ignored),
    ]
    return check_function(fn, bn_param_counts_reference, _cases(), "BatchNormalization parameter counts",
                          outputs=("trainable", "non_trainable"), diagnoses=diagnoses, rtol=0, atol=0)
