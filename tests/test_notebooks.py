"""Conventions every chapter notebook must keep (cheap: nothing is executed here)."""
import json
import re
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


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_kernelspec(nb):
    """Without a kernelspec JupyterLab (and Binder) opens the chapter with a kernel-choice dialog."""
    ks = json.loads(nb.read_text())["metadata"].get("kernelspec", {})
    assert ks.get("name") == "python3" and ks.get("language") == "python", f"{nb.name}: kernelspec {ks!r}"


# ---- the plain-Jupyter copies (notebooks/book: JupyterLab, Binder, Colab) and the student copies

COPIES = ROOT / "notebooks"
MYST_MARKERS = re.compile(r"\{[a-zA-Z][\w:-]*\}`|`{3,}\{|:{3,}\{|^\s*:(class|label|name):|^\([\w:.-]+\)=\s*$", re.M)


def _copy(kind, nb):
    p = COPIES / kind / nb.name
    assert p.is_file(), f"{p.relative_to(ROOT)} is missing: run `make notebooks`"
    return json.loads(p.read_text())


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_copies_are_of_the_current_chapter(nb):
    """Cheap staleness check (nothing executed): each copy records the sha256 of the chapter it was made
    from. The full regeneration check is `make notebooks-check` (CI, after `make book`)."""
    import hashlib

    digest = hashlib.sha256(nb.read_bytes()).hexdigest()
    for kind in ("book", "student"):
        meta = _copy(kind, nb)["metadata"]["bnutils_copy"]
        assert meta["source"] == f"book/{nb.name}"
        assert meta["sha256"] == digest, f"notebooks/{kind}/{nb.name} is out of date with book/{nb.name}: `make notebooks`"


def _rendered_text(markdown):
    """What a CommonMark renderer (Colab, JupyterLab) shows: markdown-it-py's HTML, tags and code removed."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").render(markdown)
    html = re.sub(r"<pre><code[^>]*>.*?</code></pre>", "", html, flags=re.S)   # code blocks show code, fine
    html = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


@pytest.mark.parametrize("kind", ["book", "student"])
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_copies_read_as_plain_markdown(nb, kind):
    cells = _copy(kind, nb)["cells"]
    bad = []
    for i, c in enumerate(cells):
        if c["cell_type"] == "markdown":
            src = "".join(c["source"])
            bad += [f"cell {i}: {m.group(0)!r}" for m in MYST_MARKERS.finditer(_rendered_text(src))]
            bad += [f"cell {i}: {m.group(0)!r}" for m in MYST_MARKERS.finditer(re.sub(r"```.*?```", "", src, flags=re.S))]
    assert not bad, f"notebooks/{kind}/{nb.name}: MyST left in the Markdown: {bad[:5]}"
    assert _copy(kind, nb)["metadata"]["kernelspec"]["name"] == "python3"
    first = cells[0]
    assert first["cell_type"] == "code" and 'if "google.colab" in sys.modules:' in "".join(first["source"])


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_copies_fold_or_drop_the_solutions(nb):
    book = json.loads(nb.read_text())["cells"]
    n_solution_code = sum(1 for c in book if c["cell_type"] == "code" and "solution" in c["metadata"].get("tags", []))
    n_solution_md = sum("".join(c["source"]).count("{solution}") for c in book if c["cell_type"] == "markdown")
    full, student = _copy("book", nb)["cells"], _copy("student", nb)["cells"]
    # full copy: every solution is folded text, and no solution code is a code cell (Run All skips it)
    assert not any(c["cell_type"] == "code" and "solution" in c["metadata"].get("tags", []) for c in full)
    md = "\n".join("".join(c["source"]) for c in full if c["cell_type"] == "markdown")
    assert md.count("<details>") >= n_solution_code + n_solution_md
    assert md.count("<summary>Solution to") == n_solution_md
    # student copy: no solution at all, but the checkers and the exercise stubs stay
    smd = "\n".join("".join(c["source"]) for c in student if c["cell_type"] == "markdown")
    assert "Solution" not in smd and "<details>" not in smd
    assert not any("solution" in c.get("metadata", {}).get("tags", []) for c in student)
    stubs = [c for c in book if "exercise-stub" in c["metadata"].get("tags", [])]
    scode = ["".join(c["source"]) for c in student if c["cell_type"] == "code"]
    assert all(any("".join(s["source"]) in sc for sc in scode) for s in stubs), "exercise stubs must stay"
    assert smd.count("**Exercise ") == md.count("**Exercise ") >= 1


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_copies_fill_in_the_numbers(nb):
    """Every glue key in the chapter has a recorded value, and no placeholder is left."""
    text = nb.read_text()
    keys = set(re.findall(r"\{glue(?::\w+)?\}`(?:[^`]*::)?([^`:]+)", text))
    glue = _copy("book", nb)["metadata"]["bnutils_copy"]["glue"]
    assert keys <= set(glue), f"glue keys without a value: {sorted(keys - set(glue))}"


def test_converter_on_every_construct(tmp_path):
    """The MyST -> CommonMark rules on a small synthetic chapter (no execution)."""
    import importlib

    mk = importlib.import_module("make_notebooks")
    src = tmp_path / "02_x.ipynb"
    src.write_text("{}")
    labels = {"sec-a": ("02_x.ipynb", "Section A"), "ex-02-1": ("02_x.ipynb", "Exercise 2.1"),
              "other": ("03_y.ipynb", "Far away")}
    bib = {"ioffe2015": ("Ioffe and Szegedy", "2015", "Ioffe, Szegedy (2015). Batch normalization.")}
    conv = mk.Converter(src, labels, bib, {"v": "np.float64(0.123456)", "s": "'text'"}, student=False)
    md = conv.markdown("(sec-a)=\n## Section A\n\nValue {glue:text}`v:.2f`, {glue:text}`s` {cite}`ioffe2015`,"
                       " see {ref}`other` and {ref}`here <sec-a>`.\n\n```{admonition} Title\n:class: warning\n"
                       "Body *text*.\n```\n\n```{exercise}\n:label: ex-02-1\nDo it.\n```\n\n"
                       "````{solution} ex-02-1\n:class: dropdown\nAnswer:\n```python\nx = 1\n```\n````")
    assert "(sec-a)=" not in md and "0.12" in md and "text" in md and "'text'" not in md
    assert "(Ioffe and Szegedy 2015)" in md and "[Far away](03_y.ipynb#Far-away)" in md
    assert "[here](#Section-A)" in md
    assert "> ⚠️ **Title**" in md and "> Body *text*." in md and ":class:" not in md
    assert "> **Exercise 2.1**" in md
    assert "<details>" in md and "Solution to Exercise 2.1" in md and "x = 1" in md
    assert conv.references().startswith("## References") and "Batch normalization" in conv.references()
    student = mk.Converter(src, labels, bib, {}, student=True).markdown("````{solution} ex-02-1\nAnswer\n````")
    assert student.strip() == ""
    with pytest.raises(KeyError, match="glue key 'missing'"):
        conv.markdown("{glue:text}`missing`")
