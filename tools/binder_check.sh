#!/usr/bin/env bash
# Run every notebook the way Binder would: a fresh virtual environment from requirements.txt alone
# (plus JupyterLab, nbclient and PyYAML, which Binder's Jupyter server brings), live mode (no
# BNUTILS_STATIC), no PyTorch. The notebooks run are the ones the Binder button opens: the plain-Jupyter
# copies notebooks/book/*.ipynb, from their own folder. Used by `make binder-test` and CI.
#   tools/binder_check.sh --venv-only   only build the venv (make lab-test reuses it when it exists)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${BINDER_VENV:-/tmp/binder-venv}
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -r requirements.txt nbclient pyyaml "$(grep '^jupyterlab==' requirements-dev.txt)"
if "$venv/bin/python" -c "import torch" 2>/dev/null; then echo "torch must not be in requirements.txt" >&2; exit 1; fi
if "$venv/bin/python" -c "import myst_nb" 2>/dev/null; then echo "myst-nb must not be in requirements.txt" >&2; exit 1; fi
if [ "${1:-}" = "--venv-only" ]; then exit 0; fi
"$venv/bin/python" - "$@" <<'PY'
import os, pathlib, sys, time
import nbformat
from nbclient import NotebookClient
sys.path.insert(0, "tools")
from toc_notebooks import toc_notebooks
os.environ.pop("BNUTILS_STATIC", None)
failed = []
copies = [pathlib.Path("notebooks") / p for p in toc_notebooks()]   # notebooks/book/NN.ipynb
missing = [str(p) for p in copies if not p.is_file()]
if missing:
    sys.exit(f"no plain-Jupyter copy for {missing}: run `make notebooks`")
for p in copies:
    nb = nbformat.read(p, as_version=4)
    t0 = time.perf_counter()
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(p.parent)}}).execute()
        print(f"binder-like run: {p} ok in {time.perf_counter() - t0:.1f} s", flush=True)
    except Exception as e:
        failed.append(p)
        print(f"binder-like run: {p} FAILED: {type(e).__name__}: {str(e)[-1500:]}", flush=True)
print(f"{len(copies) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
PY
