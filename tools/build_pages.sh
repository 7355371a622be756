#!/usr/bin/env bash
# Build a partial book (intro + the given pages + bibliography) with warnings as errors, into its
# own output folder, so one chapter can be checked without building the others.
#   tools/build_pages.sh book/03_backprop [book/04_training ...]
# Output: /tmp/jb-<first page name>/_build/html
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 book/NN_name [...]" >&2; exit 2; }
name=$(basename "$1" .ipynb)
out=/tmp/jb-$name
mkdir -p "$out"
toc="$out/_toc.yml"
{
  echo "format: jb-book"
  echo "root: book/intro"
  echo "parts:"
  echo "  - caption: Pages"
  echo "    numbered: true"
  echo "    chapters:"
  for p in "$@"; do echo "      - file: ${p%.ipynb}"; done
  echo "  - caption: Appendices"
  echo "    chapters:"
  echo "      - file: book/references"
  # chapters link {doc}`playground`; it is a plain page (nothing to execute), so always build it
  case " $* " in *" book/playground "*|*" book/playground.md "*) ;; *) echo "      - file: book/playground" ;; esac
} > "$toc"
[ -f _vendor/.vendored ] || tools/vendor_js.sh   # MathJax served from _static (see Makefile: vendor)
export BNUTILS_STATIC=1 OPENBLAS_NUM_THREADS=1 TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0
exec .venv/bin/jupyter-book build . --toc "$toc" --path-output "$out" -W -n --keep-going
