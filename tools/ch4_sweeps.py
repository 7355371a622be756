"""Run chapter 4's multi-seed sweeps once and store the results the chapter reads.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python tools/ch4_sweeps.py      # a few minutes on one core

Writes bnutils/training_sweeps.json: for each experiment a list of records, one per run, with the
setting ("lr", "scale", "opt", "bn" as None/"before"/"after", "seed") and what the chapter uses
(final validation accuracy, divergence, steps to 90%, and for seed 0 of C1/C2 the loss and accuracy
curves). The functions that run each experiment are in bnutils/training_sweeps.py;
tests/test_training_sweeps.py re-runs some of the stored runs and compares.
"""
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bnutils import training_sweeps as ts  # noqa: E402


def main():
    t0 = time.perf_counter()
    data = ts.split()
    out = {"meta": {"seeds": list(ts.SEEDS), "lrs": list(ts.LRS), "scales": list(ts.SCALES),
                    "c3_grid": {k: list(v) for k, v in ts.C3_GRID.items()}}}
    out["c1"] = [dict(lr=lr, bn=bn, seed=s, **ts.c1_run(data, lr, bn, s, curve=s == 0))
                 for bn in (None, "before") for lr in ts.LRS for s in ts.SEEDS]
    print(f"C1 done {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    out["c2"] = [dict(scale=sc, bn=bn, seed=s, **ts.c2_run(data, sc, bn, s, curve=s == 0))
                 for bn in (None, "before") for sc in ts.SCALES for s in ts.SEEDS]
    print(f"C2 done {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    out["c3"] = [dict(opt=opt, lr=lr, bn=bn, seed=s, **ts.c3_run(data, opt, lr, bn, s))
                 for opt, grid in ts.C3_GRID.items() for bn in (None, "before") for lr in grid for s in ts.SEEDS]
    print(f"C3 done {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    out["c7"] = [dict(bn=bn, seed=s, **ts.c7_run(data, bn, s)) for bn in (None, "before") for s in ts.SEEDS]
    out["place"] = [dict(bn=p, seed=s, **ts.place_run(data, p, s)) for p in ("before", "after") for s in ts.SEEDS]
    out["c10"] = [dict(bn=bn, seed=s, **ts.c10_run(data, bn, s)) for bn in (None, "before") for s in ts.SEEDS]
    out["meta"]["seconds"] = round(time.perf_counter() - t0)
    ts.RESULTS_FILE.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {ts.RESULTS_FILE} in {out['meta']['seconds']} s", file=sys.stderr)


if __name__ == "__main__":
    main()
