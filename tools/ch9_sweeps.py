"""Chapter 9's multi-seed training sweeps, stored in bnutils/deep_sweeps.json (package data).

Runs :func:`bnutils.deep.deep_run` (a 20-unit deep MLP, width 64, plain SGD, 250 steps of 64 on the
first 3000 MNIST-5k training images, validation accuracy with batch statistics on the next 1000)
for five seeds per setting. About five minutes on one core; the chapter loads the results and
re-runs seed 0 of one setting live, and tests/test_deep.py re-runs a stored run and compares.

Usage: OMP_NUM_THREADS=1 .venv/bin/python tools/ch9_sweeps.py
"""
import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bnutils.data import load_mnist5k  # noqa: E402
from bnutils.deep import deep_run  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[1] / "bnutils" / "deep_sweeps.json"
SEEDS = (0, 1, 2, 3, 4)

SETTINGS = {
    # C3 / where BN pays off: a deep plain ReLU net, each arm over a learning-rate grid
    "plain_lr0.03": dict(lr=0.03), "plain_lr0.1": dict(lr=0.1), "plain_lr0.3": dict(lr=0.3),
    "bn_lr0.03": dict(bn="before", lr=0.03), "bn_lr0.1": dict(bn="before", lr=0.1),
    "bn_lr0.3": dict(bn="before", lr=0.3), "bn_lr1.0": dict(bn="before", lr=1.0),
    # residual stacks of the same depth
    "res_none_lr0.03": dict(residual=True, lr=0.03),
    "res_start_lr0.1": dict(residual=True, bn="start", lr=0.1),
    "res_zero_lr0.1": dict(residual=True, bn="both", zero_gamma=True, lr=0.1),
    # the paper's recipe (section 4.2) on the BN net: a "before" baseline and one change at a time
    "recipe_base": dict(bn="before", lr=0.1, dropout=0.2, weight_decay=5e-3),
    "recipe_lr": dict(bn="before", lr=0.3, dropout=0.2, weight_decay=5e-3),
    "recipe_nodrop": dict(bn="before", lr=0.1, weight_decay=5e-3),
    "recipe_lessL2": dict(bn="before", lr=0.1, dropout=0.2, weight_decay=5e-3 / 5),
    "recipe_decay": dict(bn="before", lr=0.1, dropout=0.2, weight_decay=5e-3, decay_at=150),
    "recipe_all": dict(bn="before", lr=0.3, weight_decay=5e-3 / 5, decay_at=150),
}


def split():
    X, y, _, _ = load_mnist5k(seed=0)
    return X[:3000], y[:3000], X[3000:], y[3000:]


def main():
    X_tr, y_tr, X_val, y_val = split()
    out = {"protocol": "deep_run defaults: depth 20, width 64, SGD, 250 steps, batch 64, eval every 25 steps "
                       "(batch statistics, chunks of 500)", "seeds": list(SEEDS), "settings": {}, "runs": {}}
    t0 = time.time()
    for name, kw in SETTINGS.items():
        out["settings"][name] = kw
        out["runs"][name] = [deep_run(X_tr, y_tr, X_val, y_val, seed=s, **kw) for s in SEEDS]
        accs = [r["final_acc"] for r in out["runs"][name]]
        print(f"{name:18s} {[round(a, 3) for a in accs]}  {time.time() - t0:.0f}s", flush=True)
        OUT.write_text(json.dumps(out, indent=1))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
