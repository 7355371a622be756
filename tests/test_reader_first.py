"""Reader-first chapters (CONTRIBUTING.md, "Visible code is the lesson"): a code cell the website shows
has at most 15 non-blank lines and holds no assert and no glue call; checks sit in hidden cells."""
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from chapter_stats import HIDDEN_TAGS, MAX_VISIBLE_LINES, code_lines, is_visible, plumbing_lines  # noqa: E402
from toc_notebooks import toc_notebooks  # noqa: E402

import json  # noqa: E402

NOTEBOOKS = toc_notebooks()


def visible_cells(path):
    cells = json.loads(open(path).read())["cells"]
    return [(i, c) for i, c in enumerate(cells) if is_visible(c)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem if hasattr(p, "stem") else str(p))
def test_visible_code_is_short_and_free_of_checks(path):
    problems = []
    for i, cell in visible_cells(path):
        n = len(code_lines(cell))
        if n > MAX_VISIBLE_LINES:
            problems.append(f"cell {i}: {n} non-blank lines (limit {MAX_VISIBLE_LINES})")
        for line in plumbing_lines(cell):
            problems.append(f"cell {i}: visible check `{line.strip()[:60]}`")
    assert not problems, f"{path}: " + "; ".join(problems)


def test_rule_recognizes_hidden_and_visible_cells():
    cell = {"cell_type": "code", "source": ["x = 1\n", "assert x == 1\n"], "metadata": {}}
    assert is_visible(cell) and len(plumbing_lines(cell)) == 1
    for tag in HIDDEN_TAGS:
        assert not is_visible({**cell, "metadata": {"tags": [tag]}})
