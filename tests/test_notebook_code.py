"""Static checks of the notebooks' code (nothing is executed): pyflakes over each chapter, as QuantEcon does.

The code cells of a notebook are concatenated in order (IPython magics and shell lines stripped) and
checked like one module: an unused import or an undefined name fails the test.
"""
import json
import re

import pytest
from pyflakes import api, messages, reporter

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
FAILING = (messages.UnusedImport, messages.UndefinedName, messages.UndefinedLocal, messages.ImportStarUsed)


def notebook_code(nb):
    """The code cells of ``nb`` as one Python source, magics (``%``, ``%%``) and shell lines (``!``) blanked
    so that line numbers still point into the concatenation."""
    cells = json.loads(nb.read_text())["cells"]
    parts = []
    for c in cells:
        if c["cell_type"] != "code":
            continue
        src = "".join(c["source"])
        src = re.sub(r"(?m)^(\s*)[%!].*$", r"\1pass", src)
        parts.append(src)
    return "\n\n".join(parts) + "\n"


class _Collect(reporter.Reporter):
    def __init__(self):
        self.found = []

    def unexpectedError(self, filename, msg):  # noqa: N802 - pyflakes' API
        self.found.append(f"error: {msg}")

    def syntaxError(self, filename, msg, lineno, offset, text):  # noqa: N802
        self.found.append(f"syntax error line {lineno}: {msg}")

    def flake(self, message):
        if isinstance(message, FAILING):
            self.found.append(f"line {message.lineno}: {message.message % message.message_args}")


def pyflakes_problems(source, name="<notebook>"):
    """The pyflakes messages that count as failures, as strings."""
    rep = _Collect()
    api.check(source, name, rep)
    return rep.found


def test_the_check_catches_unused_imports_and_undefined_names():
    assert pyflakes_problems("import os\nx = 1\n") == ["line 1: 'os' imported but unused"]
    assert pyflakes_problems("print(y)\n") == ["line 1: undefined name 'y'"]
    assert pyflakes_problems("import os\nprint(os.sep)\n") == []


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_no_unused_imports(nb):
    problems = pyflakes_problems(notebook_code(nb), nb.name)
    assert not problems, f"{nb.name} (code cells concatenated):\n" + "\n".join(problems)
