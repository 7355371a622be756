# Two commands do all set-up on a fresh machine with Python 3.11+ and make:
#   make book   install, execute every notebook and build the website into _build/html
#   make test   install, then pytest over tests/ and nbval over every notebook in _toc.yml
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
VENDORED := _vendor/.vendored
# One BLAS thread: faster and steadier for the small matrices of this course on 2 cores.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export PYTHONHASHSEED := 0

.PHONY: install vendor book test pytest nbval site-test binder-test lab notebooks notebooks-check lab-test bench clean help

help:
	@echo "make book   - install and build the website into _build/html"
	@echo "make vendor - npm ci + copy MathJax into _vendor/ (served from _static, no CDN; make book runs it)"
	@echo "make test   - install, run pytest over tests/ and nbval over every notebook"
	@echo "make site-test - browser tests of the built website (needs chromium)"
	@echo "make binder-test - run every notebook in a fresh venv from requirements.txt alone, from book/"
	@echo "make lab    - install, then open the course in JupyterLab (the plain-Jupyter copies in notebooks/book)"
	@echo "make notebooks - regenerate notebooks/book (Jupyter/Binder/Colab copies) and notebooks/student from book/"
	@echo "make lab-test - JupyterLab in the Binder-like venv, in headless Chromium: Run All, no raw MyST, slider delay"
	@echo "make bench  - time bnutils batch norm against TensorFlow, PyTorch and naive NumPy"

install: $(STAMP) $(VENDORED)

# Browser libraries served by the website itself (MathJax), pinned in package-lock.json: npm ci + copy
vendor: $(VENDORED)

$(VENDORED): package.json package-lock.json tools/vendor_js.sh
	tools/vendor_js.sh

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

book: $(STAMP) $(VENDORED)
	BNUTILS_STATIC=1 $(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The website is built: open file://$(CURDIR)/_build/html/index.html"

test: pytest nbval

pytest: $(STAMP)
	$(BIN)/python -m pytest tests -q

nbval: $(STAMP)
	$(BIN)/python -m pytest -q -p no:randomly --nbval-lax --nbval-current-env --nbval-cell-timeout=300 \
		$$($(BIN)/python tools/toc_notebooks.py)

site-test: $(STAMP)
	$(BIN)/python -m pytest -q site_tests --ignore=site_tests/test_lab.py   # JupyterLab: make lab-test

binder-test:
	tools/binder_check.sh

# The course in JupyterLab: the plain-Jupyter copies (numbers filled in, callouts, folded solutions).
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR)/notebooks/book $$(test "$$(id -u)" = 0 && echo --allow-root)

# Plain-Jupyter copies for JupyterLab/Binder/Colab and student copies, from book/ (glue values from the
# last `make book`, else one execution per chapter). notebooks-check executes nothing.
notebooks: $(STAMP)
	$(BIN)/python tools/make_notebooks.py

notebooks-check: $(STAMP)
	$(BIN)/python tools/make_notebooks.py --check

lab-test: $(STAMP)
	test -x $${BINDER_VENV:-/tmp/binder-venv}/bin/jupyter-lab || tools/binder_check.sh --venv-only
	BINDER_VENV=$${BINDER_VENV:-/tmp/binder-venv} $(BIN)/python -m pytest -q -s -p no:randomly site_tests/test_lab.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_batchnorm.py

clean:
	rm -rf _build _vendor
