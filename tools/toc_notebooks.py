"""Print the path of every notebook listed in _toc.yml, one per line (used by `make nbval`)."""
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def toc_files(toc):
    """Every `file:` entry of a jb-book _toc.yml, in order."""
    out = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                out.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return out


def toc_notebooks(root=ROOT):
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    nbs = []
    for f in toc_files(toc):
        p = root / (f if f.endswith(".ipynb") else f + ".ipynb")
        if p.is_file():
            nbs.append(p.relative_to(root).as_posix())
    return nbs


if __name__ == "__main__":
    nbs = toc_notebooks()
    if not nbs:
        sys.exit("no notebooks found in _toc.yml")
    print("\n".join(nbs))
