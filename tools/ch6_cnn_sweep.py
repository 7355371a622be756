"""Run chapter 6's CNN runs (small_cnn with/without BN, Adam and SGD, five seeds) once and store them.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python tools/ch6_cnn_sweep.py      # several minutes on one core

Writes bnutils/conv_sweeps.json. The run function is bnutils.conv_sweeps.cnn_run;
tests/test_conv_sweeps.py re-runs one stored run and compares.
"""
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bnutils import conv_sweeps as cs  # noqa: E402
from bnutils.data import load_mnist5k  # noqa: E402


def main():
    t0 = time.perf_counter()
    data = load_mnist5k(seed=0)
    runs = []
    for setting in cs.SETTINGS:
        for bn in (False, True):
            for seed in cs.SEEDS:
                runs.append(dict(setting=setting, bn=bn, seed=seed, **cs.cnn_run(setting, bn, seed, data=data)))
                print(f"{setting} bn={bn} seed={seed}: {runs[-1]['final_acc']:.3f} "
                      f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    out = {"meta": {"seeds": list(cs.SEEDS), "settings": list(cs.SETTINGS), "num_steps": cs.NUM_STEPS,
                    "eval_every": cs.EVAL_EVERY, "batch_size": 32, "bn_momentum": 0.9}, "runs": runs}
    cs.RESULTS_FILE.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {cs.RESULTS_FILE} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
