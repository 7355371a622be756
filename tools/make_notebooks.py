"""Plain-Jupyter copies of the chapters, for JupyterLab, Binder and Colab, and student copies.

    python tools/make_notebooks.py            # (re)write notebooks/book/*.ipynb and notebooks/student/*.ipynb
    python tools/make_notebooks.py --check    # exit 1 if a copy is out of date with book/ (no execution)

Colab and a plain JupyterLab render CommonMark and know nothing of MyST, so each chapter in book/ is
rewritten into plain Markdown (``make notebooks``):

* ``{glue:text}`key:fmt``` -> the value, taken from the executed chapter (the website build's
  ``_build/jupyter_execute/book/NN.ipynb``, or, when that is missing or older than the chapter,
  one execution with nbclient here), formatted with myst-nb's own ``format_plain_text``;
* ``{cite}`` -> "(Author Year)" from book/references.bib (pybtex), with a reference list at the end;
* ``{ref}``/``{doc}`` -> links to the sibling notebooks (JupyterLab heading anchors), ``(label)=`` dropped;
* admonitions -> a block quote with a bold title; ``{exercise}`` -> "**Exercise N.k**" block quote;
* ``{solution}`` and ``solution``-tagged code -> folded ``<details>`` text that Run All does not execute
  (student copies: dropped);
* ``check``/``hide-input`` code cells stay and run, collapsed (JupyterLab ``source_hidden``, Colab form).

Each copy records the sha256 of the chapter it came from and the glue values it used
(``metadata.bnutils_copy``), so ``--check`` regenerates it deterministically and
tests/test_notebooks.py can tell a stale copy without executing anything.
Why a small converter and not a tool: jupytext changes the container (ipynb <-> MyST Markdown) and keeps
directives and roles as they are; jupyterlab-myst renders MyST inside JupyterLab only (Colab cannot load
it) and would not fold solutions for Run All or make student copies; sphinx-tojupyter (QuantEcon) is a
Sphinx builder not packaged for this Jupyter Book 1 / Sphinx 7 set-up and was not tried here. The pieces
that exist are reused: myst-nb's own glue formatting, pybtex for the bibliography, and markdown-it-py's
CommonMark renderer in the tests. The rules are listed in CONTRIBUTING.md, "Plain-Jupyter copies".
"""
from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "notebooks"
FULL, STUDENT = OUT / "book", OUT / "student"
sys.path.insert(0, str(ROOT))
from bnutils._repo import BRANCH, REPOSITORY_URL  # noqa: E402

ADMONITION_ICONS = {"note": "ℹ️", "tip": "💡", "hint": "💡", "important": "❗", "warning": "⚠️",
                    "caution": "⚠️", "attention": "⚠️", "danger": "⛔", "error": "⛔", "seealso": "🔗"}
ROLE = re.compile(r"\{([a-zA-Z][\w:-]*)\}`([^`]*)`")
FENCE_OPEN = re.compile(r"^(`{3,}|:{3,})\{([\w-]+)\}\s*(.*)$")
TARGET = re.compile(r"^\((?P<label>[\w:.-]+)\)=\s*$")


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def chapters():
    sys.path.insert(0, str(ROOT / "tools"))
    from toc_notebooks import toc_notebooks

    return [ROOT / p for p in toc_notebooks()]


# ---------------------------------------------------------------- labels, references, glue
def chapter_number(path):
    m = re.match(r"(\d+)_", path.name)
    return int(m.group(1)) if m else 0


def heading_anchor(text):
    """JupyterLab's anchor for a Markdown heading: spaces -> '-'."""
    return re.sub(r"\s+", "-", re.sub(r"[`*$]", "", text.strip()))


def collect_labels(nb_paths):
    """label -> (notebook name, heading text or 'Exercise N.k')."""
    labels = {}
    for p in nb_paths:
        cells = json.loads(p.read_text())["cells"]
        k = 0
        for c in cells:
            if c["cell_type"] != "markdown":
                continue
            lines = "".join(c["source"]).splitlines()
            for i, line in enumerate(lines):
                m = TARGET.match(line)
                if m:
                    head = next((ln.lstrip("#").strip() for ln in lines[i + 1:] if ln.startswith("#")), None)
                    labels[m["label"]] = (p.name, head)
                m = FENCE_OPEN.match(line)
                if m and m.group(2) == "exercise":
                    k += 1
                    for opt in lines[i + 1:i + 6]:
                        mm = re.match(r"^:label:\s*(\S+)", opt)
                        if mm:
                            labels[mm.group(1)] = (p.name, f"Exercise {chapter_number(p)}.{k}")
    return labels


def load_bib():
    from pybtex.database import parse_file

    db = parse_file(str(ROOT / "book" / "references.bib"))
    out = {}
    for key, e in db.entries.items():
        people = e.persons.get("author") or e.persons.get("editor") or []
        last = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
        who = last[0] if len(last) == 1 else (f"{last[0]} and {last[1]}" if len(last) == 2 else f"{last[0]} et al.")
        year = e.fields.get("year", "n.d.")
        title = e.fields.get("title", "").replace("{", "").replace("}", "")
        venue = e.fields.get("journal") or e.fields.get("booktitle") or e.fields.get("publisher") or ""
        venue = venue.replace("{", "").replace("}", "")
        url = e.fields.get("url") or (f"https://doi.org/{e.fields['doi']}" if "doi" in e.fields else "")
        full = f"{', '.join(last)} ({year}). {title}." + (f" *{venue}*." if venue else "") + (f" <{url}>" if url else "")
        out[key] = (who, year, full)
    return out


def glue_from_executed(nb):
    """key -> text/plain of every myst-nb glue output of an executed notebook."""
    values = {}
    for c in nb["cells"]:
        for o in c.get("outputs", []):
            sb = o.get("metadata", {}).get("scrapbook", {})
            key = sb.get("mime_prefix", "") + "text/plain"        # display=False: application/papermill.record/
            if sb.get("name") is not None and key in o.get("data", {}):
                tp = o["data"][key]
                values[sb["name"]] = tp if isinstance(tp, str) else "".join(tp)
    return values


def built_glue(src):
    """The website build's glue values for chapter ``src``, or None when the build is missing or older.
    myst-nb keeps them in _build/jupyter_execute/book/NN.glue.json (the executed .ipynb loses them)."""
    base = ROOT / "_build" / "jupyter_execute" / "book"
    built, side = base / src.name, base / (src.stem + ".glue.json")
    if not built.is_file() or built.stat().st_mtime < src.stat().st_mtime:
        return None
    values = glue_from_executed(json.loads(built.read_text()))
    if side.is_file():
        for k, o in json.loads(side.read_text()).items():
            tp = o.get("data", {}).get("text/plain")
            if tp is not None:
                values[k] = tp if isinstance(tp, str) else "".join(tp)
    return values


def execute_for_glue(src):
    """Run the chapter once (live mode, cwd book/) and return its glue values."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(src, as_version=4)
    env_static = os.environ.pop("BNUTILS_STATIC", None)
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(src.parent)}}).execute()
    finally:
        if env_static is not None:
            os.environ["BNUTILS_STATIC"] = env_static
    return glue_from_executed(json.loads(nbformat.writes(nb)))


def glue_values(src, recorded):
    """The glue values for chapter ``src``: recorded ones if the copy is of this exact chapter,
    else the website build's executed notebook if it is newer than the chapter, else one execution."""
    digest = sha256(src)
    if recorded and recorded.get("sha256") == digest:
        return recorded["glue"]
    built = built_glue(src)
    if built is not None:
        return built
    cache = ROOT / "_build" / "glue-cache" / f"{src.stem}-{digest[:16]}.json"   # one execution per version
    if cache.is_file():
        return json.loads(cache.read_text())
    print(f"  executing {src.name} for its glue values ...", flush=True)
    values = execute_for_glue(src)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(values))
    return values


def format_glue(text, fmt):
    try:
        from myst_nb.core.variables import format_plain_text
    except ImportError:                         # same rule as myst-nb's, for a venv without it
        def format_plain_text(text, fmt):
            try:
                value = ast.literal_eval(text)
            except (SyntaxError, ValueError):
                value = text
            if fmt == "":
                return str(value)
            value = float(value) if fmt[-1] in "eEfFgGn%" else (int(value) if fmt[-1] in "bcdoxX" else value)
            return format(value, fmt)
    m = re.fullmatch(r"np\.\w+\((.*)\)", text.strip())    # NumPy 2 scalar reprs: np.float64(0.5)
    return format_plain_text(m.group(1) if m else text, fmt)


# ---------------------------------------------------------------- Markdown
class Converter:
    def __init__(self, src, labels, bib, glue, student):
        self.src, self.labels, self.bib, self.glue, self.student = src, labels, bib, glue, student
        self.cited = []
        self.n_exercise = 0
        self.chapter = chapter_number(src)
        self.exercise_names = {}

    def link(self, label, text=None):
        if label not in self.labels:
            return text or label
        nb, head = self.labels[label]
        text = text or head or label
        target = "" if nb == self.src.name else nb
        if head and not head.startswith("Exercise ") and "$" not in head and "`" not in head:
            target += "#" + heading_anchor(head)
        return f"[{text}]({target})" if target else text

    def role(self, m):
        name, body = m.group(1), m.group(2)
        if name.startswith("glue"):
            key, _, fmt = body.partition(":")
            key = key.split("::")[-1]
            if key not in self.glue:
                raise KeyError(f"{self.src.name}: glue key {key!r} is used in the text but no cell glues it")
            return format_glue(self.glue[key], fmt)
        if name.startswith("cite"):
            keys = [k.strip() for k in body.split(",") if k.strip()]
            parts = []
            for k in keys:
                if k not in self.bib:
                    raise KeyError(f"{self.src.name}: {{cite}}`{k}` is not in book/references.bib")
                if k not in self.cited:
                    self.cited.append(k)
                who, year, _ = self.bib[k]
                parts.append(f"{who} {year}" if name != "cite:t" else f"{who} ({year})")
            return ("(" + "; ".join(parts) + ")") if name != "cite:t" else "; ".join(parts)
        m2 = re.fullmatch(r"(.*?)\s*<([^>]+)>", body, re.S)
        text, target = (m2.group(1), m2.group(2)) if m2 else (None, body)
        if name in ("ref", "numref", "eq"):
            return self.link(target, text)
        if name == "doc":
            stem = pathlib.PurePosixPath(target).name
            nb = ROOT / "book" / (stem + ".ipynb")
            if nb.is_file():
                if text is None:
                    title = next(("".join(c["source"]).lstrip("# ").splitlines()[0]
                                  for c in json.loads(nb.read_text())["cells"]
                                  if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("# ")), stem)
                    text = title
                return f"[{text}]({stem}.ipynb)"
            md = f"{target}.md" if not target.endswith(".md") else target
            return f"[{text or stem}]({REPOSITORY_URL}/blob/{BRANCH}/book/{pathlib.PurePosixPath(md).name})"
        if name == "math":
            return f"${body}$"
        return text or target                      # any other role: its text

    def inline(self, text):
        return ROLE.sub(self.role, text)

    def directive(self, name, arg, options, body):
        """Plain Markdown lines for one directive; None drops it."""
        inner = self.markdown("\n".join(body)).splitlines()
        quote = lambda lines: [("> " + ln) if ln.strip() else ">" for ln in lines]  # noqa: E731
        if name == "exercise":
            self.n_exercise += 1
            title = f"**Exercise {self.chapter}.{self.n_exercise}**" + (f" {self.inline(arg)}" if arg else "")
            return quote([title, ""] + inner)
        if name == "solution":
            if self.student:
                return None
            ex = self.labels.get(arg.strip(), (None, "the exercise"))[1]
            return ["<details>", f"<summary>Solution to {ex} (click to unfold)</summary>", ""] + inner + ["", "</details>"]
        if name == "admonition":
            cls = options.get("class", "").split()
            icon = next((ADMONITION_ICONS[c] for c in cls if c in ADMONITION_ICONS), "📌")
            return quote([f"{icon} **{self.inline(arg)}**", ""] + inner)
        if name in ADMONITION_ICONS:
            title = self.inline(arg) if arg else name.capitalize()
            return quote([f"{ADMONITION_ICONS[name]} **{title}**", ""] + inner)
        if name in ("math",):
            return ["$$"] + body + ["$$"]
        if name in ("code-cell", "code-block", "code"):
            return ["```" + (arg or "")] + body + ["```"]
        return quote([f"**{name.capitalize()}**" + (f" {self.inline(arg)}" if arg else ""), ""] + inner)

    def markdown(self, text):
        lines = text.splitlines()
        out, i = [], 0
        while i < len(lines):
            line = lines[i]
            m = FENCE_OPEN.match(line)
            if m:
                fence, name, arg = m.group(1), m.group(2), m.group(3).strip()
                j, options = i + 1, {}
                while j < len(lines) and re.match(r"^:[\w-]+:", lines[j]):
                    k, _, v = lines[j][1:].partition(":")
                    options[k] = v.strip()
                    j += 1
                body, depth = [], 0
                close = re.compile("^" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
                while j < len(lines):
                    ln = lines[j]
                    if fence[0] == "`" and re.match(r"^`{3,}\S", ln) and len(re.match("`+", ln).group()) < len(fence):
                        depth += 1
                    elif close.match(ln) and depth == 0:
                        break
                    elif depth and re.match(r"^`{3,}\s*$", ln):
                        depth -= 1
                    body.append(ln)
                    j += 1
                res = self.directive(name, arg, options, body)
                if res is not None:
                    out.extend(res)
                i = j + 1
                continue
            if TARGET.match(line):
                i += 1
                continue
            if line.startswith("```"):                              # a plain code fence: copy verbatim
                j = i + 1
                while j < len(lines) and not lines[j].startswith("```"):
                    j += 1
                out.extend(lines[i:j + 1])
                i = j + 1
                continue
            line = re.sub(r"\$\$\s*\([\w:.-]+\)\s*$", "$$", line)     # labelled display math
            out.append(self.inline(line))
            i += 1
        return "\n".join(out)

    def references(self):
        if not self.cited:
            return None
        items = [f"- {self.bib[k][2]}" for k in self.cited]
        return "## References\n\n" + "\n".join(items)


# ---------------------------------------------------------------- notebooks
def _fold(cell, title):
    src = "".join(cell["source"])
    if not src.startswith("#@title"):
        src = f"#@title {title}\n" + src
    cell["source"] = src
    md = cell.setdefault("metadata", {})
    md["jupyter"] = {"source_hidden": True}
    md["cellView"] = "form"


def convert(src, labels, bib, glue, student):
    nb = json.loads(src.read_text())
    conv = Converter(src, labels, bib, glue, student)
    cells = []
    for n, c in enumerate(nb["cells"]):
        c = copy.deepcopy(c)
        tags = c.get("metadata", {}).get("tags", [])
        if c["cell_type"] == "markdown":
            text = conv.markdown("".join(c["source"]))
            if not text.strip():
                continue
            c["source"] = text
            c.pop("attachments", None) if not c.get("attachments") else None
            cells.append(c)
            continue
        if c["cell_type"] != "code":
            cells.append(c)
            continue
        c["outputs"], c["execution_count"] = [], None
        if "solution" in tags:
            if student:
                continue
            code = "".join(c["source"]).rstrip()
            what = "Checking the solution" if "check" in tags else "Solution code"
            cells.append({"cell_type": "markdown", "metadata": {"tags": tags},
                          "source": f"<details>\n<summary>{what} (click to unfold; paste into a code cell to run it)"
                                    f"</summary>\n\n```python\n{code}\n```\n\n</details>"})
            continue
        if n == 0:
            pass                                   # the Colab install cell: a no-op outside Colab
        elif "check" in tags:
            _fold(c, "Check (hidden on the website; it runs and verifies the cell above)")
            c["metadata"]["jupyter"]["outputs_hidden"] = False
        elif "hide-input" in tags or "hide-cell" in tags or "remove-input" in tags:
            _fold(c, "Plotting code (click to show)")
        elif "remove-cell" in tags:
            _fold(c, "Set-up (hidden on the website)")
        cells.append(c)
    refs = conv.references()
    if refs:
        cells.append({"cell_type": "markdown", "metadata": {}, "source": refs})
    for c in cells:
        if isinstance(c["source"], list):
            c["source"] = "".join(c["source"])
        c.get("metadata", {}).pop("id", None)
    meta = copy.deepcopy(nb.get("metadata", {}))
    meta.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    meta["colab"] = {"provenance": []}
    kind = "student copy (solutions removed)" if student else "plain-Jupyter copy"
    meta["bnutils_copy"] = {"generated_by": "tools/make_notebooks.py", "kind": kind,
                            "source": f"book/{src.name}", "sha256": sha256(src), "glue": dict(sorted(glue.items()))}
    header = {"cell_type": "markdown", "metadata": {"tags": ["generated-note"]},
              "source": f"*Generated from `book/{src.name}` by `make notebooks` ({kind}); "
                        f"edit the chapter, not this file. Course repository: <{REPOSITORY_URL}>.*"}
    out = {"cells": [cells[0], header] + cells[1:], "metadata": meta, "nbformat": 4, "nbformat_minor": 5}
    for i, c in enumerate(out["cells"]):
        c["id"] = f"c{i:03d}"
    return json.dumps(out, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def recorded(copy_path):
    if copy_path.is_file():
        return json.loads(copy_path.read_text())["metadata"].get("bnutils_copy")
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the stored copies, execute nothing")
    ap.add_argument("notebooks", nargs="*", help="chapters (default: every notebook in _toc.yml)")
    args = ap.parse_args(argv)
    all_nbs = chapters()
    srcs = [pathlib.Path(p).resolve() for p in args.notebooks] or all_nbs
    labels, bib = collect_labels(all_nbs), load_bib()
    stale = []
    for src in srcs:
        full, student = FULL / src.name, STUDENT / src.name
        rec = recorded(full)
        if args.check:
            if rec is None or rec.get("sha256") != sha256(src):
                stale.append(f"{full.relative_to(ROOT)}: made from another version of book/{src.name}")
                continue
            glue = rec["glue"]
            built = built_glue(src)
            if built is not None:
                keys = set(built)
                if keys != set(glue):
                    stale.append(f"{full.relative_to(ROOT)}: its glue keys differ from the last build's "
                                 f"({sorted(keys ^ set(glue))[:5]})")
        else:
            try:
                glue = glue_values(src, rec)
            except Exception as e:                       # a chapter that does not run: say so, go on
                stale.append(f"book/{src.name} did not run, no copy made: {type(e).__name__}: {str(e)[-300:]}")
                continue
        for path, is_student in ((full, False), (student, True)):
            text = convert(src, labels, bib, glue, is_student)
            if args.check:
                if not path.is_file() or path.read_text() != text:
                    stale.append(f"{path.relative_to(ROOT)}: differs from what the converter makes now")
            elif not path.is_file() or path.read_text() != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                print(f"wrote {path.relative_to(ROOT)}")
    if not args.check and stale:
        for s in stale:
            print("FAILED:", s)
        return 1
    if args.check:
        for s in stale:
            print("out of date:", s)
        if stale:
            print("run `make notebooks` (after `make book`, so the glue values come from the build)")
            return 1
        print(f"{len(srcs)} chapters: copies up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
