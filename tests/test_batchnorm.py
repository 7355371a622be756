"""The BatchNorm layer against Keras 3 and PyTorch over many training steps, then inference."""
import numpy as np
import pytest

from bnutils import BatchNorm, rel_error


def _batches(rng, shape, steps):
    # a drifting distribution, so the moving statistics have something to follow
    return [rng.normal(0.3 * t, 1.0 + 0.1 * t, shape).astype(np.float32) for t in range(steps)]


@pytest.mark.parametrize("shape", [(32, 6), (8, 4, 4, 6)])
def test_matches_keras_batchnormalization(tf, keras, shape):
    rng = np.random.default_rng(10)
    d, lr = shape[-1], 0.1
    ours = BatchNorm(d)
    ref = keras.layers.BatchNormalization()      # momentum 0.99, epsilon 1e-3, axis -1
    ref.build(shape)
    assert ref.momentum == ours.momentum and ref.epsilon == ours.epsilon
    worst = 0.0
    for x in _batches(rng, shape, 12):
        dy = rng.normal(size=shape).astype(np.float32)
        y = ours.forward(x, training=True)
        dx = ours.backward(dy)
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            yt = ref(xt, training=True)
            loss = tf.reduce_sum(yt * dy)
        gx, gg, gb = tape.gradient(loss, [xt, ref.gamma, ref.beta])
        worst = max(worst, np.max(np.abs(y - yt.numpy())), rel_error(dx, gx.numpy()),
                    rel_error(ours.dgamma, gg.numpy()), rel_error(ours.dbeta, gb.numpy()),
                    np.max(np.abs(ours.moving_mean - ref.moving_mean.numpy())),
                    np.max(np.abs(ours.moving_variance - ref.moving_variance.numpy())))
        ours.gamma = ours.gamma - lr * ours.dgamma   # the same SGD step on both
        ours.beta = ours.beta - lr * ours.dbeta
        ref.gamma.assign_sub(lr * gg)
        ref.beta.assign_sub(lr * gb)
    x = rng.normal(1.0, 1.5, shape).astype(np.float32)
    inf_err = np.max(np.abs(ours.forward(x, training=False) - ref(x, training=False).numpy()))
    print(f"Keras: worst training-step difference {worst:.1e}, inference {inf_err:.1e} (should be < 1e-4)")
    assert worst < 1e-4
    assert inf_err < 1e-4
    assert not np.allclose(ours.moving_mean, 0.0)   # the statistics really moved


@pytest.mark.parametrize("shape", [(32, 6), (8, 6, 4, 4)])
def test_from_pytorch_matches_torch(shape):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    rng = np.random.default_rng(11)
    c, lr = shape[1], 0.1
    ours = BatchNorm.from_pytorch(c)
    ref = (torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d)(c)
    ref.train()
    worst = 0.0
    for x in _batches(rng, shape, 12):
        dy = rng.normal(size=shape).astype(np.float32)
        y = ours.forward(x, training=True)
        dx = ours.backward(dy)
        xt = torch.tensor(x, requires_grad=True)
        yt = ref(xt)
        (yt * torch.tensor(dy)).sum().backward()
        worst = max(worst, np.max(np.abs(y - yt.detach().numpy())), rel_error(dx, xt.grad.numpy()),
                    rel_error(ours.dgamma, ref.weight.grad.numpy()), rel_error(ours.dbeta, ref.bias.grad.numpy()),
                    np.max(np.abs(ours.running_mean - ref.running_mean.numpy())),
                    np.max(np.abs(ours.running_var - ref.running_var.numpy())))
        with torch.no_grad():
            ref.weight -= lr * ref.weight.grad
            ref.bias -= lr * ref.bias.grad
            ref.weight.grad = None
            ref.bias.grad = None
        ours.gamma = ours.gamma - lr * ours.dgamma
        ours.beta = ours.beta - lr * ours.dbeta
    ref.eval()
    x = rng.normal(1.0, 1.5, shape).astype(np.float32)
    with torch.no_grad():
        inf_err = np.max(np.abs(ours.forward(x, training=False) - ref(torch.tensor(x)).numpy()))
    print(f"PyTorch: worst training-step difference {worst:.1e}, inference {inf_err:.1e} (should be < 1e-4)")
    assert worst < 1e-4
    assert inf_err < 1e-4


def test_pytorch_convention_without_torch():
    # PyTorch's documented update: running = (1 - momentum) * running + momentum * stat, with the
    # unbiased variance; Keras: moving = momentum * moving + (1 - momentum) * stat, biased variance.
    x = np.array([[0.0], [1.0], [2.0], [5.0]], dtype=np.float64)
    pt = BatchNorm.from_pytorch(1, momentum=0.1, dtype=np.float64)
    ks = BatchNorm(1, momentum=0.99, dtype=np.float64)
    pt.forward(x, training=True)
    ks.forward(x, training=True)
    assert np.isclose(pt.running_mean[0], 0.1 * 2.0)
    assert np.isclose(pt.running_var[0], 0.9 * 1.0 + 0.1 * x.var(ddof=1))
    assert np.isclose(ks.moving_mean[0], 0.01 * 2.0)
    assert np.isclose(ks.moving_variance[0], 0.99 * 1.0 + 0.01 * x.var())
    assert pt.axis == 1 and pt.epsilon == 1e-5 and ks.epsilon == 1e-3


def test_non_finite_training_batch_leaves_state_untouched():
    layer = BatchNorm(3)
    layer.forward(np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32), training=True)
    before = (layer.moving_mean.copy(), layer.moving_variance.copy(), layer.gamma.copy())
    x = np.ones((8, 3), np.float32)
    x[2, 1] = np.nan
    with pytest.raises(FloatingPointError, match="non-finite"):
        layer.forward(x, training=True)
    for a, b in zip(before, (layer.moving_mean, layer.moving_variance, layer.gamma)):
        assert np.array_equal(a, b)


def test_bad_input_to_layer_changes_nothing():
    layer = BatchNorm(3)
    mm = layer.moving_mean.copy()
    with pytest.raises(ValueError, match=r"x has shape \(8, 4\).*num_features=3"):
        layer.forward(np.ones((8, 4), np.float32), training=True)
    with pytest.raises(ValueError, match="only 1 value per feature"):
        layer.forward(np.ones((1, 3), np.float32), training=True)
    with pytest.raises(TypeError, match="int"):
        layer.forward(np.ones((8, 3), dtype=np.int32), training=True)
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        layer.gamma = np.ones(4, np.float32)
    with pytest.raises(RuntimeError, match="backward"):
        BatchNorm(3).backward(np.ones((2, 3), np.float32))
    assert np.array_equal(layer.moving_mean, mm)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(3, momentum=1.5)
    with pytest.raises(ValueError, match="num_features"):
        BatchNorm(0)
