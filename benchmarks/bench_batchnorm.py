"""Time batch-norm forward + backward (training mode, float32): bnutils against TensorFlow's fused CPU
kernel, PyTorch's CPU kernel (if installed) and a straightforward NumPy version, in one run.

    make bench          (or .venv/bin/python benchmarks/bench_batchnorm.py [--repeat 30])

Prints the median time of each and the ratios to bnutils. Every implementation's dx is checked
against bnutils' before it is timed. Threads: NumPy/BLAS as the environment sets them (make sets
one BLAS thread); TensorFlow and PyTorch with their defaults (all cores) unless --threads is given.
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from bnutils import batchnorm_backward, batchnorm_forward  # noqa: E402

EPS = 1e-3
SHAPES = [(256, 1024), (64, 32, 32, 64)]


def naive(x, gamma, beta, dy):
    """The textbook NumPy version: every step a new temporary."""
    axes = tuple(range(x.ndim - 1))
    mu = x.mean(axis=axes)
    var = ((x - mu) ** 2).mean(axis=axes)
    xhat = (x - mu) / np.sqrt(var + EPS)
    y = gamma * xhat + beta
    m = x.size // x.shape[-1]
    dbeta = dy.sum(axis=axes)
    dgamma = (dy * xhat).sum(axis=axes)
    dx = gamma / np.sqrt(var + EPS) / m * (m * dy - dbeta - xhat * dgamma)
    return y, dx, dgamma, dbeta


def ours(x, gamma, beta, dy):
    y, cache = batchnorm_forward(x, gamma, beta, eps=EPS)
    dx, dgamma, dbeta = batchnorm_backward(dy, cache)
    return y, dx, dgamma, dbeta


def make_tf(threads):
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)

    def run(x4, gamma, beta, dy4, _tf=tf):
        empty = _tf.constant([], dtype=_tf.float32)
        y, _, _, r1, r2, r3 = _tf.raw_ops.FusedBatchNormV3(
            x=x4, scale=gamma, offset=beta, mean=empty, variance=empty, epsilon=EPS,
            data_format="NHWC", is_training=True)
        dx, dgamma, dbeta, _, _ = _tf.raw_ops.FusedBatchNormGradV3(
            y_backprop=dy4, x=x4, scale=gamma, reserve_space_1=r1, reserve_space_2=r2, reserve_space_3=r3,
            epsilon=EPS, data_format="NHWC", is_training=True)
        return y.numpy(), dx.numpy(), dgamma.numpy(), dbeta.numpy()

    def prepare(x, gamma, beta, dy):
        # the fused kernel wants 4-D input: (N, D) becomes (N, 1, 1, D), the same bytes
        four = (lambda a: a if a.ndim == 4 else a.reshape(a.shape[0], 1, 1, a.shape[1]))
        return tf.constant(four(x)), tf.constant(gamma), tf.constant(beta), tf.constant(four(dy))

    return run, prepare, f"TensorFlow {tf.__version__} FusedBatchNormV3 (NHWC)"


def make_torch(threads):
    try:
        import torch
    except ImportError:
        return None
    if threads:
        torch.set_num_threads(threads)

    def prepare(x, gamma, beta, dy):
        # PyTorch's layout is channels-first; channels_last memory keeps the same bytes as NHWC
        if x.ndim == 4:
            xt = torch.from_numpy(x).permute(0, 3, 1, 2)   # a channels_last view, no copy
            dyt = torch.from_numpy(dy).permute(0, 3, 1, 2)
        else:
            xt, dyt = torch.from_numpy(x), torch.from_numpy(dy)
        return xt.requires_grad_(True), torch.from_numpy(gamma).requires_grad_(True), \
            torch.from_numpy(beta).requires_grad_(True), dyt

    def run(xt, gt, bt, dyt, _torch=torch):
        xt.grad = gt.grad = bt.grad = None
        y = _torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=EPS)
        y.backward(dyt)
        to = (lambda a: a.permute(0, 2, 3, 1).numpy()) if xt.ndim == 4 else (lambda a: a.numpy())
        return to(y.detach()), to(xt.grad), gt.grad.numpy(), bt.grad.numpy()

    return run, prepare, f"PyTorch {torch.__version__} batch_norm (channels_last)"


def timeit(fn, args, repeat):
    fn(*args)  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--threads", type=int, default=0, help="threads for TF and PyTorch (0: their default)")
    args = ap.parse_args()
    print(f"NumPy {np.__version__}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
          f"{os.cpu_count()} cores; median of {args.repeat} runs, forward + backward, float32\n")
    impls = [("bnutils", ours, None), ("naive NumPy", naive, None)]
    tf_run, tf_prep, tf_name = make_tf(args.threads)
    impls.append((tf_name, tf_run, tf_prep))
    t = make_torch(args.threads)
    if t is not None:
        impls.append((t[2], t[0], t[1]))
    else:
        print("PyTorch is not installed: skipped\n")
    for shape in SHAPES:
        rng = np.random.default_rng(0)
        x = rng.normal(1.0, 2.0, shape).astype(np.float32)
        dy = rng.normal(size=shape).astype(np.float32)
        d = shape[-1]
        gamma = rng.normal(1.0, 0.2, d).astype(np.float32)
        beta = rng.normal(0.0, 0.2, d).astype(np.float32)
        ref = ours(x, gamma, beta, dy)
        print(f"shape {shape}:")
        base = None
        for name, fn, prep in impls:
            a = prep(x, gamma, beta, dy) if prep else (x, gamma, beta, dy)
            out = fn(*a)
            err = max(float(np.max(np.abs(np.asarray(o).reshape(r.shape) - r)) / (np.max(np.abs(r)) + 1e-12)) for o, r in zip(out, ref))
            assert err < 1e-3, f"{name} disagrees with bnutils: relative error {err:.1e}"
            t_med = timeit(fn, a, args.repeat)
            base = base or t_med
            print(f"  {name:50s} {t_med * 1e3:8.2f} ms   {t_med / base:5.2f} x bnutils time  (agrees to {err:.0e})")
        print()


if __name__ == "__main__":
    main()
