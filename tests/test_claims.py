"""Every claim of the claims appendix is glued by the chapter it names: a computed verdict and a sentence
of evidence (site_tests/test_site.py checks the rendered verdicts against the four allowed). Checked in the notebook source, so it runs without executing."""
import json
import re

import pytest

from conftest import ROOT

TABLE = (ROOT / "book" / "appendix_claims.md").read_text()
ROWS = re.findall(r"^\| (C\d+) \|.*?\{glue:text\}`([\w.]+)::claim_\1_verdict:s`", TABLE, flags=re.M)


def test_all_fifteen_claims_are_in_the_table():
    assert [c for c, _ in ROWS] == [f"C{i}" for i in range(1, 16)]


@pytest.mark.parametrize("claim,notebook", ROWS, ids=[c for c, _ in ROWS])
def test_chapter_glues_verdict_and_evidence(claim, notebook):
    nb = ROOT / "book" / notebook
    assert nb.is_file(), f"{claim}: {notebook} does not exist"
    code = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
    for key in (f"claim_{claim}_verdict", f"claim_{claim}_evidence"):
        assert re.search(rf"glue\(\s*[\"']{key}[\"']", code), f"{notebook} does not glue {key}"
    # the verdict must be computed: the verdict strings or a variable, never one literal alone
    m = re.search(rf"glue\(\s*[\"']claim_{claim}_verdict[\"']\s*,\s*([^,)]+)", code)
    assert m and not re.fullmatch(r"[\"'][^\"']*[\"']", m.group(1).strip()), \
        f"{notebook}: claim_{claim}_verdict is glued as a typed literal, not computed"
