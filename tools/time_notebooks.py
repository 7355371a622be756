"""Execute notebooks the way the website build does (BNUTILS_STATIC=1, working directory book/)
and print each one's wall-clock time and its slowest cells. Used for the per-chapter figures.

    .venv/bin/python tools/time_notebooks.py book/02_bn_transform.ipynb [...]
    .venv/bin/python tools/time_notebooks.py --toc          # every notebook in _toc.yml
    .venv/bin/python tools/time_notebooks.py --toc --live   # live mode, as `make test` (nbval) runs them
"""
import argparse
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from toc_notebooks import toc_notebooks  # noqa: E402


def run(path, timeout=300):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    client.execute()
    total = time.perf_counter() - t0
    cells = []
    for i, c in enumerate(nb.cells):
        ex = c.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in ex and "shell.execute_reply" in ex:
            from datetime import datetime
            t = (datetime.fromisoformat(ex["shell.execute_reply"].replace("Z", "+00:00"))
                 - datetime.fromisoformat(ex["iopub.execute_input"].replace("Z", "+00:00"))).total_seconds()
            cells.append((t, i))
        for o in c.get("outputs", []):
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                print(f"  ! stderr in cell {i}: {o.get('text', '')[:200]!r}")
    return total, sorted(cells, reverse=True)[:3]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--toc", action="store_true")
    ap.add_argument("--live", action="store_true", help="no BNUTILS_STATIC: live mode, as nbval runs a chapter")
    args = ap.parse_args()
    os.environ.update(BNUTILS_STATIC="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3",
                      TF_ENABLE_ONEDNN_OPTS="0")
    if args.live:
        os.environ.pop("BNUTILS_STATIC")
    os.environ.pop("MPLBACKEND", None)   # Agg would suppress the inline figures
    paths = [ROOT / p for p in toc_notebooks()] if args.toc else [pathlib.Path(p).resolve() for p in args.paths]
    grand = 0.0
    for p in paths:
        total, slow = run(p)
        grand += total
        print(f"{p.relative_to(ROOT)}: {total:.1f} s   slowest cells: "
              + ", ".join(f"#{i} {t:.1f}s" for t, i in slow))
    print(f"total: {grand:.1f} s")


if __name__ == "__main__":
    main()
