"""What a reader of each chapter meets: visible code lines, visible checks, exercises.

    .venv/bin/python tools/chapter_stats.py            # every notebook in _toc.yml, as a Markdown table

"Visible" means a code cell whose input the website shows: not tagged hide-input, hide-cell,
remove-input or remove-cell. The same rule is enforced by tests/test_reader_first.py.
"""
from __future__ import annotations

import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
HIDDEN_TAGS = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
MAX_VISIBLE_LINES = 15


def code_lines(cell):
    """Non-blank source lines of a cell."""
    return [line for line in "".join(cell["source"]).splitlines() if line.strip()]


def is_visible(cell):
    return cell["cell_type"] == "code" and not HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", []))


def plumbing_lines(cell):
    """Lines of a cell that verify rather than teach: asserts and glue calls."""
    return [line for line in code_lines(cell) if re.match(r"\s*(assert\b|glue\()", line)]


def stats(path):
    cells = json.loads(pathlib.Path(path).read_text())["cells"]
    visible = [c for c in cells if is_visible(c)]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    exercises = re.findall(r"```\{exercise\}", text)
    checkers = {m for c in cells if c["cell_type"] == "code"
                for m in re.findall(r"\b(check_\w+)\(", "".join(c["source"]))}
    return {
        "visible code cells": len(visible),
        "visible code lines": sum(len(code_lines(c)) for c in visible),
        "longest visible cell": max((len(code_lines(c)) for c in visible), default=0),
        "visible asserts": sum(1 for c in visible for l in plumbing_lines(c) if l.strip().startswith("assert")),
        "visible glue calls": sum(1 for c in visible for l in plumbing_lines(c) if l.strip().startswith("glue(")),
        "exercises": len(exercises),
        "checkers used": len(checkers),
    }


def main(argv):
    sys.path.insert(0, str(ROOT / "tools"))
    from toc_notebooks import toc_notebooks

    paths = argv or toc_notebooks()
    rows = [(pathlib.Path(p).stem, stats(p)) for p in paths]
    keys = list(rows[0][1])
    print("| chapter | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for name, s in rows:
        print(f"| {name} | " + " | ".join(str(s[k]) for k in keys) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
