"""The layout of bnutils: every module is mapped to its chapter in the package docstring, and no module
imports another module's private names (shared helpers live in bnutils._validation)."""
import ast

import pytest

import bnutils
from conftest import ROOT

PKG = ROOT / "bnutils"
MODULES = sorted(p for p in PKG.rglob("*.py") if p.name != "__init__.py")


def _dotted(path):
    return "bnutils." + ".".join(path.relative_to(PKG).with_suffix("").parts)


@pytest.mark.parametrize("path", [p for p in MODULES if not p.name.startswith("_") and p.parent == PKG],
                         ids=lambda p: p.name)
def test_every_public_module_is_listed_with_its_chapter(path):
    name = _dotted(path)
    entries = bnutils.__doc__.split("\n- ")     # one entry per module, continuation lines included
    entry = [e for e in entries if e.startswith(f":mod:`{name}`")]
    assert entry, f"{name} is missing from the module map in bnutils/__init__.py"
    assert "ch." in entry[0], entry[0]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_no_module_imports_private_names_of_another(path):
    tree = ast.parse(path.read_text())
    bad = [f"line {node.lineno}: from {'.' * node.level}{node.module or ''} import {alias.name}"
           for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
           for alias in node.names
           if alias.name.startswith("_") and node.module is not None]   # private modules may be imported
    assert not bad, "\n".join(bad)
