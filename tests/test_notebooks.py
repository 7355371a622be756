"""Conventions every chapter notebook must keep (cheap: nothing is executed here)."""
import json
import sys

import pytest
import yaml

from bnutils import _repo
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from toc_notebooks import toc_files, toc_notebooks  # noqa: E402

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def test_every_toc_entry_exists_and_every_notebook_is_listed():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = toc_files(toc)
    for f in files:
        assert any((ROOT / (f + ext)).is_file() for ext in ("", ".md", ".ipynb")), f
    listed = set(toc_notebooks())
    assert {nb.relative_to(ROOT).as_posix() for nb in NOTEBOOKS} == listed


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(nb):
    cells = json.loads(nb.read_text())["cells"]
    dirty = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{nb.name}: cells {dirty} hold outputs or execution counts"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_is_the_colab_setup_for_this_repository(nb):
    cells = json.loads(nb.read_text())["cells"]
    first = cells[0]
    src = "".join(first["source"])
    assert first["cell_type"] == "code"
    assert "remove-cell" in first.get("metadata", {}).get("tags", [])
    assert 'if "google.colab" in sys.modules:' in src
    assert f"git+{CONFIG['repository']['url']}" in src
    assert "tensorflow" not in src.lower()           # Colab ships its own TensorFlow
    title = "".join(cells[1]["source"])
    assert cells[1]["cell_type"] == "markdown" and title.lstrip().startswith("# "), \
        "the page opens with the title (cell 2), before any code"
    second = "".join(cells[2]["source"])
    for var in ("OPENBLAS_NUM_THREADS", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS"):
        assert var in second, f"{nb.name}: cell 3 must set {var} before importing NumPy/TensorFlow"
    assert second.index("OPENBLAS_NUM_THREADS") < second.index("import numpy")


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_shape(nb):
    cells = json.loads(nb.read_text())["cells"]
    md = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert sum(1 for line in md.splitlines() if line.startswith("# ")) == 1, "exactly one title"
    assert "Objectives" in md and "## Summary" in md and "## Exercises" in md
    assert md.count("{exercise}") >= 1 and "{solution" in md
    assert "interactive_figure(" in code, "every chapter has an interactive figure from bnutils.interactive"
    assert "assert " in code
    for widget in ("ipywidgets", "interact("):
        assert widget not in code.replace("interactive_figure(", ""), f"plain {widget} on a static page is frozen"


def test_repository_url_is_defined_once():
    assert CONFIG["repository"]["url"] == _repo.REPOSITORY_URL
    assert CONFIG["repository"]["url"] in (ROOT / "pyproject.toml").read_text()


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_without_build_only_packages(nb):
    """Binder and Colab have neither myst-nb nor (necessarily) PyTorch: glue comes from bnutils.glue,
    and every torch import sits in a try block."""
    import re

    code = [("".join(c["source"])) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
    assert not any("myst_nb" in c for c in code), "import glue from bnutils.glue"
    for c in code:
        for m in re.finditer(r"^(\s*)import torch", c, flags=re.M):
            before = c[:m.start()].rstrip().splitlines()
            assert before and before[-1].strip() == "try:", f"{nb.name}: unguarded `import torch`"
